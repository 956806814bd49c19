package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxRingsArea;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.function.IntPredicate;

/**
 * The FIFO of one ordered pair of members (sender, receiver) in global memory, for pairs whose
 * ends map the same memory file: Barrelfish's URPC channel, or the OMAP4 mailbox's FIFO of
 * memory-mapped registers. Several threads of the sender may write at once (a position is
 * claimed by a compare-and-set on the tail, the word then published in its slot, as Agrona's
 * many-to-one ring buffer does); the receiver's interrupt context reads, and a thread of the
 * receiver waiting for its reply may take that reply itself when it is the oldest word (a
 * compare-and-set on the head decides who consumed it). A word leaves the FIFO when its handler
 * has run or has sent something back to the sender, not when it is read (the released count), as
 * on a socket link, where a word stuck in its handler holds its credit and a reply carries it back. Little-endian, like every platform structure.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |     epoch (64-bit, release-stored by the receiver; 0: unbound) |   0  line 0: written once per link
 *  +---------------------------------------------------------------+
 *  |     receiver's FIFO depth       |          reserved           |   8
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 64                        |  12
 *  +---------------------------------------------------------------+
 *  |  tail: epoch tag (32) | position (32), CAS by senders         |  64  line 1: the senders'
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 128                       |  72
 *  +---------------------------------------------------------------+
 *  |  head: epoch tag (32) | position (32), CAS by the receiver    | 128  line 2: the receiver's
 *  +---------------------------------------------------------------+
 *  |  released: epoch tag (32) | words handled (32), CAS           | 136
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 192                       | 144
 *  +---------------------------------------------------------------+
 *  |  slot 0: slot tag (32) | word (32)  |  ...  |  slot 7          | 192  line 3: 8 slots of 64 bits
 *  +---------------------------------------------------------------+
 *  |  send time of slot 0 (64, host monotonic ns) | ... | slot 7     | 256  line 4: 8 stamps of 64 bits,
 *  +---------------------------------------------------------------+       written only under a modelled latency
 *
 *  epoch tag  = the link's epoch folded to 32 bits, never 0
 *  slot tag(p) = ((epoch tag + p) << 1) | 1 for the word at position p, in slot p % 8;
 *                0 in a slot never written since the receiver bound the ring
 * </pre>
 * <p>
 * A sender claims position p only while p - released &lt; the receiver's FIFO depth (at most
 * {@link #CAPACITY}; released never passes head), so the slot of p holds either the word of p - 8 (consumed), 0, or the word of
 * p: the receiver reads position p's word only when its tag says p. The epoch ties the ring to
 * one authenticated link: the receiver binds the ring to a new link by clearing it and storing the
 * link's epoch; a sender still holding the previous link finds another tag in the tail and fails,
 * and a word it published late carries a tag of the old epoch, which the receiver drops and
 * counts. Positions are 32-bit and wrap; differences are taken in 32-bit arithmetic.
 * <p>
 * A modelled platform (README, "A platform model") gives the pair a one-way latency, the same at
 * both ends ({@link #holdNanos}). Then the sender writes the word's send time (the host's
 * monotonic clock, which both ends share on one host) in the stamp of its slot before it
 * publishes the word, and the receiver delivers the word no earlier than that time plus the
 * latency: a word not yet due stays in its slot ({@link #NOT_DUE}), holding its place in the
 * FIFO, so order and backpressure are the hardware's. With no latency (the host platform) no
 * stamp is written or read: one branch on each side.
 */
final class MailboxRing {

    /** The offsets below fill it exactly; the rings area's size is the API's, so that contexts check it without this class. */
    static final int BYTES = MailboxRingsArea.RING_BYTES;
    /** Slots per ring: the largest FIFO depth a ring carries (deeper FIFOs keep their words on the socket). */
    static final int CAPACITY = 8;
    static final long EPOCH_OFFSET = 0;
    static final long DEPTH_OFFSET = 8;
    static final long TAIL_OFFSET = 64;
    static final long HEAD_OFFSET = 128;
    static final long RELEASED_OFFSET = 136;
    static final long SLOTS_OFFSET = 192;
    static final long STAMPS_OFFSET = 256;
    /**
     * A held word due sooner than this: the receiver keeps looking (the loop does not block, as
     * {@link #maybeReady} says a word waits); due later, the loop may block until a timer at its
     * due time ({@link #heldUntil}), as a wake-up costs tens of microseconds here.
     */
    static final long NEAR_NANOS = 20_000;

