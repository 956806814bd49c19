package io.archipelago.bench.shmvsmsg;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelContext;
import io.archipelago.kernel.dsm.DsmService;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.access.HeldPages;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.registry.RegionRegistry;
import io.archipelago.workloads.shmvsmsg.BenchObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code bench shm-vs-msg}'s steady state in one JVM: {@link BenchObject}'s operations (the very
 * code the kernels' workload runs) on a hardware-coherent region ({@code shm}: plain shared
 * memory, an atomic instruction for increment) and on a software-coherent one ({@code dsm}: the
 * DSM of one kernel whose pages are held), in batches of {@value #BATCH} followed by a quiescent
 * point, as the workload's sampler does; each operation is a method of its own that the JIT does
 * not inline into the loop (the sampler calls its operation through a call site that sees every
 * operation of a run). One kernel attached in this JVM over a real global memory file, with its
 * mailbox and DSM running; its pages are claimed once and then held, so every operation after the
 * first of a batch runs on held pages. {@link SteadyStateBench} runs it with JMH, or in its paired
 * mode (every operation in one JVM, shm and dsm taking turns), and prints {@code dsm / shm}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(SteadyStateBenchmark.BATCH)
public class SteadyStateBenchmark {

    /** Operations between two quiescent points (the workload's batch for a 2 µs target is some hundreds). */
    public static final int BATCH = 256;

    /** The object's size in bytes: one bench_item, or a page of them. */
    @Param({"64", "4096"})
    public int bytes;

    private OneKernel kernel;
    private BenchObject shm;
    private BenchObject dsm;
    private long[] shmCopy;
    private long[] dsmCopy;
    private long written;

    @Setup(Level.Trial)
    public void setUp() {
        kernel = OneKernel.get();
        long count = bytes / BenchObject.ITEM_SIZE;
        shm = new BenchObject(kernel.hardware, 0, count, BenchObject.Sharing.HARDWARE, 1);
        dsm = new BenchObject(kernel.software, 0, count, BenchObject.Sharing.SOFTWARE, 1);
        shmCopy = new long[shm.structLongs()];
        dsmCopy = new long[dsm.structLongs()];
        HeldPages.begin();
        dsm.touch(System.nanoTime()); // claims the object's pages: held from here on
        HeldPages.quiesce();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        HeldPages.end();
    }

    /**
     * {@value #BATCH} operations, then a quiescent point: the workload's batch. Each operation
     * ({@code ...Once}) is a method of its own that the JIT does not inline, compiled on its own as
     * the workload's operation is (its sampler's call site sees every operation of a run).
     */
    private static long batch(java.util.function.LongSupplier operation) {
        HeldPages.begin();
        long sum = 0;
        for (int i = 0; i < BATCH; i++) {
            sum ^= operation.getAsLong();
        }
        HeldPages.quiesce();
        return sum;
    }

    @Benchmark
    public long readFieldShm() {
        return batch(this::readFieldShmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long readFieldShmOnce() {
        return shm.readField();
    }

    @Benchmark
    public long readFieldDsm() {
        return batch(this::readFieldDsmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long readFieldDsmOnce() {
        return dsm.readField();
    }

    @Benchmark
    public long updateFieldShm() {
        return batch(this::updateFieldShmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long updateFieldShmOnce() {
        return shm.updateField(++written);
    }

    @Benchmark
    public long updateFieldDsm() {
        return batch(this::updateFieldDsmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long updateFieldDsmOnce() {
        return dsm.updateField(++written);
    }

    @Benchmark
    public long readStructShm() {
        return batch(this::readStructShmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long readStructShmOnce() {
        return shm.readStruct(shmCopy);
    }

    @Benchmark
    public long readStructDsm() {
        return batch(this::readStructDsmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long readStructDsmOnce() {
        return dsm.readStruct(dsmCopy);
    }

    @Benchmark
    public long incrementShm() {
        return batch(this::incrementShmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long incrementShmOnce() {
        return shm.increment();
    }

    @Benchmark
    public long incrementDsm() {
        return batch(this::incrementDsmOnce);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    long incrementDsmOnce() {
        return dsm.increment();
    }

    /**
     * One kernel's files and services in this JVM (built once per JVM: JMH forks one per
     * benchmark): global memory under /dev/shm, membership, region registry and secret; the
     * kernel attached with its mailbox and DSM; a hardware- and a software-coherent region of
     * {@value #ELEMENTS} bench_items each, filled as the workload fills them.
     */
    static final class OneKernel {
        static final int ELEMENTS = 64;
        private static OneKernel instance;

        static synchronized void release() {
            if (instance != null) {
                instance.close();
                instance = null;
            }
        }

        final Path directory;
        final TypedRegion<BenchItem> hardware;
        final TypedRegion<BenchItem> software;
        private final Deque<AutoCloseable> open = new ArrayDeque<>();

        static synchronized OneKernel get() {
            if (instance == null) {
                instance = new OneKernel();
                OneKernel created = instance;
                Runtime.getRuntime().addShutdownHook(new Thread(created::close, "steady-state-cleanup"));
            }
            return instance;
        }

        private OneKernel() {
            try {
                Path shm = Path.of("/dev/shm");
                directory = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                    "archipelago-steady-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String name = "steady";
            ClusterDirectory files = new ClusterDirectory(directory, name);
            ClusterSecret.generate().writeTo(files.secretFile());
            GlobalMemory memory = later(GlobalMemory.create(files.memoryFile(), name,
                new MemoryGeometry(32L << 20, MemoryGeometry.DEFAULT_PAGE_SIZE, MemoryGeometry.DEFAULT_BLOCK_SIZE, 8), 1));
            Membership.create(files.membershipFile()).close();
            RegionRegistry.create(files.regionsFile()).close();
            Membership membership = later(Membership.open(files.membershipFile()));
            Kernel kernel = later(Kernel.attach(new KernelContext().clusterName(name).directory(directory).kernelId(0).kernelName("k0")
                .bindHost("127.0.0.1").attachTimeout(Duration.ofSeconds(5))));
            MailboxService mailbox = start(new MailboxService(kernel));
            DsmService dsm = start(new DsmService(kernel, mailbox.mailbox(), DsmService.DEFAULT_FAULT_TIMEOUT));
            membership.update(0, r -> r.toBuilder().setState(KernelState.RUNNING).build());
            kernel.memory().ownership().claimFree(0, 8);
            RegionRegistry registry = later(RegionRegistry.open(files.regionsFile()));
            TypedMemory typed = TypedMemory.forKernel(kernel.memory(), registry,
                new TypedMemory.Identity(0, kernel.name(), kernel.incarnation(), DataModel.X86_64, kernel.context().coherenceDomain()));
            typed.useSoftwareCoherence(dsm);
            hardware = typed.create("steady.shm", BenchItem.class, ELEMENTS, ArrayLayout.ARRAY_OF_STRUCTS, Coherence.HARDWARE, r -> { });
            software = typed.create("steady.dsm", BenchItem.class, ELEMENTS, ArrayLayout.ARRAY_OF_STRUCTS, Coherence.SOFTWARE, r -> { });
            fill(hardware);
            fill(software);
        }

        private static void fill(TypedRegion<BenchItem> region) {
            HeldPages.begin();
            try {
                BenchItem item = region.at(0);
                for (long i = 0; i < region.count(); i++) {
                    region.moveTo(item, i);
                    BenchObject.fill(item, i);
                }
            } finally {
                HeldPages.end();
            }
        }

        private <T extends AutoCloseable> T later(T resource) {
            open.push(resource);
            return resource;
        }

        private <S extends io.archipelago.kernel.KernelService> S start(S service) {
            try {
                service.start();
            } catch (Exception e) {
                throw new IllegalStateException(service.name() + " did not start: " + e.getMessage(), e);
            }
            return later(service);
        }

        synchronized void close() {
            if (!Files.isDirectory(directory)) {
                return; // closed already (released, then the JVM's exit)
            }
            while (!open.isEmpty()) {
                try {
                    open.pop().close();
                } catch (Exception e) {
                    System.err.println("steady-state fixture: closing: " + e);
                }
            }
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                System.err.println("steady-state fixture: cannot delete " + directory + ": " + e);
            }
        }
    }
}
