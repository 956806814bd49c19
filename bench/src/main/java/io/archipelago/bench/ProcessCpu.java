package io.archipelago.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU time of processes, from {@code /proc/<pid>/stat} (user + system time of all their
 * threads): what an idle cluster costs the machine.
 */
public final class ProcessCpu {

    /** Linux reports process times in USER_HZ ticks, 100 per second on every architecture's ABI. */
    static final long TICKS_PER_SECOND = 100;

    private ProcessCpu() {
    }

    /** The CPU time of {@code pid} so far, in nanoseconds; 0 for a process that is gone. */
    public static long cpuNanos(long pid) {
        try {
            return ticksToNanos(parseTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException e) {
            return 0;
        }
    }

    /** utime + stime from a {@code /proc/<pid>/stat} line: fields 14 and 15, counted after the command name's closing parenthesis. */
    static long parseTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: no ')' after the command name in '" + stat + "'");
        }
        String[] fields = stat.substring(close + 2).trim().split("\\s+");
        // fields[0] is the state (field 3), so field n is fields[n - 3]
        return Long.parseLong(fields[14 - 3]) + Long.parseLong(fields[15 - 3]);
    }

    private static long ticksToNanos(long ticks) {
        return ticks * (TimeUnit.SECONDS.toNanos(1) / TICKS_PER_SECOND);
    }

    /**
     * Watches {@code pids} for {@code window} and returns the CPU they used together, in percent of
     * one core (100 = one core busy the whole window).
     */
    public static double percentOfOneCore(Collection<Long> pids, Duration window) {
        long before = pids.stream().mapToLong(ProcessCpu::cpuNanos).sum();
        long start = System.nanoTime();
        long end = start + window.toNanos();
        long now;
        while ((now = System.nanoTime()) - end < 0) {
            LockSupport.parkNanos(end - now);
        }
        long used = pids.stream().mapToLong(ProcessCpu::cpuNanos).sum() - before;
        return used * 100.0 / (now - start);
    }
}