    /** {@link #offer} results. */
    static final int OFFERED = 0;
    static final int FULL = 1;
    /** The ring is not bound to the sender's link (not yet, or no longer). */
    static final int UNBOUND = 2;

    /** {@link #poll} results that are not words (a word is returned as its unsigned value). */
    static final long EMPTY = -1;
    static final long STALE_DROPPED = -2;
    /** The oldest word is not yet due under the modelled latency: it stays in the ring ({@link #heldUntil} says until when). */
    static final long NOT_DUE = -4;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment ring;
    /**
     * (sender) The released word as a sender last read it: the FIFO has room for position p while
     * p - released &lt; depth, and released only grows within an epoch, so a value seen earlier can
     * only make the ring look fuller than it is. Senders read the receiver's line again only when
     * it looks full, so that line stays with the receiver while the FIFO has room (Agrona's cached
     * head). Racy by design: any value a sender of this epoch stored was true once.
     */
    private long releasedSeen;
    /** The pair's modelled one-way latency in nanoseconds; 0: no stamps written or read. */
    private final long holdNanos;
    /** (receiver) When the word last found {@link #NOT_DUE} becomes due (host monotonic ns). */
    private volatile long heldUntil;

    MailboxRing(MemorySegment ring) {
        this(ring, 0);
    }

    MailboxRing(MemorySegment ring, long holdNanos) {
        if (ring.byteSize() != BYTES) {
            throw new IllegalArgumentException("a mailbox ring is " + BYTES + " bytes, found " + ring.byteSize());
        }
        if (holdNanos < 0) {
            throw new IllegalArgumentException("a modelled word latency is never negative, found " + holdNanos + " ns");
        }
        this.ring = ring;
        this.holdNanos = holdNanos;
    }

    long holdNanos() {
        return holdNanos;
    }

    /** (receiver) When the word last found not yet due becomes due, in host monotonic ns. */
    long heldUntil() {
        return heldUntil;
    }

    /** The 32-bit tag of an epoch as it appears in the head, the tail and the slots (never 0). */
    static int tag(long epoch) {
        int folded = (int) (epoch ^ epoch >>> 32);
        return folded == 0 ? 1 : folded;
    }

    static int slotTag(int epochTag, int position) {
        return (epochTag + position) << 1 | 1;
    }

    long epoch() {
        return (long) LONG.getAcquire(ring, EPOCH_OFFSET);
    }

    /**
     * (receiver) Binds the ring to a link: clears it and publishes the link's epoch, after which
     * the link's sender may write. Words of the previous epoch still in the ring are discarded.
     *
     * @return how many words of the previous epoch were discarded unread
     */
    int bind(long epoch, int depth) {
        if (epoch == 0) {
            throw new IllegalArgumentException("a ring epoch is never 0 (0 marks an unbound ring)");
        }
        if (depth < 1 || depth > CAPACITY) {
            throw new IllegalArgumentException("a mailbox ring carries a FIFO depth of 1 to " + CAPACITY + ", found " + depth);
        }
        int left = 0;
        long oldHead = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        long oldTail = (long) LONG.getVolatile(ring, TAIL_OFFSET);
        if (epoch() != 0 && (int) (oldHead >>> 32) == (int) (oldTail >>> 32)) {
            left = Math.max(0, Math.min(CAPACITY, (int) oldTail - (int) oldHead));
        }
        LONG.setVolatile(ring, EPOCH_OFFSET, 0L);
        int tag = tag(epoch);
        long start = (long) tag << 32;
        LONG.setVolatile(ring, TAIL_OFFSET, start);
        LONG.setVolatile(ring, HEAD_OFFSET, start);
        LONG.setVolatile(ring, RELEASED_OFFSET, start);
        for (int i = 0; i < CAPACITY; i++) {
            LONG.setVolatile(ring, SLOTS_OFFSET + 8L * i, 0L);
            LONG.setVolatile(ring, STAMPS_OFFSET + 8L * i, 0L);
        }
        INT.setVolatile(ring, DEPTH_OFFSET, depth);
        LONG.setRelease(ring, EPOCH_OFFSET, epoch);
        return left;
    }

