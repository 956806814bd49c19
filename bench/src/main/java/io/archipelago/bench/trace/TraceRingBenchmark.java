package io.archipelago.bench.trace;

import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What one event costs the kernel thread that records it: a slice written into a {@link TraceRing}
 * on a real mmap'd file under /dev/shm, recording or stopped, against a baseline that reads the
 * clock only (every recorded step reads it anyway); and a mailbox word, recorded with a clock
 * reading of its own against one stamped with a reading its sender took anyway.
 *
 * <pre>java -cp 'cli/target/archipelago/lib/*' org.openjdk.jmh.Main TraceRingBenchmark -f 1 -wi 3 -i 5</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TraceRingBenchmark {

    @Param({"true", "false"})
    public boolean recording;

    private Path directory;
    private TraceRing ring;
    private int subject;
    private long stamp = System.nanoTime();

    @Setup(Level.Trial)
    public void open() throws IOException {
        Path shm = Path.of("/dev/shm");
        directory = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")), "trace-bench-");
        ring = TraceRing.create(TraceRing.fileFor(directory, 0), 0, "bench", ProcessHandle.current().pid(), TraceRing.DEFAULT_CAPACITY);
        ring.recording(recording);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        ring.close();
        Path file = TraceRing.fileFor(directory, 0);
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.getParent());
        Files.deleteIfExists(directory);
    }

    @Benchmark
    public long clockOnly() {
        return System.nanoTime();
    }

    @Benchmark
    public void recordSlice() {
        long start = System.nanoTime();
        ring.slice(TraceEvent.STEP, 0, subject++, start, 100);
    }

    /** A mailbox word as recorded before the mailbox handed its stamps over: the record reads the clock. */
    @Benchmark
    public void recordWordReadingTheClock() {
        ring.instant(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, subject++ & 0xFFFF_FFFFL);
    }

    /** A mailbox word stamped with a clock reading the mailbox took anyway (a deadline, a handler's start). */
    @Benchmark
    public void recordWordStamped() {
        ring.instantAt(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, stamp, subject++ & 0xFFFF_FFFFL);
        stamp += 700;
    }

    /** What the mailbox asks before it reads the clock for a stamp it did not take anyway. */
    @Benchmark
    public boolean wanted() {
        return ring.wanted();
    }
}
