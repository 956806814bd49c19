package io.archipelago.bench.typed;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.registry.RegionRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Typed access, in one JVM, on a real mmap'd global memory: the same work done through
 * <ul>
 *   <li><b>native</b>: a generated accessor on a region in this machine's own layout (x86_64, 56 bytes
 *       per element);</li>
 *   <li><b>native, same size</b>: the same, for {@link SchedTask32}, whose x86_64 layout is the ppc32
 *       layout of {@link SchedTask} but for the byte order (48 bytes): the like-for-like baseline of
 *       the morphed scan, which streams 48 bytes per element;</li>
 *   <li><b>morphed</b>: the same view, generated for a region a ppc32 kernel created
 *       (big-endian, 4-byte {@code unsigned long} and pointers): type-morphable code;</li>
 *   <li><b>interpreted</b>: the interpreting accessor on that ppc32 region;</li>
 *   <li><b>converted</b>: convert-on-attach, the alternative the paper rejects: copy the whole
 *       ppc32 array into a native-format copy (then access that natively);</li>
 *   <li><b>heap</b>: plain Java objects, the floor.</li>
 * </ul>
 * A scan reads three members ({@code vruntime}, {@code nvcsw}, {@code prio}) of every one of
 * {@link #elements()} elements; a read or write touches one member of one element.
 * <p>
 * Each benchmark method has its own loop (no shared helper), so every call site sees one
 * accessor class, as a kernel's code would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TypedAccessBenchmark {

    /** Elements per region: {@value #DEFAULT_ELEMENTS}, or the system property {@value #ELEMENTS_PROPERTY}. */
    public static final String ELEMENTS_PROPERTY = "archipelago.bench.typed.elements";
    public static final int DEFAULT_ELEMENTS = 1_000_000;
    /** Bytes per element of {@link SchedTask} in x86_64's layout (native) and ppc32's (morphed), and of {@link SchedTask32}'s native one. */
    public static final int NATIVE_BYTES = 56;
    public static final int MORPHED_BYTES = 48;
    public static final int NATIVE_SAME_SIZE_BYTES = 48;
    private static final int ONE = 12_345;

    int count;
    TypedRegion<SchedTask> nativeRegion;
    TypedRegion<SchedTask32> nativeSameSizeRegion;
    TypedRegion<SchedTask> morphedRegion;
    TypedRegion<SchedTask> interpretedRegion;
    TypedRegion<SchedTask> convertedRegion;
    SchedTaskObject[] heap;

    private SchedTask nativeCursor;
    private SchedTask32 nativeSameSizeCursor;
    private SchedTask morphedCursor;
    private SchedTask interpretedCursor;
    private SchedTask convertSource;
    private SchedTask convertTarget;
    private SchedTask convertedCursor;
    private SchedTask nativeOne;
    private SchedTask morphedOne;
    private SchedTask interpretedOne;
    private SchedTaskObject heapOne;
    private long written;

    public static int elements() {
        return Integer.getInteger(ELEMENTS_PROPERTY, DEFAULT_ELEMENTS);
    }

    @Setup(Level.Trial)
    public void setUp() {
        Fixture fixture = Fixture.get(elements());
        count = fixture.count;
        nativeRegion = fixture.nativeRegion;
        nativeSameSizeRegion = fixture.nativeSameSizeRegion;
        morphedRegion = fixture.morphedRegion;
        interpretedRegion = fixture.interpretedRegion;
        convertedRegion = fixture.convertedRegion;
        heap = fixture.heap;
        nativeCursor = nativeRegion.at(0);
        nativeSameSizeCursor = nativeSameSizeRegion.at(0);
        morphedCursor = morphedRegion.at(0);
        interpretedCursor = interpretedRegion.at(0);
        convertSource = morphedRegion.at(0);
        convertTarget = convertedRegion.at(0);
        convertedCursor = convertedRegion.at(0);
        nativeOne = nativeRegion.at(ONE % count);
        morphedOne = morphedRegion.at(ONE % count);
        interpretedOne = interpretedRegion.at(ONE % count);
        heapOne = heap[ONE % count];
    }

    /** Frees the regions and their memory file (also done when the JVM exits). */
    public static void release() {
        Fixture.release();
    }

    /**
     * The regions, built once per JVM and shared by every benchmark of that JVM (JMH forks one
     * JVM per benchmark; the paired scans and the tests run several in one JVM, which share it): a global memory file
     * under /dev/shm, an x86_64 kernel's native region, a ppc32 kernel's region (attached
     * morphed and interpreted by the x86_64 kernel), a native-format copy for convert-on-attach,
     * and the same records as Java objects.
     */
    static final class Fixture {
        private static Fixture instance;

        final int count;
        final Path directory;
        final GlobalMemory memory;
        final RegionRegistry registry;
        final TypedRegion<SchedTask> nativeRegion;
        final TypedRegion<SchedTask32> nativeSameSizeRegion;
        final TypedRegion<SchedTask> morphedRegion;
        final TypedRegion<SchedTask> interpretedRegion;
        final TypedRegion<SchedTask> convertedRegion;
        final SchedTaskObject[] heap;

        static synchronized Fixture get(int count) {
            if (instance == null || instance.count != count) {
                release();
                instance = new Fixture(count);
                Fixture created = instance;
                Runtime.getRuntime().addShutdownHook(new Thread(created::close, "bench-fixture-cleanup"));
            }
            return instance;
        }

        static synchronized void release() {
            if (instance != null) {
                instance.close();
                instance = null;
            }
        }

        private Fixture(int count) {
            this.count = count;
            try {
                Path shm = Path.of("/dev/shm");
                directory = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                    "archipelago-bench-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            long blockSize = 1 << 20;
            long needed = (long) count * (56 + 48 + 48 + 56) + 16 * blockSize;
            long memoryBytes = Math.max(64L << 20, (needed * 2 + blockSize - 1) / blockSize * blockSize);
            memory = GlobalMemory.create(directory.resolve("memory.img"), "bench", new MemoryGeometry(memoryBytes, 4096, (int) blockSize, 8), 2);
            registry = RegionRegistry.create(directory.resolve("regions.cm"));
            int half = memory.geometry().dataBlocks() / 2;
            memory.ownership().claimFree(0, half);
            memory.ownership().claimFree(1, half);
            TypedMemory x86 = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(0, "x86_64-0", 1, DataModel.X86_64));
            TypedMemory ppc = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(1, "ppc32-1", 2, DataModel.PPC32));

            nativeRegion = x86.create("bench.native", SchedTask.class, count);
            nativeSameSizeRegion = x86.create("bench.native32", SchedTask32.class, count);
            ppc.create("bench.ppc32", SchedTask.class, count);
            morphedRegion = x86.attach("bench.ppc32", SchedTask.class);
            interpretedRegion = x86.attach("bench.ppc32", SchedTask.class, TypedMemory.Access.INTERPRETED);
            convertedRegion = x86.create("bench.converted", SchedTask.class, count);
            expect(nativeRegion, AccessorKind.NATIVE);
            expect(nativeSameSizeRegion, AccessorKind.NATIVE);
            expect(morphedRegion, AccessorKind.MORPHED);
            expect(interpretedRegion, AccessorKind.INTERPRETED);
            heap = new SchedTaskObject[count];
            fill(nativeRegion, nativeRegion.at(0), count);
            SchedTask32 t32 = nativeSameSizeRegion.at(0);
            for (int i = 0; i < count; i++) {
                nativeSameSizeRegion.moveTo(t32, i);
                t32.pid(i + 1);
                t32.prio(100 + i % 40);
                t32.nvcsw((i * 7919L) & 0xFFFF_FFFFL);
                t32.vruntime(i * 1_000_003L);
                t32.flags(i & 0xFF);
                t32.comm(0, (byte) 't');
            }
            fill(morphedRegion, morphedRegion.at(0), count);
            for (int i = 0; i < count; i++) {
                SchedTaskObject o = new SchedTaskObject();
                o.pid = i + 1;
                o.prio = 100 + i % 40;
                o.nvcsw = (i * 7919L) & 0xFFFF_FFFFL;
                o.vruntime = i * 1_000_003L;
                o.flags = i & 0xFF;
                o.comm[0] = 't';
                heap[i] = o;
            }
            fill(convertedRegion, convertedRegion.at(0), count);
        }

        private static void fill(TypedRegion<SchedTask> region, SchedTask t, int count) {
            for (int i = 0; i < count; i++) {
                region.moveTo(t, i);
                t.pid(i + 1);
                t.prio(100 + i % 40);
                t.nvcsw((i * 7919L) & 0xFFFF_FFFFL);
                t.vruntime(i * 1_000_003L);
                t.flags(i & 0xFF);
                t.comm(0, (byte) 't');
            }
        }

        private static void expect(TypedRegion<?> region, AccessorKind kind) {
            if (region.accessor() != kind) {
                throw new IllegalStateException(region + ": expected a " + kind + " accessor");
            }
        }

        private synchronized void close() {
            if (!Files.exists(directory)) {
                return;
            }
            registry.close();
            memory.close();
            try (Stream<Path> files = Files.walk(directory)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // best effort: the directory is under a temporary root
            }
        }
    }

    // ------------------------------------------------------------------ scans of every element

    @Benchmark
    public long scanNative() {
        long sum = 0;
        SchedTask t = nativeCursor;
        for (int i = 0; i < count; i++) {
            nativeRegion.moveTo(t, i);
            sum += t.vruntime() + t.nvcsw() + t.prio();
        }
        return sum;
    }

    @Benchmark
    public long scanNativeSameSize() {
        long sum = 0;
        SchedTask32 t = nativeSameSizeCursor;
        for (int i = 0; i < count; i++) {
            nativeSameSizeRegion.moveTo(t, i);
            sum += t.vruntime() + t.nvcsw() + t.prio();
        }
        return sum;
    }

    @Benchmark
    public long scanMorphed() {
        long sum = 0;
        SchedTask t = morphedCursor;
        for (int i = 0; i < count; i++) {
            morphedRegion.moveTo(t, i);
            sum += t.vruntime() + t.nvcsw() + t.prio();
        }
        return sum;
    }

    @Benchmark
    public long scanInterpreted() {
        long sum = 0;
        SchedTask t = interpretedCursor;
        for (int i = 0; i < count; i++) {
            interpretedRegion.moveTo(t, i);
            sum += t.vruntime() + t.nvcsw() + t.prio();
        }
        return sum;
    }

    @Benchmark
    public long scanConverted() {
        long sum = 0;
        SchedTask t = convertedCursor;
        for (int i = 0; i < count; i++) {
            convertedRegion.moveTo(t, i);
            sum += t.vruntime() + t.nvcsw() + t.prio();
        }
        return sum;
    }

    @Benchmark
    public long scanHeap() {
        long sum = 0;
        SchedTaskObject[] tasks = heap;
        for (int i = 0; i < tasks.length; i++) {
            SchedTaskObject t = tasks[i];
            sum += t.vruntime + t.nvcsw + t.prio;
        }
        return sum;
    }

    /** Convert-on-attach: the whole ppc32 array copied into a native-format region. */
    @Benchmark
    public long convert() {
        SchedTask from = convertSource;
        SchedTask to = convertTarget;
        for (int i = 0; i < count; i++) {
            morphedRegion.moveTo(from, i);
            convertedRegion.moveTo(to, i);
            to.pid(from.pid());
            to.prio(from.prio());
            to.nvcsw(from.nvcsw());
            to.vruntime(from.vruntime());
            to.parent(from.parent());
            to.flags(from.flags());
            for (int c = 0; c < 16; c++) {
                to.comm(c, from.comm(c));
            }
        }
        return count;
    }

    // ------------------------------------------------------------------ one member of one element

    @Benchmark
    public long readNative() {
        return nativeOne.nvcsw();
    }

    @Benchmark
    public long readMorphed() {
        return morphedOne.nvcsw();
    }

    @Benchmark
    public long readInterpreted() {
        return interpretedOne.nvcsw();
    }

    @Benchmark
    public long readHeap() {
        return heapOne.nvcsw;
    }

    @Benchmark
    public void writeNative() {
        nativeOne.nvcsw(++written & 0x7FFF_FFFFL);
    }

    @Benchmark
    public void writeMorphed() {
        morphedOne.nvcsw(++written & 0x7FFF_FFFFL);
    }

    @Benchmark
    public void writeInterpreted() {
        interpretedOne.nvcsw(++written & 0x7FFF_FFFFL);
    }

    @Benchmark
    public void writeHeap() {
        heapOne.nvcsw = ++written & 0x7FFF_FFFFL;
    }
}
