package io.archipelago.coordinator;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Judges a kernel's liveness by its heartbeat count (a number the kernel advances in its counters
 * area, {@code KernelCountersArea.beat()}) against <em>this</em> process's monotonic clock: a
 * kernel has been silent for as long as this observer has seen its count unchanged. No wall clock
 * is read, the kernel's or ours, so a step of one (NTP, a suspended VM, a user's {@code date -s})
 * declares nobody dead; and the age {@code status} shows is measured the same way.
 * <p>
 * A kernel is first seen when the judge is first asked about its incarnation: it is given from
 * then on, so a coordinator that starts watching a running cluster gives every kernel a full
 * {@code dead-after} before it can judge it. Thread-safe.
 */
final class HeartbeatJudge {

    /** What the observer saw last of one kernel: its incarnation, its count, and when the count last changed (monotonic). */
    private record Seen(long incarnation, long beats, long changedAtNanos) {
    }

    private final LongSupplier nanoClock;
    private final Map<Integer, Seen> seen = new ConcurrentHashMap<>();

    HeartbeatJudge() {
        this(System::nanoTime);
    }

    /** @param nanoClock the observer's monotonic clock in nanoseconds ({@code System::nanoTime}; a test's own) */
    HeartbeatJudge(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /**
     * Observes a kernel's heartbeat count now and returns how long this observer has seen it
     * unchanged, in nanoseconds (0 when it just moved, or when this incarnation is seen first).
     *
     * @param beats the count read from the kernel's counters area, or any constant (e.g. -1) while the area is
     *              not yet the incarnation's (a booting kernel): its silence then runs from when it was first seen
     */
    long silenceNanos(int kernelId, long incarnation, long beats) {
        long now = nanoClock.getAsLong();
        Seen last = seen.compute(kernelId, (id, previous) ->
            previous == null || previous.incarnation() != incarnation || previous.beats() != beats ? new Seen(incarnation, beats, now)
                : previous);
        return Math.max(0, now - last.changedAtNanos());
    }

    /** Forgets a kernel (its record is gone). */
    void forget(int kernelId) {
        seen.remove(kernelId);
    }
}
