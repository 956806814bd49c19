package io.archipelago.trace;

/**
 * Which exchange a DSM page moved by, as the value of a {@link TraceEvent#DSM_PAGE_RECEIVED}
 * record (on the requester: the holder it came from) or of a {@link TraceEvent#DSM_HANDED_TO}
 * record (on the holder: the requester it went to): the other kernel, and the sequence number of
 * the requester's GET_EXCLUSIVE that the hand-over answered. Both ends record the same sequence
 * number (the holder's PUT_EXCLUSIVE echoes it), so the export joins a fault to the hand-over
 * that answered it even while several kernels contend for one page.
 * <pre>
 *  63                              40 39            32 31                                     0
 *  +---------------------------------+----------------+----------------------------------------+
 *  | reserved (0)                    | sequence + 1   | peer kernel (signed; -1: global memory) |
 *  |                                 | (0: none)      |                                        |
 *  +---------------------------------+----------------+----------------------------------------+
 * </pre>
 * A value recorded before the sequence number was (the peer alone, -1 sign-extended) reads as
 * that peer with no sequence number.
 *
 * @param peer     the other kernel, or {@link #GLOBAL_MEMORY}
 * @param sequence the GET_EXCLUSIVE's sequence number (0-15), or {@link #NO_SEQUENCE}: the page
 *                 came from global memory, or went ahead of any request (a migration's pages)
 */
public record DsmExchange(int peer, int sequence) {

    /** The page came from global memory (nobody held it, or its holder was gone): no kernel handed it over. */
    public static final int GLOBAL_MEMORY = -1;
    public static final int NO_SEQUENCE = -1;

    public DsmExchange {
        if (sequence < NO_SEQUENCE || sequence > 0xFE) {
            throw new IllegalArgumentException("a GET_EXCLUSIVE's sequence number is 0 to 254 here, or -1 for none; found " + sequence);
        }
    }

    public long pack() {
        return (peer & 0xFFFF_FFFFL) | (long) (sequence + 1) << 32;
    }

    public static DsmExchange unpack(long value) {
        if (value < 0) {
            return new DsmExchange((int) value, NO_SEQUENCE);
        }
        return new DsmExchange((int) value, (int) (value >>> 32 & 0xFF) - 1);
    }

    public boolean hasSequence() {
        return sequence != NO_SEQUENCE;
    }
}
