package io.archipelago.kernel.platform;

import java.util.concurrent.locks.LockSupport;

/**
 * Pays a modelled platform's cost where the host's own was lower (README, "A platform model"):
 * the calling thread is held for the modelled time, measured on the host's monotonic clock from
 * the moment the cost began. Short costs are spun (a park would overshoot them by the timer's
 * slack, tens of microseconds here); the bulk of a long one is parked, and only its last stretch
 * spun, so no wait spins for more than {@link #SPIN_NANOS}.
 */
public final class ModelledDelay {

    /** The longest stretch spun: what is left of a cost after parking, or a short cost whole. */
    static final long SPIN_NANOS = 50_000;

    private ModelledDelay() {
    }

    /** Holds the caller until {@code nanos} after {@code since} (host monotonic ns); returns at once for a cost of 0. */
    public static void until(long since, long nanos) {
        if (nanos <= 0) {
            return;
        }
        long due = since + nanos;
        long left;
        while ((left = due - System.nanoTime()) > SPIN_NANOS) {
            LockSupport.parkNanos(left - SPIN_NANOS);
        }
        while (due - System.nanoTime() > 0) {
            Thread.onSpinWait();
        }
    }

    /** Holds the caller for {@code nanos} from now. */
    public static void pay(long nanos) {
        if (nanos > 0) {
            until(System.nanoTime(), nanos);
        }
    }
}
