package io.archipelago.interconnect.mailbox;

/**
 * The 24-bit payloads of the balloon words ({@link MailboxType#BALLOON_REQUEST},
 * {@link MailboxType#BALLOON_GRANT}), exchanged between a kernel's balloon driver and the
 * coordinator's meta-level manager (K2 §3.2). Every exchange is one request and one reply that
 * echoes its sequence number; the block ownership table in global memory is the single truth,
 * so a word carries only a count and the receiver reads the table.
 *
 * <pre>
 *  BALLOON_REQUEST payload
 *   2 2 2 2 1 1 1 1 1 1 1 1 1 1
 *   3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
 *  +---+-+-----------+-------------------------------+
 *  |00 |C| reserved  |         block count           |  WANT     kernel -> manager: "give me `count` blocks"
 *  +---+-+-----------+-------------------------------+           (C: adjacent ones, for an allocation larger than a block)
 *  |01 |   count     |       near block (FFFF: none) |  INFLATE  manager -> kernel: "give up to `count` (1..63) whole
 *  +---+-------------+-------------------------------+           free blocks back to the pool, those nearest `near` first"
 *  |10 |  reserved   |         block count           |  DEFLATE  manager -> kernel: "`count` blocks of the pool are yours
 *  +---+-------------+-------------------------------+           now: take them"
 *
 *  The near block lets the manager keep memory together: the requester's block nearest the
 *  donor's, so the donor gives the blocks that extend the requester's run.
 *
 *  BALLOON_GRANT payload
 *  +---+-------------+-------------------------------+
 *  |op |  reserved   |         block count           |  the blocks granted (WANT), released into the pool
 *  +---+-------------+-------------------------------+  (INFLATE) or taken into the allocator (DEFLATE)
 *  NACK payload (to a balloon request)
 *  +---+-------------+-------------------------------+
 *  |op |  reserved   |        Refusal code           |
 *  +---+-------------+-------------------------------+
 *
 *  op: the op of the request answered, echoed, so that an answer to an INFLATE is never taken for
 *  one to a DEFLATE ({@link #answers}). A count says nothing of which request of one op it
 *  answers: that rests on the mailbox not reusing a sequence number while a late reply may come,
 *  and on the block ownership table being the truth either way.
 * </pre>
 */
public final class BalloonPayload {

    /** What a BALLOON_REQUEST asks. */
    public enum Op { WANT, INFLATE, DEFLATE }

    /** Why the manager answers a WANT with NACK. */
    public enum Refusal {
        /** Nothing anywhere: the pool is empty and no kernel could give a block back. */
        NO_MEMORY(1),
        /** Blocks exist, but no run of adjacent ones as long as asked. */
        NO_CONTIGUOUS_RUN(2),
        /** The request came from a member the manager does not serve (not a running kernel). */
        NOT_A_KERNEL(3),
        /** A kernel's balloon driver got a request only the manager may send. */
        NOT_THE_MANAGER(4),
        /** The manager is stopping. */
        CLOSING(5);

        private final int code;

        Refusal(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Refusal ofCode(int code) {
            for (Refusal refusal : values()) {
                if (refusal.code == code) {
                    return refusal;
                }
            }
            throw new IllegalArgumentException("no balloon refusal has code " + code);
        }
    }

    /** The largest block count a word carries. */
    public static final int MAX_COUNT = 0xFFFF;
    /** The largest block count an INFLATE word carries (it carries a block number too). */
    public static final int MAX_INFLATE = 0x3F;
    /** "No near block" in an INFLATE word; also what blocks numbered from here up are sent as. */
    public static final int NO_BLOCK = 0xFFFF;
    private static final int OP_SHIFT = 22;
    private static final int CONTIGUOUS_BIT = 1 << 21;
    private static final int INFLATE_COUNT_SHIFT = 16;

    private BalloonPayload() {
    }

    public static int want(int blocks, boolean contiguous) {
        return encode(Op.WANT, blocks) | (contiguous ? CONTIGUOUS_BIT : 0);
    }

    /**
     * @param near a block number to give the nearest blocks of first, or a negative number for none
     *             (blocks numbered {@link #NO_BLOCK} and up cannot be named: none)
     */
    public static int inflate(int blocks, int near) {
        if (blocks < 0 || blocks > MAX_INFLATE) {
            throw new IllegalArgumentException("an INFLATE word carries 0 to " + MAX_INFLATE + " blocks, found " + blocks);
        }
        int hint = near < 0 || near >= NO_BLOCK ? NO_BLOCK : near;
        return Op.INFLATE.ordinal() << OP_SHIFT | blocks << INFLATE_COUNT_SHIFT | hint;
    }

    /** The near block of an INFLATE payload, or -1 for none. */
    public static int near(int payload) {
        int hint = payload & NO_BLOCK;
        return hint == NO_BLOCK ? -1 : hint;
    }

    public static int deflate(int blocks) {
        return encode(Op.DEFLATE, blocks);
    }

    /** A GRANT's payload, answering a request of the given payload. */
    public static int grant(int requestPayload, int blocks) {
        return echo(requestPayload) | checkCount(blocks);
    }

    /** A NACK's payload, answering a request of the given payload. */
    public static int refuse(int requestPayload, Refusal refusal) {
        return echo(requestPayload) | refusal.code();
    }

    /** The refusal a NACK's payload carries (its low 16 bits). */
    public static Refusal refusal(int nackPayload) {
        return Refusal.ofCode(nackPayload & MAX_COUNT);
    }

    /** The requester's check: a GRANT or NACK answers a request when it echoes the request's op. */
    public static ReplyCheck answers(int requestPayload) {
        int op = echo(requestPayload);
        return (type, payload) -> echo(payload) == op;
    }

    private static int echo(int requestPayload) {
        return requestPayload & 0b11 << OP_SHIFT;
    }

    public static Op op(int payload) {
        int code = payload >>> OP_SHIFT & 0b11;
        if (code == 0b11) {
            throw new IllegalArgumentException("balloon request payload 0x" + Integer.toHexString(payload) + " has op 11, which is "
                + "unassigned (expected 00 WANT, 01 INFLATE or 10 DEFLATE)");
        }
        return Op.values()[code];
    }

    /** The block count of a BALLOON_REQUEST payload (whatever its op) or of a GRANT. */
    public static int count(int payload) {
        if ((payload >>> OP_SHIFT & 0b11) == Op.INFLATE.ordinal()) {
            return payload >>> INFLATE_COUNT_SHIFT & MAX_INFLATE;
        }
        return payload & MAX_COUNT;
    }

    /** The block count of a GRANT payload. */
    public static int granted(int payload) {
        return payload & MAX_COUNT;
    }

    public static boolean contiguous(int payload) {
        return (payload & CONTIGUOUS_BIT) != 0;
    }

    /** A payload as logs say it: "WANT 4 adjacent", "INFLATE 2 near 17". */
    public static String describe(int payload) {
        Op op = op(payload);
        return op + " " + count(payload) + (op == Op.WANT && contiguous(payload) ? " adjacent" : "")
            + (op == Op.INFLATE && near(payload) >= 0 ? " near " + near(payload) : "");
    }

    private static int encode(Op op, int blocks) {
        return op.ordinal() << OP_SHIFT | checkCount(blocks);
    }

    private static int checkCount(int blocks) {
        if (blocks < 0 || blocks > MAX_COUNT) {
            throw new IllegalArgumentException("a balloon word carries 0 to " + MAX_COUNT + " blocks, found " + blocks);
        }
        return blocks;
    }
}
