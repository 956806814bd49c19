package io.archipelago.kernel.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The locks that make one kernel's exclusive sections over the same pages run one at a time,
 * one per stripe of pages, re-entrant for a thread that nests sections over one stripe.
 * <p>
 * Two ways to hold a stripe:
 * <ul>
 *   <li><b>for a section</b> ({@link #lock}, {@link #unlock}): one compare-and-set to take it,
 *       one release store to give it back when the thread's last section over it closes (a
 *       thread outside a use, a section over several pages);</li>
 *   <li><b>for a use</b> ({@link #enterForUse}, {@link #exit}): a thread in a use (see
 *       {@code HeldPages}) keeps the stripe after its section closes, as it keeps the section's
 *       page, and lets it go at its next quiescent point if another thread of this kernel asked
 *       for it meanwhile ({@link #requested}, {@link #releaseIdle}), or when it may wait. Its
 *       later sections over the stripe take it with a plain load and a comparison: no atomic
 *       instruction (K2's "held until someone asks for it", applied to the kernel's own threads).</li>
 * </ul>
 * A stripe threads had to wait for is held per section again (the first way) until 4,096 sections in a
 * row found it free, so that threads taking turns at one stripe each get in when the other's section
 * closes rather than at its quiescent point.
 * <p>
 * A thread that finds the stripe held for another's use sets {@link #REQUESTED} in the word
 * and waits for that thread's quiescent point (a benchmark batch, a scheduler step); before it
 * parks it lets go of what it holds itself for its use ({@code waiting}, run once per wait), so
 * two threads never wait for each other's idle stripes. A waiter spins briefly, then yields,
 * then parks in short steps (a holder may be faulting a page in for a while; with 2 cores a
 * spinning waiter could keep it off the core it needs), and gives up after {@link #WAIT_LIMIT_NANOS}
 * with an error naming the holder.
 *
 * <pre>
 *   words: one long per stripe, 64 bytes apart (no false sharing between stripes)
 *   +-------------------------------------------+---+---+--- 56 bytes ---+---
 *   | owner thread id (bits 63..2), 0 when free | R | U |    padding     | next stripe
 *   +-------------------------------------------+---+---+----------------+---
 *     U (bit 0): held for the owner's use, kept after its sections close
 *     R (bit 1): another thread asked for it (set by the waiter's compare-and-set)
 *   depth: per stripe, how many of the owner's sections over it are open (touched by the owner only)
 * </pre>
 */
final class SectionLocks {

    private static final int SPACING = 8;
    private static final int SPINS = 64;
    private static final int YIELDS = 16;
    private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    /** In a word: held for the owner's use. */
    static final long USE = 1;
    /** In a word: another thread waits for the stripe. */
    static final long REQUESTED = 2;

    private final String region;
    private final long[] words;
    private final int[] depth;
    /** Per stripe: threads waited for it lately, so that it is held per section, not kept for uses ({@link #enterForUse}). */
    private final boolean[] contended;
    /** Per stripe, while contended: sections in a row that found it free. */
    private final int[] calm;
    /** Sections in a row that find a contended stripe free before it is kept for uses again. */
    private static final int CALM_SECTIONS = 4096;

    SectionLocks(int stripes, String region) {
        this.region = region;
        this.words = new long[stripes * SPACING];
        this.depth = new int[stripes * SPACING];
        this.contended = new boolean[stripes * SPACING];
        this.calm = new int[stripes * SPACING];
    }

    private static long self() {
        return Thread.currentThread().threadId() << 2;
    }

    /** Takes the stripe for one section (closed by {@link #unlock} or {@link #exit}); nests over a stripe this thread holds. */
    void lock(int stripe, Runnable waiting) {
        int at = stripe * SPACING;
        long self = self();
        if (WORD.compareAndSet(words, at, 0L, self)) {
            depth[at] = 1;
            return;
        }
        take(at, self, self, waiting);
    }

    /**
     * Takes the stripe for a section of a thread in a use: with a plain load when the thread
     * holds it for its use already; else taken (or waited for) and kept after the section closes.
     * Returns whether the stripe is now held for the use (else this thread held it for an open
     * section of its own, which gives it back).
     */
    boolean enterForUse(int stripe, Runnable waiting) {
        int at = stripe * SPACING;
        long self = self();
        if (((long) WORD.getOpaque(words, at) & ~REQUESTED) == (self | USE)) {
            depth[at]++;
            return true;
        }
        if (contended[at]) {
            // threads take turns at this stripe: held per section, so that each gets in as soon as the other's section
            // closes, not only at its quiescent point; kept for uses again after a run of sections that found it free
            if (WORD.compareAndSet(words, at, 0L, self)) {
                depth[at] = 1;
                if (++calm[at] >= CALM_SECTIONS) {
                    contended[at] = false;
                }
                return false;
            }
            return take(at, self, self, waiting);
        }
        return take(at, self, self | USE, waiting);
    }

    /** Closes one section over the stripe ({@code forUse}: what {@link #enterForUse} returned; false after {@link #lock}). */
    void exit(int stripe, boolean forUse) {
        int at = stripe * SPACING;
        if (--depth[at] == 0 && !forUse) {
            WORD.setRelease(words, at, 0L);
        }
    }

    /** {@link #exit} with a check that this thread holds the stripe, for a section closed the general way. */
    void unlock(int stripe) {
        int at = stripe * SPACING;
        long word = (long) WORD.getOpaque(words, at);
        if ((word >>> 2) != Thread.currentThread().threadId() || depth[at] == 0) {
            throw notHeld(stripe);
        }
        exit(stripe, (word & USE) != 0);
    }

    /** Whether another thread waits for a stripe held for a use. */
    boolean requested(int stripe) {
        return ((long) WORD.getOpaque(words, stripe * SPACING) & REQUESTED) != 0;
    }

    /** The owner, at a quiescent point or before it waits: gives back a stripe it holds for its use, unless a section of it is open. */
    void releaseIdle(int stripe) {
        int at = stripe * SPACING;
        long word = (long) WORD.getOpaque(words, at);
        if ((word & USE) != 0 && (word >>> 2) == Thread.currentThread().threadId() && depth[at] == 0) {
            WORD.setRelease(words, at, 0L);
        }
    }

    /** The stripe was not free: this thread's own (nested), or another's to wait for. */
    private boolean take(int at, long self, long mine, Runnable waiting) {
        long word = (long) WORD.getVolatile(words, at);
        if ((word >>> 2) == (self >>> 2)) {
            depth[at]++;
            return (word & USE) != 0;
        }
        // a heuristic, read and written without synchronisation: it decides how the stripe is held, never whether
        contended[at] = true;
        calm[at] = 0;
        long deadline = 0;
        for (int attempt = 0; ; attempt++) {
            word = (long) WORD.getVolatile(words, at);
            if (word == 0L) {
                if (WORD.compareAndSet(words, at, 0L, mine)) {
                    depth[at] = 1;
                    return (mine & USE) != 0;
                }
                continue;
            }
            if ((word & (USE | REQUESTED)) == USE) {
                // held for another thread's use: it gives the stripe back at its next quiescent point once asked
                WORD.compareAndSet(words, at, word, word | REQUESTED);
            }
            if (attempt < SPINS) {
                Thread.onSpinWait();
            } else if (attempt < SPINS + YIELDS) {
                if (attempt == SPINS) {
                    waiting.run();
                }
                Thread.yield();
            } else {
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + WAIT_LIMIT_NANOS;
                } else if (now - deadline > 0) {
                    throw new IllegalStateException("an exclusive section of region '" + region + "' waited "
                        + TimeUnit.NANOSECONDS.toSeconds(WAIT_LIMIT_NANOS) + " s for stripe " + (at / SPACING) + ", held by thread "
                        + (word >>> 2) + ((word & USE) != 0 ? " for its use (it has not reached a quiescent point: a use that never "
                        + "ends, or a thread that ended without HeldPages.end)" : " in a section that has not closed"));
                }
                LockSupport.parkNanos(this, PARK_NANOS);
            }
        }
    }

    private static IllegalMonitorStateException notHeld(int stripe) {
        return new IllegalMonitorStateException("section stripe " + stripe + " unlocked by thread " + Thread.currentThread().getName()
            + ", which does not hold it");
    }
}
