package io.archipelago.interconnect.mailbox.internal;

import java.util.Queue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * K2's requester wait: spin briefly (the answer usually comes within a round trip), then park
 * until woken or the deadline passes. With two cores shared by several kernels an unbounded spin
 * would starve the very peer we wait for, so the spin is short and the wait always bounded.
 */
public final class BoundedWait {

    private BoundedWait() {
    }

    /**
     * Waits until {@code condition} holds or {@code deadlineNanos} (a {@link System#nanoTime()}
     * value) passes. While parked the thread is registered in {@code waiters}, so whoever makes
     * the condition true can unpark it.
     *
     * @return whether the condition holds
     */
    public static boolean until(BooleanSupplier condition, long spinNanos, long deadlineNanos, Queue<Thread> waiters) {
        if (condition.getAsBoolean()) {
            return true;
        }
        long start = System.nanoTime();
        long spinEnd = start + Math.min(spinNanos, Math.max(0, deadlineNanos - start));
        while (System.nanoTime() - spinEnd < 0) {
            for (int i = 0; i < 32; i++) {
                Thread.onSpinWait();
            }
            if (condition.getAsBoolean()) {
                return true;
            }
        }
        Thread self = Thread.currentThread();
        waiters.add(self);
        try {
            while (!condition.getAsBoolean()) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    return condition.getAsBoolean();
                }
                LockSupport.parkNanos(waiters, remaining);
                if (Thread.interrupted()) {
                    self.interrupt();
                    return condition.getAsBoolean();
                }
            }
            return true;
        } finally {
            waiters.remove(self);
        }
    }

    /** Wakes every thread parked in {@link #until} on these waiters. */
    public static void wakeAll(Queue<Thread> waiters) {
        if (!waiters.isEmpty()) {
            for (Thread waiter : waiters) {
                LockSupport.unpark(waiter);
            }
        }
    }
}