    /** (receiver) Unbinds the ring: a sender still holding the link finds it unbound. */
    void unbind(long epoch) {
        LONG.compareAndSet(ring, EPOCH_OFFSET, epoch, 0L);
    }

    /**
     * (sender, any thread) Puts a word at the tail, if the ring is bound to this epoch and the
     * receiver's FIFO has room.
     *
     * @return {@link #OFFERED}, {@link #FULL} or {@link #UNBOUND}
     */
    int offer(long epoch, int word) {
        int tag = tag(epoch);
        while (true) {
            if (epoch() != epoch) {
                return UNBOUND;
            }
            long tail = (long) LONG.getVolatile(ring, TAIL_OFFSET);
            if ((int) (tail >>> 32) != tag) {
                return UNBOUND;
            }
            int position = (int) tail;
            int depth = (int) INT.getVolatile(ring, DEPTH_OFFSET);
            long released = releasedSeen;
            int ahead = position - (int) released;
            if ((int) (released >>> 32) != tag || ahead < 0 || ahead >= depth) {
                released = (long) LONG.getVolatile(ring, RELEASED_OFFSET);
                if ((int) (released >>> 32) != tag) {
                    return UNBOUND;
                }
                releasedSeen = released;
                if (position - (int) released >= depth) {
                    return FULL;
                }
            }
            if (LONG.compareAndSet(ring, TAIL_OFFSET, tail, tail + 1 & 0xFFFF_FFFFL | (long) tag << 32)) {
                if (holdNanos > 0) {
                    // ordered before the word by the release store below: a receiver that sees the word sees its time
                    LONG.setOpaque(ring, stampOffset(position), System.nanoTime());
                }
                LONG.setRelease(ring, slotOffset(position), (long) slotTag(tag, position) << 32 | word & 0xFFFF_FFFFL);
                return OFFERED;
            }
        }
    }

    /**
     * (receiver, any thread) A word taken by {@link #poll} or {@link #takeIf} was handled: its
     * place in the FIFO is free again. Nothing happens when the ring was bound anew meanwhile.
     */
    void release(long epoch) {
        int tag = tag(epoch);
        while (true) {
            long released = (long) LONG.getVolatile(ring, RELEASED_OFFSET);
            if ((int) (released >>> 32) != tag
                || LONG.compareAndSet(ring, RELEASED_OFFSET, released, released + 1 & 0xFFFF_FFFFL | (long) tag << 32)) {
                return;
            }
        }
    }

    /**
     * (receiver) Takes the oldest word; the caller {@link #release}s it once handled.
     *
     * @return the word as an unsigned value, {@link #EMPTY} when there is none (or the ring is bound
     *         to another epoch), or {@link #STALE_DROPPED} when a word of another epoch was found
     *         in the oldest slot and dropped
     */
    long poll(long epoch) {
        return take(epoch, null);
    }

    /**
     * (receiver, any thread) Takes the oldest word only if {@code wanted} accepts it: a thread
     * waiting for its reply takes the reply itself, and leaves every other word, in order, to the
     * interrupt context.
     */
    long takeIf(long epoch, IntPredicate wanted) {
        return take(epoch, wanted);
    }

    private long take(long epoch, IntPredicate wanted) {
        while (true) {
            long taken = takeAt(epoch, wanted, (long) LONG.getVolatile(ring, HEAD_OFFSET));
            if (taken != RETRY) {
                return taken;
            }
        }
    }

    /** {@link #takeAt}: the head moved meanwhile, look again. */
    static final long RETRY = -3;

