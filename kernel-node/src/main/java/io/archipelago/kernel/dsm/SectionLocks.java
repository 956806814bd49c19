package io.archipelago.kernel.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The locks that make one kernel's exclusive sections over the same pages run one at a time,
 * one per stripe of pages: one compare-and-set to take, one release store to give back (a
 * section's whole cost, when its pages are held, is about one atomic instruction), re-entrant
 * for a thread that nests sections over one stripe. A waiter spins briefly, then yields, then
 * parks in short steps (a holder may be faulting a page in for a while; with 2 cores a spinning
 * waiter could keep it off the core it needs).
 *
 * <pre>
 *   words: one long per stripe, 64 bytes apart (no false sharing between stripes)
 *   +----------------------+--- 56 bytes ---+----------------------+---
 *   | owner thread id or 0 |    padding     | owner thread id or 0 |
 *   +----------------------+----------------+----------------------+---
 *   depth: per stripe, how many more times the owner entered (touched by the owner only)
 * </pre>
 */
final class SectionLocks {

    private static final int SPACING = 8;
    private static final int SPINS = 64;
    private static final int YIELDS = 16;
    private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words;
    private final int[] depth;

    SectionLocks(int stripes) {
        this.words = new long[stripes * SPACING];
        this.depth = new int[stripes * SPACING];
    }

    /** Takes the stripe; true when this thread held it already (a nested section: {@link #unlockTaken} then counts down). */
    boolean lock(int stripe) {
        int at = stripe * SPACING;
        long self = Thread.currentThread().threadId();
        if (!WORD.compareAndSet(words, at, 0L, self)) {
            return lockTaken(at, self);
        }
        return false;
    }

    /** The stripe was not free: this thread's own (a nested section), or another's to wait for. */
    private boolean lockTaken(int at, long self) {
        if ((long) WORD.getOpaque(words, at) == self) {
            depth[at]++;
            return true;
        }
        for (int attempt = 0; ; attempt++) {
            if ((long) WORD.getVolatile(words, at) == 0L && WORD.compareAndSet(words, at, 0L, self)) {
                return false;
            }
            if (attempt < SPINS) {
                Thread.onSpinWait();
            } else if (attempt < SPINS + YIELDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
    }

    void unlock(int stripe) {
        int at = stripe * SPACING;
        if ((long) WORD.getOpaque(words, at) != Thread.currentThread().threadId()) {
            throw notHeld(stripe);
        }
        if (depth[at] > 0) {
            depth[at]--;
            return;
        }
        WORD.setRelease(words, at, 0L);
    }

    /**
     * Gives back a stripe the caller took with {@link #lock} ({@code nested}: what it returned)
     * and holds for sure (a section that closes in the {@code finally} of its own opening): no
     * owner check, one release store.
     */
    void unlockTaken(int stripe, boolean nested) {
        int at = stripe * SPACING;
        if (nested) {
            depth[at]--;
            return;
        }
        WORD.setRelease(words, at, 0L);
    }

    private static IllegalMonitorStateException notHeld(int stripe) {
        return new IllegalMonitorStateException("section stripe " + stripe + " unlocked by thread " + Thread.currentThread().getName()
            + ", which does not hold it");
    }
}
