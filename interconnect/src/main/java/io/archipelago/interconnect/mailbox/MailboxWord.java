package io.archipelago.interconnect.mailbox;

/**
 * One 32-bit mailbox message, as K2's OMAP4 hardware mailbox carries them:
 *
 * <pre>
 *   3 3 2 2 2 2 2 2 2 2 2 2 1 1 1 1 1 1 1 1 1 1
 *   1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
 *  +-------+-------+-----------------------------------------------+
 *  | type  |  seq  |                   payload                     |
 *  +-------+-------+-----------------------------------------------+
 *
 *   type     bits 31-28  MailboxType code (16 codes; 0xF unassigned)
 *   seq      bits 27-24  sequence number: stamped per queue by the sender; a reply echoes
 *                        the sequence number of its request (at most 16 requests outstanding
 *                        per peer)
 *   payload  bits 23-0   unsigned: page frame number, pid, irq number, block count or number,
 *                        tid... (0 to 16,777,215)
 * </pre>
 * <p>
 * On the wire the word travels big-endian inside a frame (see
 * {@link io.archipelago.interconnect.mailbox.wire.Frame}). The static methods work on the raw
 * {@code int} for the hot path; the record is the readable form.
 */
public record MailboxWord(MailboxType type, int sequence, int payload) {

    public static final int TYPE_SHIFT = 28;
    public static final int SEQUENCE_SHIFT = 24;
    public static final int SEQUENCE_MASK = 0xF;
    public static final int PAYLOAD_MASK = 0xFF_FFFF;
    /** The largest sequence number (4 bits). */
    public static final int MAX_SEQUENCE = SEQUENCE_MASK;
    /** The largest payload (24 bits, unsigned). */
    public static final int MAX_PAYLOAD = PAYLOAD_MASK;

    public MailboxWord {
        if (type == null) {
            throw new IllegalArgumentException("a mailbox word needs a type");
        }
        if (sequence < 0 || sequence > MAX_SEQUENCE) {
            throw new IllegalArgumentException("a mailbox sequence number is 0 to " + MAX_SEQUENCE + " (4 bits), found " + sequence);
        }
        if (payload < 0 || payload > MAX_PAYLOAD) {
            throw new IllegalArgumentException("a mailbox payload is 0 to " + MAX_PAYLOAD + " (24 bits, unsigned), found " + payload
                + " for " + type);
        }
    }

    public static MailboxWord of(MailboxType type, int payload) {
        return new MailboxWord(type, 0, payload);
    }

    /** This word with another sequence number. */
    public MailboxWord withSequence(int newSequence) {
        return new MailboxWord(type, newSequence, payload);
    }

    /** The 32-bit encoding. */
    public int encode() {
        return encode(type, sequence, payload);
    }

    public static int encode(MailboxType type, int sequence, int payload) {
        return type.code() << TYPE_SHIFT | (sequence & SEQUENCE_MASK) << SEQUENCE_SHIFT | (payload & PAYLOAD_MASK);
    }

    /**
     * Decodes a 32-bit word.
     *
     * @throws IllegalArgumentException when its type code is unassigned
     */
    public static MailboxWord decode(int word) {
        MailboxType type = MailboxType.ofCodeOrNull(typeCode(word));
        if (type == null) {
            throw new IllegalArgumentException("mailbox word " + hex(word) + " has type code 0x" + Integer.toHexString(typeCode(word))
                + ", which no MailboxType is assigned (expected one of " + java.util.Arrays.toString(MailboxType.values()) + ")");
        }
        return new MailboxWord(type, sequence(word), payload(word));
    }

    public static int typeCode(int word) {
        return word >>> TYPE_SHIFT;
    }

    public static int sequence(int word) {
        return word >>> SEQUENCE_SHIFT & SEQUENCE_MASK;
    }

    public static int payload(int word) {
        return word & PAYLOAD_MASK;
    }

    /** The word as 8 hex digits, e.g. {@code 0x13000005}. */
    public static String hex(int word) {
        return String.format("0x%08x", word);
    }

    @Override
    public String toString() {
        return type + "#" + sequence + "(" + payload + ")";
    }
}