    /**
     * One attempt at the word at {@code head}, as the caller read it. A taker that read the head
     * and was then descheduled may find the slot already holding the word 8 positions later (the
     * word it meant was taken and released meanwhile, and the sender wrote the next lap): only a
     * head that has not moved since the slot was read says that a foreign tag in it is another
     * epoch's.
     */
    long takeAt(long epoch, IntPredicate wanted, long head) {
        int tag = tag(epoch);
        {
            if ((int) (head >>> 32) != tag) {
                return EMPTY;
            }
            int position = (int) head;
            long offset = slotOffset(position);
            long slot = (long) LONG.getAcquire(ring, offset);
            int found = (int) (slot >>> 32);
            if (found == slotTag(tag, position)) {
                int word = (int) slot;
                if (wanted != null && !wanted.test(word)) {
                    return EMPTY;
                }
                if (holdNanos > 0) {
                    long due = (long) LONG.getOpaque(ring, stampOffset(position)) + holdNanos;
                    if (System.nanoTime() - due < 0) {
                        heldUntil = due;
                        return NOT_DUE;
                    }
                }
                if (LONG.compareAndSet(ring, HEAD_OFFSET, head, head + 1 & 0xFFFF_FFFFL | (long) tag << 32)) {
                    return word & 0xFFFF_FFFFL;
                }
                return RETRY;
            }
            if (found == 0 || found == slotTag(tag, position - CAPACITY)) {
                return EMPTY;
            }
            if ((long) LONG.getVolatile(ring, HEAD_OFFSET) != head) {
                return RETRY; // taken meanwhile, and perhaps the slot's next lap written: not another epoch's word
            }
            // a word published under another epoch, by a sender that claimed its place before the ring was bound anew
            return LONG.compareAndSet(ring, offset, slot, 0L) ? STALE_DROPPED : EMPTY;
        }
    }

    /**
     * (receiver) Whether a word of this epoch may be waiting (a cheap look, for the decision to
     * sleep); under a modelled latency, only a word due within {@link #NEAR_NANOS} counts (one due
     * later is the business of a timer at {@link #heldUntil}).
     */
    boolean maybeReady(long epoch) {
        return maybeReadyExcept(epoch, null);
    }

    /**
     * (receiver, any thread) As {@link #maybeReady}, but a word {@code taker} will take itself does
     * not count: a kernel thread watching for its reply, held here, does not wake the interrupt
     * context for it.
     */
    boolean maybeReadyExcept(long epoch, IntPredicate taker) {
        int tag = tag(epoch);
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        if ((int) (head >>> 32) != tag) {
            return false;
        }
        long slot = (long) LONG.getVolatile(ring, slotOffset((int) head));
        int found = (int) (slot >>> 32);
        boolean waiting = found != 0 && found != slotTag(tag, (int) head - CAPACITY);
        if (waiting && taker != null && found == slotTag(tag, (int) head) && taker.test((int) slot)) {
            return false;
        }
        if (!waiting || holdNanos == 0) {
            return waiting;
        }
        long due = (long) LONG.getOpaque(ring, stampOffset((int) head)) + holdNanos;
        return due - System.nanoTime() < NEAR_NANOS;
    }

    /**
     * (receiver) How long until the oldest word, held by the modelled latency, is due (zero or
     * less: due now), or {@link Long#MAX_VALUE} when no word of this epoch waits or none is held
     * (the host platform).
     */
    long dueIn(long epoch) {
        if (holdNanos == 0) {
            return Long.MAX_VALUE;
        }
        int tag = tag(epoch);
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        if ((int) (head >>> 32) != tag) {
            return Long.MAX_VALUE;
        }
        long slot = (long) LONG.getVolatile(ring, slotOffset((int) head));
        if ((int) (slot >>> 32) != slotTag(tag, (int) head)) {
            return Long.MAX_VALUE;
        }
        // the sender wrote the stamp before it published the word
        return (long) LONG.getOpaque(ring, stampOffset((int) head)) + holdNanos - System.nanoTime();
    }

    /** The head word as it is now, tag and position (for tests). */
    long headWord() {
        return (long) LONG.getVolatile(ring, HEAD_OFFSET);
    }

    /** Words claimed and not yet consumed (for tests and diagnostics). */
    int size() {
        return (int) (long) LONG.getVolatile(ring, TAIL_OFFSET) - (int) (long) LONG.getVolatile(ring, HEAD_OFFSET);
    }

    private static long slotOffset(int position) {
        return SLOTS_OFFSET + 8L * (position & CAPACITY - 1);
    }

    private static long stampOffset(int position) {
        return STAMPS_OFFSET + 8L * (position & CAPACITY - 1);
    }
}
