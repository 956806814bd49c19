package io.archipelago.kernel.boot;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * How late a timed wait of this process may end: Linux's per-thread timer slack, set once at boot,
 * before the kernel starts its threads (each inherits its creator's).
 * <p>
 * Why: a kernel waits in short bounded parks (the DSM requester's back-off after BUSY, a core
 * pacing ahead of virtual time, a polling thread between looks: "spin briefly, then park"). The
 * host's default slack of 50 µs lets the timer expire that much later, so on this machine
 * {@code parkNanos(2 µs)} sleeps about 70 µs and every such wait costs a DSM exchange or a step
 * tens of microseconds more than it asked for. At 1 µs the same park sleeps about 23 µs here (the
 * timer interrupt and the halted vCPU's exit remain). Real-time and low-latency programs lower it
 * the same way ({@code prctl(PR_SET_TIMERSLACK)}); it costs no CPU while nothing waits.
 */
public final class TimerSlack {

    /** The property that sets it, in nanoseconds; 0 leaves the host's default. */
    public static final String PROPERTY = "archipelago.timer-slack-ns";
    /** 1 µs: short parks end close to when they were asked to. */
    public static final long DEFAULT_NANOS = 1_000;

    private static final int PR_SET_TIMERSLACK = 29;
    private static final int PR_GET_TIMERSLACK = 30;

    private TimerSlack() {
    }

    /**
     * Sets the calling thread's timer slack (threads it starts afterwards inherit it) from
     * {@link #PROPERTY}, default {@link #DEFAULT_NANOS}.
     *
     * @return the slack now in force in nanoseconds, or empty where it cannot be set (not Linux)
     */
    public static Optional<Long> applyConfigured() {
        long nanos = Long.getLong(PROPERTY, DEFAULT_NANOS);
        if (nanos < 0) {
            throw new IllegalArgumentException("timer slack: expected 0 (the host's default) or a positive number of nanoseconds, found "
                + nanos + " (" + PROPERTY + ")");
        }
        return nanos == 0 ? current() : set(nanos);
    }

    /** Sets the calling thread's slack; empty where prctl is not available. */
    static Optional<Long> set(long nanos) {
        return prctl().flatMap(prctl -> {
            try {
                int result = (int) prctl.invokeExact(PR_SET_TIMERSLACK, nanos, 0L, 0L, 0L);
                return result == 0 ? current() : Optional.empty();
            } catch (Throwable e) {
                return Optional.empty();
            }
        });
    }

    /** The calling thread's slack in nanoseconds; empty where prctl is not available. */
    static Optional<Long> current() {
        return prctl().flatMap(prctl -> {
            try {
                int result = (int) prctl.invokeExact(PR_GET_TIMERSLACK, 0L, 0L, 0L, 0L);
                return result < 0 ? Optional.empty() : Optional.of((long) result);
            } catch (Throwable e) {
                return Optional.empty();
            }
        });
    }

    private static Optional<MethodHandle> prctl() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return Optional.empty();
        }
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("prctl").map(address -> linker.downcallHandle(address, FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)));
    }
}
