package io.archipelago.kernel;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * A cluster's files (global memory, membership, region registry, secret) in a temporary directory and kernels
 * attached to them in this JVM, without processes nor a coordinator: for unit tests that build
 * one service, or a few, over real global memory, membership and mailboxes. What a test starts
 * on a kernel it registers with {@link #closeLater}, closed in reverse order before the kernels.
 */
public final class InJvmCluster implements AutoCloseable {

    public static final String NAME = "unit";

    private final Path directory;
    private final GlobalMemory memory;
    private final Membership membership;
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    private InJvmCluster(Path directory, GlobalMemory memory, Membership membership) {
        this.directory = directory;
        this.memory = memory;
        this.membership = membership;
    }

    /** Creates the cluster's files under {@code directory} (a test's temporary directory) for {@code kernels} kernels. */
    public static InJvmCluster create(Path directory, int kernels) {
        ClusterDirectory cluster = new ClusterDirectory(directory, NAME);
        ClusterSecret.generate().writeTo(cluster.secretFile());
        GlobalMemory memory = GlobalMemory.create(cluster.memoryFile(), NAME,
            new MemoryGeometry(32L * 1024 * 1024, MemoryGeometry.DEFAULT_PAGE_SIZE, MemoryGeometry.DEFAULT_BLOCK_SIZE, 8), kernels);
        // created under a temporary name and renamed: closed and opened again, as the kernels open it, so
        // that Chronicle Map shares one file lock between every opener in this JVM
        Membership.create(cluster.membershipFile()).close();
        RegionRegistry.create(cluster.regionsFile()).close();
        return new InJvmCluster(directory, memory, Membership.open(cluster.membershipFile()));
    }

    /** A kernel context for kernel {@code id} of this cluster (the caller may change it before {@link #attach}). */
    public KernelContext context(int id) {
        return new KernelContext().clusterName(NAME).directory(directory).kernelId(id).kernelName("k" + id).bindHost("127.0.0.1")
            .attachTimeout(Duration.ofSeconds(5));
    }

    /** Kernel {@code id}'s shared resources, registered (BOOTING), with no service. */
    public Kernel attach(int id) {
        return attach(context(id));
    }

    public Kernel attach(KernelContext context) {
        return closeLater(Kernel.attach(context));
    }

    /** Says in membership that kernel {@code id} runs, as its boot does once its services are up. */
    public void running(int id) {
        membership.update(id, r -> r.toBuilder().setState(KernelState.RUNNING).build());
    }

    /** Says in membership that kernel {@code id} is DEAD, as the coordinator does when it stops beating. */
    public void dead(int id) {
        membership.update(id, r -> r.toBuilder().setState(KernelState.DEAD).setReason("declared dead by the test").build());
    }

    /** The cluster's global memory, as the coordinator maps it. */
    public GlobalMemory memory() {
        return memory;
    }

    public Membership membership() {
        return membership;
    }

    /** Closes {@code resource} with the cluster, before what was opened earlier. */
    public <T extends AutoCloseable> T closeLater(T resource) {
        open.push(resource);
        return resource;
    }

    /** Waits until {@code condition} holds, failing with {@code what} after {@code timeout}. */
    public static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        while (!open.isEmpty()) {
            try {
                open.pop().close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing the in-JVM cluster: " + e, e);
                }
            }
        }
        membership.close();
        memory.close();
        if (failure != null) {
            throw failure;
        }
    }
}
