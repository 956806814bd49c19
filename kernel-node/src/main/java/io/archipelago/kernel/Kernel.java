package io.archipelago.kernel;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.Endpoint;
import io.archipelago.directory.proto.Island;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running kernel instance: one JVM process bound to one island, attached to its cluster's
 * global memory, registered in membership, heartbeating into its counters area and serving its
 * control API. Created by {@link #boot(KernelContext)}; stopped by {@link #close()} (which the
 * SIGTERM hook of {@code kernel.boot.KernelMain} calls).
 */
public final class Kernel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);

    private final KernelContext context;
    private final GlobalMemory memory;
    private final Membership membership;
    private final ClusterSecret secret;
    private final int id;
    private final String name;
    private final long incarnation;
    private final long startedAtMs;
    private final KernelCountersArea counters;
    private final TraceRing trace;
    private final AtomicLong refusedControlCalls = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread heartbeat;
    /** When this kernel last beat, on its monotonic clock (for its own status). */
    private volatile long lastBeatNanos = System.nanoTime();
    private final List<KernelService> services = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Server controlServer;
    private volatile Runnable onFatal;
    /** Whether the kernel found it must stop on its own; remembered, since that may happen while it boots, before onFatal is set. */
    private volatile boolean fatal;
    /** Set once this incarnation has seen itself declared DEAD: from then on it must not touch shared state. */
    private final AtomicBoolean fenced = new AtomicBoolean();
    /**
     * What to run once fenced. In a kernel process ({@code kernel.boot.KernelMain}) it halts the JVM at once with a
     * non-zero code; in a test's own JVM it closes the kernel, whose services then skip every write-back.
     */
    private volatile Runnable onFenced = this::close;

    private Kernel(KernelContext context, GlobalMemory memory, Membership membership, ClusterSecret secret, int id, String name,
                   long incarnation, long startedAtMs) {
        this.context = context;
        this.memory = memory;
        this.membership = membership;
        this.secret = secret;
        this.id = id;
        this.name = name;
        this.incarnation = incarnation;
        this.startedAtMs = startedAtMs;
        this.counters = memory.countersArea(id);
        this.trace = TraceRing.create(TraceRing.fileFor(context.clusterDirectory().path(), id), id, name, ProcessHandle.current().pid(),
            TraceRing.DEFAULT_CAPACITY);
        this.heartbeat = Thread.ofPlatform().daemon().name("heartbeat-" + name).unstarted(this::heartbeatLoop);
    }

    /**
     * Boots a kernel: waits (bounded) for the cluster's files, attaches global memory after
     * validating it, registers, starts the services its composition root builds (the memory
     * service claims its share of page blocks; {@code KernelAssembly} in {@code kernel.boot}),
     * starts its control server, and reports RUNNING.
     */
    public static Kernel boot(KernelContext context, Assembly assembly) {
        Kernel kernel = attach(context);
        try {
            kernel.start(services -> assembly.assemble(kernel, services));
            return kernel;
        } catch (RuntimeException e) {
            // (its heartbeat may have closed it already, membership included, on finding it fenced)
            boolean declaredDead = kernel.fenced();
            kernel.close(); // unregisters (unless fenced), closes what started, unmaps
            if (declaredDead) {
                // whatever failed, the cause is that it was declared DEAD while booting (its services may have found
                // their resources taken back): the caller must halt with the fenced exit code, not report a boot failure
                throw new KernelFencedException("kernel " + kernel.name + " was declared DEAD by the coordinator while booting", e);
            }
            throw e;
        }
    }

    /**
     * The shared resources of a kernel without its services: waits (bounded) for the cluster's
     * files, attaches global memory after validating it and registers in membership (BOOTING).
     * {@link #boot} goes on to start the services; a test builds only the services it needs on
     * it, and closes it (which unregisters and unmaps).
     */
    public static Kernel attach(KernelContext context) {
        context.conclude();
        ClusterDirectory directory = context.clusterDirectory();
        long deadline = System.nanoTime() + context.attachTimeout().toNanos();
        awaitFile(directory.memoryFile(), deadline, context);
        awaitFile(directory.membershipFile(), deadline, context);
        ClusterSecret secret = ClusterSecret.readFrom(context.secretFile());
        GlobalMemory memory = GlobalMemory.attach(directory.memoryFile(), context.clusterName());
        Membership membership;
        try {
            membership = Membership.open(directory.membershipFile());
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        try {
            long incarnation = new SecureRandom().nextLong() & Long.MAX_VALUE;
            long now = System.currentTimeMillis();
            int maxKernels = memory.geometry().maxKernels();
            int id = context.kernelId() >= 0 ? register(context, membership, memory, context.kernelId(), incarnation, now)
                : claimId(context, membership, memory, maxKernels, incarnation, now);
            String name = nameOf(context, id);
            return new Kernel(context, memory, membership, secret, id, name, incarnation, now);
        } catch (RuntimeException e) {
            membership.close();
            memory.close();
            throw e;
        }
    }

    private static String nameOf(KernelContext context, int id) {
        return context.kernelName() != null ? context.kernelName() : context.island() + "-" + id;
    }

    private static int register(KernelContext context, Membership membership, GlobalMemory memory, int id, long incarnation,
                                long now) {
        int maxKernels = memory.geometry().maxKernels();
        if (id >= maxKernels) {
            throw new KernelBootException("kernel id " + id + " is beyond this cluster's " + maxKernels + " kernel slots (0.."
                + (maxKernels - 1) + ")");
        }
        String name = nameOf(context, id);
        Optional<KernelRecord> sameName = membership.byName(name);
        if (sameName.isPresent() && sameName.get().getKernelId() != id && sameName.get().getState() != KernelState.DEAD) {
            throw new KernelBootException("kernel name '" + name + "' is taken by live kernel " + sameName.get().getKernelId()
                + " (pid " + sameName.get().getPid() + ")");
        }
        Optional<KernelRecord> holder = membership.register(record(context, id, name, incarnation, now));
        if (holder.isPresent()) {
            KernelRecord live = holder.get();
            throw new KernelBootException("kernel id " + id + " is held by live kernel '" + live.getName() + "' (pid "
                + live.getPid() + " on " + live.getHost() + ", " + live.getState() + "); stop it first or choose another id");
        }
        return id;
    }

    private static int claimId(KernelContext context, Membership membership, GlobalMemory memory, int maxKernels, long incarnation,
                               long now) {
        for (int id = 0; id < maxKernels; id++) {
            Optional<KernelRecord> existing = membership.get(id);
            if (existing.isPresent() && existing.get().getState() != KernelState.DEAD) {
                continue;
            }
            String name = nameOf(context, id);
            if (membership.byName(name).filter(r -> r.getState() != KernelState.DEAD).isPresent()) {
                continue;
            }
            if (membership.register(record(context, id, name, incarnation, now)).isEmpty()) {
                return id;
            }
        }
        throw new KernelBootException("no free kernel id: all " + maxKernels + " kernel slots of cluster '"
            + context.clusterName() + "' are held by live kernels");
    }

    private static KernelRecord record(KernelContext context, int id, String name, long incarnation, long now) {
        return KernelRecord.newBuilder()
            .setKernelId(id)
            .setName(name)
            .setIsland(Island.newBuilder()
                .setName(context.island())
                .setDataModel(context.dataModel().id())
                .setCores(context.cores())
                .setSpeed(context.speed())
                .setCoherenceDomain(context.coherenceDomain())
                .setPowerModel(context.powerModel()))
            .setPid(ProcessHandle.current().pid())
            .setHost(KernelContext.hostName())
            .setState(KernelState.BOOTING)
            .setStartedAtMs(now)
            .setIncarnation(incarnation)
            .build();
    }

    private static void awaitFile(Path file, long deadlineNanos, KernelContext context) {
        long pause = TimeUnit.MILLISECONDS.toNanos(10);
        while (!Files.exists(file)) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new KernelBootException("cluster '" + context.clusterName() + "' did not appear: " + file + " is still missing after "
                    + context.attachTimeout().toMillis() + " ms (is its coordinator running, with the same cluster directory?)");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /**
     * Starts the kernel's services in the order {@code assembly} builds them (closed in reverse
     * order), then serves its control API and reports RUNNING.
     */
    private void start(Consumer<Services> assembly) {
        counters.reset(ProcessHandle.current().pid(), incarnation, startedAtMs);
        heartbeat.start(); // from the moment we are registered: booting services may take a while
        // (the memory service claims the kernel's page blocks)
        io.archipelago.kernel.faults.FaultPoints.reached(io.archipelago.kernel.faults.FaultPoints.Point.KERNEL_BOOTING);
        List<BindableService> controls = new ArrayList<>();
        assembly.accept(new Services() {
            @Override
            public <S extends KernelService> S start(S service) {
                try {
                    service.start();
                } catch (Exception e) {
                    throw new KernelBootException("kernel " + name + ": service " + service.name() + " failed to start: " + e.getMessage(), e);
                }
                services.add(service);
                return service;
            }

            @Override
            public void bind(BindableService control) {
                controls.add(control);
            }
        });
        try {
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(context.bindHost(), context.controlPort()));
            io.grpc.ServerInterceptor authentication = ControlAuthentication.server(secret, refusedControlCalls);
            builder.addService(ServerInterceptors.intercept(new ControlService(), authentication));
            for (KernelService service : services) {
                for (BindableService grpc : service.controlServices()) {
                    builder.addService(ServerInterceptors.intercept(grpc, authentication));
                }
            }
            for (BindableService grpc : controls) {
                builder.addService(ServerInterceptors.intercept(grpc, authentication));
            }
            controlServer = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("kernel " + name + " cannot serve its control API on " + context.bindHost() + ":"
                + context.controlPort() + ": " + e.getMessage(), e);
        }
        Endpoint control = Endpoint.newBuilder().setTransport("tcp").setHost(context.advertisedHost())
            .setPort(controlServer.getPort()).build();
        // never over a DEAD record: declared DEAD while booting, this incarnation must not come up RUNNING
        membership.update(id, record -> record.getIncarnation() == incarnation && record.getState() != KernelState.DEAD
            ? record.toBuilder().setControl(control).setState(KernelState.RUNNING).build() : record);
        if (fenced()) {
            throw new KernelFencedException("kernel " + name + " was declared DEAD by the coordinator while booting", null);
        }
        trace.instant(TraceEvent.KERNEL_RUNNING, TraceRing.KERNEL_TRACK, id, incarnation);
        LOG.info("kernel {} (id {}) RUNNING on island {} ({}, {} core(s), speed {}, domain {}), {} page block(s), control {}:{}",
            name, id, context.island(), context.dataModel(), context.cores(), context.speed(), context.coherenceDomain(),
            memory.ownership().blocksHeldBy(blockOwner()).size(), control.getHost(), control.getPort());
    }

    /** A kernel's composition root: builds and starts its services on the kernel's resources. */
    @FunctionalInterface
    public interface Assembly {
        void assemble(Kernel kernel, Services services);
    }

    /** What a kernel's composition root starts its services with. */
    public interface Services {
        /** Starts {@code service} now (a failure fails the boot, naming it), keeps it for close, serves its control services. */
        <S extends KernelService> S start(S service);

        /** Serves {@code control} on the control API too (one not owned by a service). */
        void bind(BindableService control);
    }

    private void heartbeatLoop() {
        long interval = context.heartbeatInterval().toNanos();
        while (!closed.get()) {
            counters.beat(); // a count, judged by the coordinator against its own monotonic clock: no wall clock involved
            lastBeatNanos = System.nanoTime();
            if (context.watchPid() > 0 && ProcessHandle.of(context.watchPid()).map(ProcessHandle::isAlive).orElse(false) == false) {
                LOG.warn("kernel {}: its launcher (pid {}) is gone; stopping", name, context.watchPid());
                fatal();
                return;
            }
            if (fenced()) {
                // The coordinator gave this kernel's page blocks back and let others recover its pages when it declared it
                // dead: nothing it still holds is its own, so it stops without writing anything back or handing anything back.
                LOG.error("kernel {}: the coordinator declared it DEAD ({}); halting at once: its pages and page blocks are no longer "
                    + "its own", name, membership.get(id).map(KernelRecord::getReason).orElse(""));
                onFenced.run();
                return;
            }
            LockSupport.parkNanos(interval);
        }
    }

    private boolean declaredDead() {
        try {
            return membership.get(id).filter(r -> r.getIncarnation() == incarnation && r.getState() == KernelState.DEAD).isPresent();
        } catch (RuntimeException e) {
            return false; // membership closing with the kernel
        }
    }

    /**
     * Whether this incarnation has been declared DEAD (fenced): then it must not write a page back,
     * change the page directory or the block table, nor give anything back; it only halts. Checked
     * by every write-back and hand-back, and by the heartbeat, which then runs {@link #onFenced}.
     * Once true it stays true.
     */
    public boolean fenced() {
        if (fenced.get()) {
            return true;
        }
        if (declaredDead()) {
            fenced.set(true);
            return true;
        }
        return false;
    }

    /** What to run when this kernel finds itself fenced (declared DEAD while still running): by default, close it. */
    public void onFenced(Runnable action) {
        this.onFenced = action;
    }

    private void fatal() {
        fatal = true;
        Runnable action = onFatal;
        if (action != null) {
            action.run();
        }
    }

    /**
     * What to run when the kernel must stop on its own (its launcher died);
     * run at once if that already happened (while the kernel booted): a kernel whose launcher died
     * during its boot stops as soon as it is up, instead of running on, orphaned and no longer beating.
     * It may run twice.
     */
    public void onFatal(Runnable action) {
        this.onFatal = action;
        if (fatal) {
            action.run();
        }
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    public long incarnation() {
        return incarnation;
    }

    /** This incarnation's owner code in the block ownership table (its id and incarnation). */
    public int blockOwner() {
        return BlockOwnershipTable.ownerCode(id, incarnation);
    }

    public GlobalMemory memory() {
        return memory;
    }

    public Membership membership() {
        return membership;
    }

    public ClusterSecret secret() {
        return secret;
    }

    public KernelCountersArea counters() {
        return counters;
    }

    /** This kernel's events on the cluster's timeline ({@code archipelago trace}). */
    public TraceRing trace() {
        return trace;
    }

    public KernelContext context() {
        return context;
    }

    public int controlPort() {
        return controlServer.getPort();
    }

    /** Stops the kernel: STOPPING, servers down, services closed, unregistered from membership, memory unmapped. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // A fenced kernel leaves its DEAD record to the coordinator (a restart of the id needs it): no STOPPING, no removal.
        boolean declaredDead = fenced();
        LOG.info("kernel {} stopping{}", name, declaredDead ? " (declared DEAD: its record stays)" : "");
        try {
            if (!declaredDead) {
                membership.update(id, record -> record.getIncarnation() == incarnation
                    ? record.toBuilder().setState(KernelState.STOPPING).build() : record);
            }
            heartbeat.interrupt();
            Server server = controlServer;
            if (server != null) {
                server.shutdown();
                if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                }
            }
            for (int i = services.size() - 1; i >= 0; i--) {
                try {
                    services.get(i).close();
                } catch (RuntimeException e) {
                    LOG.warn("kernel {}: service {} did not close cleanly: {}", name, services.get(i).name(), e.toString());
                }
            }
            // Unregister only our own incarnation: a restarted kernel with this id may already own the entry.
            if (!declaredDead) {
                membership.get(id).filter(record -> record.getIncarnation() == incarnation).ifPresent(record -> membership.remove(id));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            membership.close();
            memory.close();
            trace.close();
            LOG.info("kernel {} stopped", name);
        }
    }

    private final class ControlService extends KernelControlGrpc.KernelControlImplBase {
        @Override
        public void describe(DescribeRequest request, StreamObserver<KernelStatus> responseObserver) {
            long now = System.currentTimeMillis();
            KernelStatus.Builder status = KernelStatus.newBuilder()
                .setId(id)
                .setName(name)
                .setIsland(context.island())
                .setDataModel(context.dataModel().id())
                .setDomain(context.coherenceDomain())
                .setPid(ProcessHandle.current().pid())
                .setHost(KernelContext.hostName())
                .setState(closed.get() ? KernelState.STOPPING.name() : KernelState.RUNNING.name())
                .setUptimeMs(now - startedAtMs)
                .setHeartbeatAgeMs(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastBeatNanos))
                .setBlocks(memory.ownership().blocksHeldBy(blockOwner()).size())
                .setCores(context.cores())
                .setSpeed(context.speed());
            for (KernelCountersArea.CounterValue counter : counters.read()) {
                status.addCounters(io.archipelago.control.proto.Counter.newBuilder().setLabel(counter.label()).setValue(counter.value()));
            }
            status.setAsleep(counters.signals().asleep());
            for (int waiters : counters.signals().irqWaiters()) {
                status.addIrqWaiters(waiters);
            }
            responseObserver.onNext(status.build());
            responseObserver.onCompleted();
        }
    }
}
