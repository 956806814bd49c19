package io.archipelago.bench.host;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The host's own floors, measured in this process in well under a second: what any figure of an
 * emulated platform is measured against, and what a modelled cost must stand clear of to be seen
 * (gem5 writes its configuration beside its statistics; we write the host's state beside every
 * benchmark's figures).
 * <ul>
 *   <li><b>cache line</b>: two threads ping-ponging one cache line, both spinning: the fastest any
 *       exchange between two cores can be here (between two processes sharing a mmap'd file it is
 *       the same transfer; {@code bench mailbox} measures that one as its floor);</li>
 *   <li><b>wake-up</b>: two threads handing a token back and forth by park/unpark, each blocked
 *       while the other runs: half of it is what a sleeping receiver costs a message;</li>
 *   <li><b>system call</b>: {@code getppid()} through the foreign function interface;</li>
 *   <li><b>timer</b>: what {@code parkNanos(1 µs)} really sleeps (the kernel's timer slack), and the
 *       smallest step {@link System#nanoTime()} shows;</li>
 *   <li><b>load</b>: the load average and the runnable threads of {@code /proc/loadavg}, and the cores.</li>
 * </ul>
 * Every spin is bounded: a peer that does not answer within {@link #WAIT_LIMIT_NS} ends the
 * measurement with the figures it has (an overloaded host), never a hang.
 */
public record HostCalibration(Instant at, int cores, double loadAverage, int runnableThreads, LatencySummary cacheLineRtt,
                              LatencySummary wakeUpRtt, double syscallNs, LatencySummary park1us, long nanoTimeStepNs,
                              long tookMs) {

    static final long WAIT_LIMIT_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    @SuppressWarnings("unused")
    private static volatile int kept;

    /** The short calibration every benchmark embeds (about a quarter of a second). */
    public static HostCalibration quick() {
        return measure(20_000, 2_000, 200_000, 200);
    }

    /** The calibration {@code archipelago calibrate} prints (a few seconds). */
    public static HostCalibration full() {
        return measure(200_000, 20_000, 2_000_000, 2_000);
    }

    static HostCalibration measure(int cacheLineRoundTrips, int wakeUps, int syscalls, int parks) {
        long start = System.nanoTime();
        Load load = Load.read();
        LatencySummary line = cacheLine(cacheLineRoundTrips);
        LatencySummary wake = wakeUps(wakeUps);
        double syscall = syscallNanos(syscalls);
        LatencySummary park = parks(parks);
        long step = nanoTimeStep();
        return new HostCalibration(Instant.now(), Runtime.getRuntime().availableProcessors(), load.average, load.runnable, line, wake,
            syscall, park, step, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /** The record as every benchmark's JSON carries it under {@code host}. */
    public ObjectNode json() {
        ObjectNode host = JsonNodeFactory.instance.objectNode();
        host.put("measured_at", at.toString());
        host.put("cores", cores);
        host.put("load_average_1m", Math.round(loadAverage * 100) / 100.0);
        host.put("runnable_threads", runnableThreads);
        host.set("cache_line_rtt_us", cacheLineRtt.json());
        host.set("wake_up_rtt_us", wakeUpRtt.json());
        host.put("syscall_ns", Math.round(syscallNs * 10) / 10.0);
        host.set("park_1us_us", park1us.json());
        host.put("nano_time_step_ns", nanoTimeStepNs);
        host.put("took_ms", tookMs);
        return host;
    }

    /** One line for a person, under a benchmark's tables. */
    public String line() {
        return String.format(java.util.Locale.ROOT, "host: %d cores, load %.2f (%d runnable); cache line %.2f us, wake-up %.1f us round "
                + "trip, system call %.0f ns, parkNanos(1 us) sleeps %.1f us (p50)", cores, loadAverage, runnableThreads,
            cacheLineRtt.exactP50(), wakeUpRtt.exactP50(), syscallNs, park1us.exactP50());
    }

    /**
     * A modelled cost is read against the host's own cost of the same thing: where the host pays
     * more than this share of the model, a figure measured under the model reads model + host (a
     * hold starts at the send, the handling on both ends comes after it), beyond the ±20% the model
     * is held to.
     */
    public static final double HOST_SHARE_MAX = 0.2;

    /**
     * Whether the host's own cost of the thing modelled, {@code hostNanos} (measured in the same
     * run: e.g. half the ping-pong floor for a mailbox word, {@link #cacheLineOneWayNanos()} for a
     * remote cache line), is more than {@link #HOST_SHARE_MAX} of the modelled {@code modelledNanos}:
     * then the measured figure is the model plus a host cost that is not small beside it.
     *
     * @param hostWhat what {@code hostNanos} is, as the warning names it
     */
    public static Optional<String> noiseWarning(double modelledNanos, double hostNanos, String what, String hostWhat) {
        if (modelledNanos <= 0 || hostNanos <= HOST_SHARE_MAX * modelledNanos) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT, "the modelled %s (%.0f ns) is within %.0fx this host's own cost of it (%s, "
            + "%.0f ns, measured in this run): figures read as the model plus the host's cost, so compare them in one run",
            what, modelledNanos, 1 / HOST_SHARE_MAX, hostWhat, hostNanos));
    }

    /** One way of the cache-line ping-pong (half its p50 round trip), in ns: what the host pays to bring a line from another core. */
    public double cacheLineOneWayNanos() {
        return cacheLineRtt.exactP50() * 1000 / 2;
    }

    private static LatencySummary cacheLine(int roundTrips) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment ball = arena.allocate(128, 64);
            AtomicLong echoed = new AtomicLong();
            Thread echo = Thread.ofPlatform().daemon().name("calibrate-echo").start(() -> {
                long expect = 1;
                for (int i = 0; i < roundTrips; i++, expect += 2) {
                    if (!await(ball, expect)) {
                        return;
                    }
                    LONG.setVolatile(ball, 0L, expect + 1);
                    echoed.incrementAndGet();
                }
            });
            Histogram histogram = LatencySummary.histogram();
            long serve = 1;
            for (int i = 0; i < roundTrips; i++, serve += 2) {
                long t0 = System.nanoTime();
                LONG.setVolatile(ball, 0L, serve);
                if (!await(ball, serve + 1)) {
                    break;
                }
                histogram.recordValue(System.nanoTime() - t0);
            }
            LONG.setVolatile(ball, 0L, -1L);
            joinQuietly(echo);
            return LatencySummary.of(histogram);
        }
    }

    /** Spins for the value, yielding after the first 100 µs so that a descheduled peer gets its core; false past the limit. */
    private static boolean await(MemorySegment ball, long value) {
        long start = System.nanoTime();
        long seen;
        while ((seen = (long) LONG.getVolatile(ball, 0L)) != value) {
            if (seen == -1L) {
                return false;
            }
            long waited = System.nanoTime() - start;
            if (waited > WAIT_LIMIT_NS) {
                return false;
            }
            if (waited > 100_000) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return true;
    }

    private static LatencySummary wakeUps(int roundTrips) {
        Histogram histogram = LatencySummary.histogram();
        Thread main = Thread.currentThread();
        AtomicLong token = new AtomicLong();
        Thread echo = Thread.ofPlatform().daemon().name("calibrate-wake").start(() -> {
            for (long expect = 1; expect <= 2L * roundTrips - 1; expect += 2) {
                if (!parkUntil(token, expect)) {
                    return;
                }
                token.set(expect + 1);
                LockSupport.unpark(main);
            }
        });
        for (long serve = 1; serve <= 2L * roundTrips - 1; serve += 2) {
            long t0 = System.nanoTime();
            token.set(serve);
            LockSupport.unpark(echo);
            if (!parkUntil(token, serve + 1)) {
                break;
            }
            histogram.recordValue(System.nanoTime() - t0);
        }
        token.set(-1);
        LockSupport.unpark(echo);
        joinQuietly(echo);
        return LatencySummary.of(histogram);
    }

    private static boolean parkUntil(AtomicLong token, long value) {
        long deadline = System.nanoTime() + WAIT_LIMIT_NS;
        long seen;
        while ((seen = token.get()) != value) {
            if (seen == -1 || System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(token, WAIT_LIMIT_NS);
        }
        return true;
    }

    private static double syscallNanos(int calls) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find("getppid");
        if (symbol.isEmpty()) {
            return -1;
        }
        MethodHandle getppid = linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            int sink = 0;
            for (int i = 0; i < calls / 10; i++) {
                sink += (int) getppid.invokeExact();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                sink += (int) getppid.invokeExact();
            }
            long took = System.nanoTime() - t0;
            kept = sink; // the calls' results are used: the JIT cannot drop them
            return (double) took / calls;
        } catch (Throwable e) {
            return -1;
        }
    }

    private static LatencySummary parks(int parks) {
        Histogram histogram = LatencySummary.histogram();
        for (int i = 0; i < parks; i++) {
            long t0 = System.nanoTime();
            LockSupport.parkNanos(1_000);
            histogram.recordValue(System.nanoTime() - t0);
        }
        return LatencySummary.of(histogram);
    }

    private static long nanoTimeStep() {
        long smallest = Long.MAX_VALUE;
        for (int i = 0; i < 1_000; i++) {
            long a = System.nanoTime();
            long b;
            while ((b = System.nanoTime()) == a) {
                Thread.onSpinWait();
            }
            smallest = Math.min(smallest, b - a);
        }
        return smallest;
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(WAIT_LIMIT_NS) * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Load(double average, int runnable) {
        static Load read() {
            try {
                String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
                return new Load(Double.parseDouble(fields[0]), Integer.parseInt(fields[3].substring(0, fields[3].indexOf('/'))));
            } catch (IOException | RuntimeException e) {
                return new Load(java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), -1);
            }
        }
    }
}
