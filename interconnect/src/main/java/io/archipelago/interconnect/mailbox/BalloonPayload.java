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
 *  |op |C| reserved  |         block count           |
 *  +---+-+-----------+-------------------------------+
 *   op  00 WANT     kernel -> manager: "give me `count` blocks" (C: they must be adjacent,
 *                   for an allocation larger than a block)
 *       01 INFLATE  manager -> kernel: "give `count` whole free blocks back to the pool"
 *       10 DEFLATE  manager -> kernel: "`count` blocks of the pool are yours now: take them"
 *
 *  BALLOON_GRANT payload: the number of blocks granted (WANT), released into the pool (INFLATE)
 *  or taken into the allocator (DEFLATE), in bits 15..0.
 *  NACK payload (to a WANT): a {@link Refusal} code.
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
    private static final int OP_SHIFT = 22;
    private static final int CONTIGUOUS_BIT = 1 << 21;

    private BalloonPayload() {
    }

    public static int want(int blocks, boolean contiguous) {
        return encode(Op.WANT, blocks) | (contiguous ? CONTIGUOUS_BIT : 0);
    }

    public static int inflate(int blocks) {
        return encode(Op.INFLATE, blocks);
    }

    public static int deflate(int blocks) {
        return encode(Op.DEFLATE, blocks);
    }

    /** A GRANT's payload. */
    public static int grant(int blocks) {
        return checkCount(blocks);
    }

    public static Op op(int payload) {
        int code = payload >>> OP_SHIFT & 0b11;
        if (code == 0b11) {
            throw new IllegalArgumentException("balloon request payload 0x" + Integer.toHexString(payload) + " has op 11, which is "
                + "unassigned (expected 00 WANT, 01 INFLATE or 10 DEFLATE)");
        }
        return Op.values()[code];
    }

    public static int count(int payload) {
        return payload & MAX_COUNT;
    }

    public static boolean contiguous(int payload) {
        return (payload & CONTIGUOUS_BIT) != 0;
    }

    /** A payload as logs say it: "WANT 4 adjacent", "INFLATE 2". */
    public static String describe(int payload) {
        return op(payload) + " " + count(payload) + (contiguous(payload) ? " adjacent" : "");
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
