package io.archipelago.interconnect.urpc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One URPC channel: the ring of cache-line slots that carries messages from one kernel (the
 * sender) to another (the receiver) in global memory, as Barrelfish's user-level RPC does
 * (Baumann et al., "The Multikernel", SOSP 2009): the sender writes a slot's payload, then its
 * last word, the slot's sequence word; the receiver polls that word and, once it reads the
 * position it expects there, takes the record. The consumed position goes back to the senders
 * through a shared consumer index (the head), which bounds how far they may write. A record
 * longer than one slot spans consecutive slots; a message longer than the ring travels as several
 * records (fragments, {@link #MAX_RECORD_BODY} bytes each at most; see {@link UrpcEndpoint}).
 * <p>
 * Several threads of the sender may write at once (a record's slots are claimed by a
 * compare-and-set on the tail, then written and published, as Agrona's many-to-one ring does).
 * Several threads of the receiver may take (its dispatcher, and a requester waiting for its reply
 * when that reply is the oldest record): each copies the record out first and then claims it by
 * a compare-and-set on the head; a sender never writes a slot the head has not passed, so a copy
 * whose claim succeeded is the record itself. Little-endian, like every platform structure.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |   epoch (64-bit, release-stored by the receiver; 0: unbound)  |   0  line 0: written once per
 *  +---------------------------------------------------------------+         incarnation of the receiver
 *  |                  reserved up to byte 64                       |   8
 *  +---------------------------------------------------------------+
 *  |  tail: epoch tag (32) | position (32), CAS by senders         |  64  line 1: the senders'
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 128                      |  72
 *  +---------------------------------------------------------------+
 *  |  head: epoch tag (32) | position (32), CAS by the receiver    | 128  line 2: the shared
 *  +---------------------------------------------------------------+         consumer index
 *  |                  reserved up to byte 192                      | 136
 *  +---------------------------------------------------------------+
 *  |  slot 0 (64 bytes) | slot 1 | ... | slot SLOTS - 1            | 192  lines 3..: the slots
 *  +---------------------------------------------------------------+
 *
 *  a slot (one cache line):
 *  +---------------------------------------------------------------+
 *  |  first slot: body length (30) | continued (1) | more (1)      |   0  more: another fragment of
 *  +---------------------------------------------------------------+  this message follows; continued:
 *                                                                     this one follows another
 *  |  the first slot of a record: label (32, the endpoint's)       |   4
 *  +---------------------------------------------------------------+
 *  |  body bytes (48 in a record's first slot; a following slot    |   8
 *  |  carries 56 body bytes from its byte 0)                       |
 *  +---------------------------------------------------------------+
 *  |  sequence word: epoch tag (32) | position (32), release-stored | 56
 *  +---------------------------------------------------------------+
 *
 *  epoch tag = the receiver's epoch folded to 32 bits, never 0, so a written sequence word is
 *              never 0; 0 marks a slot not written since the ring was bound
 * </pre>
 * A sender claims positions [p, p + n) only while p + n - head &lt;= {@link #SLOTS}, so the slot
 * of position q holds either the record of q - SLOTS (consumed), nothing (0), or that of q. The
 * epoch ties the ring to one incarnation of the receiver: binding clears the ring and stores the
 * new epoch; a sender still holding the previous one finds another tag in the tail and is told
 * {@link #UNBOUND}, and a slot it published late carries another tag, which the receiver drops
 * and counts ({@link #STALE_DROPPED}). Positions are 32-bit and wrap; differences are taken in
 * 32-bit arithmetic.
 */
public final class UrpcRing {

    /** Slots per ring: 1 KiB of cache lines, so that a ring per ordered pair of 64 kernels fits in 5 MiB. */
    public static final int SLOTS = 16;
    public static final int SLOT_BYTES = 64;
    public static final long EPOCH_OFFSET = 0;
    public static final long TAIL_OFFSET = 64;
    public static final long HEAD_OFFSET = 128;
    public static final long SLOTS_OFFSET = 192;
    public static final int BYTES = (int) SLOTS_OFFSET + SLOTS * SLOT_BYTES;
    static final int SEQUENCE_OFFSET = 56;
    static final int HEADER_BYTES = 8;
    static final int FIRST_SLOT_BODY = SEQUENCE_OFFSET - HEADER_BYTES;
    static final int NEXT_SLOT_BODY = SEQUENCE_OFFSET;
    /** The longest body one record carries: every slot of the ring. */
    public static final int MAX_RECORD_BODY = FIRST_SLOT_BODY + (SLOTS - 1) * NEXT_SLOT_BODY;
    private static final int MORE = 1 << 31;
    private static final int CONTINUED = 1 << 30;
    private static final int LENGTH_MASK = CONTINUED - 1;

    /** {@link #offer} results. */
    public static final int OFFERED = 0;
    /** The ring has no room for the record now (the receiver has not consumed enough). */
    public static final int FULL = 1;
    /** The ring is not bound to the epoch the sender holds (the receiver is not, or no longer, that incarnation). */
    public static final int UNBOUND = 2;

    /** {@link #poll} results. */
    public static final int TAKEN = 0;
    public static final int EMPTY = 1;
    /** A slot published under another epoch was found where the next record was expected, and cleared. */
    public static final int STALE_DROPPED = 2;
    /** {@link #takeIf}: the oldest record is there but carries another label. */
    public static final int OTHER = 3;

    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment ring;

    public UrpcRing(MemorySegment ring) {
        if (ring.byteSize() != BYTES) {
            throw new IllegalArgumentException("a URPC ring is " + BYTES + " bytes, found " + ring.byteSize());
        }
        this.ring = ring;
    }

    /** One record as taken from the ring: its label, whether it is a fragment of a longer message, its body. Reused by its taker. */
    public static final class Record {
        int label;
        boolean more;
        boolean continued;
        int length;
        byte[] body = new byte[MAX_RECORD_BODY];

        public int label() {
            return label;
        }

        public boolean more() {
            return more;
        }

        /** Whether this record follows another fragment of the same message. */
        public boolean continued() {
            return continued;
        }

        /** Whether the record is a whole message (not a fragment). */
        public boolean whole() {
            return !more && !continued;
        }

        public int length() {
            return length;
        }

        /** The body's bytes [0, length); the array is the record's own and is overwritten by the next take. */
        public byte[] body() {
            return body;
        }
    }

    /** The 32-bit tag of an epoch as the head, the tail and the sequence words carry it (never 0). */
    static int tag(long epoch) {
        int folded = (int) (epoch ^ epoch >>> 32);
        return folded == 0 ? 1 : folded;
    }

    static long sequence(int epochTag, int position) {
        return (long) epochTag << 32 | position & 0xFFFF_FFFFL;
    }

    /** Slots a record of this body length takes. */
    static int slotsFor(int length) {
        return length <= FIRST_SLOT_BODY ? 1 : 1 + (length - FIRST_SLOT_BODY + NEXT_SLOT_BODY - 1) / NEXT_SLOT_BODY;
    }

    public long epoch() {
        return (long) LONG.getAcquire(ring, EPOCH_OFFSET);
    }

    /**
     * (receiver) Binds the ring to an incarnation of the receiver: clears it and publishes the
     * epoch, after which senders holding that epoch may write. Records of the previous epoch are
     * discarded.
     */
    public void bind(long epoch) {
        if (epoch == 0) {
            throw new IllegalArgumentException("a URPC ring's epoch is never 0 (0 marks an unbound ring)");
        }
        LONG.setVolatile(ring, EPOCH_OFFSET, 0L);
        long start = (long) tag(epoch) << 32;
        LONG.setVolatile(ring, TAIL_OFFSET, start);
        LONG.setVolatile(ring, HEAD_OFFSET, start);
        for (int i = 0; i < SLOTS; i++) {
            LONG.setVolatile(ring, SLOTS_OFFSET + (long) SLOT_BYTES * i + SEQUENCE_OFFSET, 0L);
        }
        LONG.setRelease(ring, EPOCH_OFFSET, epoch);
    }

    /** (receiver) Unbinds the ring: a sender still holding the epoch is told {@link #UNBOUND}. */
    public void unbind(long epoch) {
        LONG.compareAndSet(ring, EPOCH_OFFSET, epoch, 0L);
    }

    /**
     * (sender, any thread) Writes one record at the tail, if the ring is bound to this epoch and
     * has room for it.
     *
     * @param more      whether another fragment of the same message follows this one
     * @param continued whether this record follows another fragment of the same message
     * @return {@link #OFFERED}, {@link #FULL} or {@link #UNBOUND}
     * @throws IllegalArgumentException when the body is longer than {@link #MAX_RECORD_BODY}
     */
    public int offer(long epoch, int label, boolean more, boolean continued, byte[] body, int offset, int length) {
        if (length < 0 || length > MAX_RECORD_BODY) {
            throw new IllegalArgumentException("a URPC record carries 0 to " + MAX_RECORD_BODY + " bytes, found " + length);
        }
        int tag = tag(epoch);
        int slots = slotsFor(length);
        long tail;
        int position;
        while (true) {
            if (epoch() != epoch) {
                return UNBOUND;
            }
            tail = (long) LONG.getVolatile(ring, TAIL_OFFSET);
            long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
            if ((int) (tail >>> 32) != tag || (int) (head >>> 32) != tag) {
                return UNBOUND;
            }
            position = (int) tail;
            if (position + slots - (int) head > SLOTS) {
                return FULL;
            }
            if (LONG.compareAndSet(ring, TAIL_OFFSET, tail, (long) tag << 32 | position + slots & 0xFFFF_FFFFL)) {
                break;
            }
        }
        long first = slotOffset(position);
        ring.set(INT, first, length | (more ? MORE : 0) | (continued ? CONTINUED : 0));
        ring.set(INT, first + 4, label);
        int copied = Math.min(length, FIRST_SLOT_BODY);
        MemorySegment.copy(body, offset, ring, ValueLayout.JAVA_BYTE, first + HEADER_BYTES, copied);
        for (int i = 1; i < slots; i++) {
            int chunk = Math.min(length - copied, NEXT_SLOT_BODY);
            MemorySegment.copy(body, offset + copied, ring, ValueLayout.JAVA_BYTE, slotOffset(position + i), chunk);
            copied += chunk;
        }
        // the first slot's sequence word last: a receiver that sees it finds every following one published already
        for (int i = slots - 1; i >= 0; i--) {
            LONG.setRelease(ring, slotOffset(position + i) + SEQUENCE_OFFSET, sequence(tag, position + i));
        }
        return OFFERED;
    }

    /**
     * (receiver, any thread) Takes the oldest record into {@code into}.
     *
     * @return {@link #TAKEN}, {@link #EMPTY} (also when the ring is bound to another epoch) or
     *         {@link #STALE_DROPPED}
     */
    public int poll(long epoch, Record into) {
        return take(epoch, false, 0, into);
    }

    /**
     * (receiver, any thread) Takes the oldest record only if it carries {@code label} and is a
     * whole message: a thread waiting for its reply takes the reply itself and leaves every other
     * record (and every fragment, so that one thread assembles a message), in order, to the
     * dispatcher.
     *
     * @return {@link #TAKEN}, {@link #EMPTY}, {@link #OTHER} or {@link #STALE_DROPPED}
     */
    public int takeIf(long epoch, int label, Record into) {
        return take(epoch, true, label, into);
    }

    private int take(long epoch, boolean onlyLabel, int label, Record into) {
        int tag = tag(epoch);
        while (true) {
            long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
            if ((int) (head >>> 32) != tag) {
                return EMPTY;
            }
            int position = (int) head;
            int found = published(tag, position);
            if (found != TAKEN) {
                return found;
            }
            long first = slotOffset(position);
            int lengthWord = ring.get(INT, first);
            int foundLabel = ring.get(INT, first + 4);
            int length = lengthWord & LENGTH_MASK;
            if (length > MAX_RECORD_BODY) {
                // a torn read of a slot the head has passed meanwhile: look again
                continue;
            }
            int slots = slotsFor(length);
            for (int i = 1; i < slots; i++) {
                int next = published(tag, position + i);
                if (next != TAKEN) {
                    return next;
                }
            }
            if (onlyLabel && (foundLabel != label || (lengthWord & (MORE | CONTINUED)) != 0)) {
                return OTHER;
            }
            int copied = Math.min(length, FIRST_SLOT_BODY);
            MemorySegment.copy(ring, ValueLayout.JAVA_BYTE, first + HEADER_BYTES, into.body, 0, copied);
            for (int i = 1; i < slots; i++) {
                int chunk = Math.min(length - copied, NEXT_SLOT_BODY);
                MemorySegment.copy(ring, ValueLayout.JAVA_BYTE, slotOffset(position + i), into.body, copied, chunk);
                copied += chunk;
            }
            if (LONG.compareAndSet(ring, HEAD_OFFSET, head, (long) tag << 32 | position + slots & 0xFFFF_FFFFL)) {
                into.label = foundLabel;
                into.more = (lengthWord & MORE) != 0;
                into.continued = (lengthWord & CONTINUED) != 0;
                into.length = length;
                return TAKEN;
            }
        }
    }

    /** Whether the slot of {@code position} carries that position's record: TAKEN (yes), EMPTY (not yet), STALE_DROPPED. */
    private int published(int tag, int position) {
        long offset = slotOffset(position) + SEQUENCE_OFFSET;
        long sequence = (long) LONG.getAcquire(ring, offset);
        if (sequence == sequence(tag, position)) {
            return TAKEN;
        }
        if (sequence == 0 || (int) (sequence >>> 32) == tag) {
            // not written yet (an older lap of this epoch), or a newer lap: another taker consumed the
            // position meanwhile and a sender reused the slot, so this look is stale, not the slot
            return EMPTY;
        }
        // a slot published under another epoch, by a sender that claimed it before the ring was bound anew
        return LONG.compareAndSet(ring, offset, sequence, 0L) ? STALE_DROPPED : EMPTY;
    }

    /** (receiver) Whether a record of this epoch may be waiting: a cheap look, for the decision to sleep. */
    public boolean maybeReady(long epoch) {
        int tag = tag(epoch);
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        if ((int) (head >>> 32) != tag) {
            return false;
        }
        long sequence = (long) LONG.getVolatile(ring, slotOffset((int) head) + SEQUENCE_OFFSET);
        return sequence != 0 && sequence != sequence(tag, (int) head - SLOTS);
    }

    /** Slots claimed and not yet consumed (for tests and diagnostics). */
    public int size() {
        return (int) (long) LONG.getVolatile(ring, TAIL_OFFSET) - (int) (long) LONG.getVolatile(ring, HEAD_OFFSET);
    }

    /** The ring's bytes (for tests that play a sender of another epoch). */
    MemorySegment segment() {
        return ring;
    }

    private static long slotOffset(int position) {
        return SLOTS_OFFSET + (long) SLOT_BYTES * (position & SLOTS - 1);
    }
}
