package io.archipelago.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProcessCpuTest {

    @Test
    void readsUserAndSystemTicksAfterACommandNameWithSpacesAndParentheses() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 30 0 1000 0 0";
        assertEquals(325, ProcessCpu.parseTicks(stat));
    }

    @Test
    void refusesALineThatIsNotAStatLine() {
        assertThrows(IllegalArgumentException.class, () -> ProcessCpu.parseTicks("no parenthesis here"));
    }

    @Test
    void aBusyThreadOfThisProcessShowsAsCpu() throws Exception {
        long self = ProcessHandle.current().pid();
        java.util.concurrent.atomic.AtomicLong threadCpu = new java.util.concurrent.atomic.AtomicLong();
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long before = ProcessCpu.cpuNanos(self);
        Thread busy = Thread.ofPlatform().daemon().start(() -> {
            long until = System.nanoTime() + Duration.ofMillis(400).toNanos();
            long x = 0;
            while (System.nanoTime() - until < 0) {
                x += System.nanoTime() & 1;
            }
            threadCpu.set(threads.getCurrentThreadCpuTime() + (x == -1 ? 1 : 0));
        });
        busy.join();
        long used = ProcessCpu.cpuNanos(self) - before;
        // whatever the machine's load, the process used at least what its busy thread used (within two 10 ms ticks)
        assertTrue(threadCpu.get() > 0, "the busy thread ran");
        assertTrue(used >= threadCpu.get() - 20_000_000L, "the process's CPU (" + used / 1e6 + " ms) includes its busy thread's ("
            + threadCpu.get() / 1e6 + " ms)");
    }

    @Test
    void watchesForTheWholeWindowAndCountsNothingForAProcessThatIsGone() {
        long start = System.nanoTime();
        double percent = ProcessCpu.percentOfOneCore(List.of((long) Integer.MAX_VALUE), Duration.ofMillis(200));
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(200).toNanos(), "the window was watched to its end");
        assertEquals(0.0, percent, "a process that does not exist used no CPU");
    }
}
