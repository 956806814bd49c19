package io.archipelago.interconnect.mailbox;

import java.util.Optional;

/**
 * What a mailbox word means: the 4-bit type field (bits 31-28) of a {@link MailboxWord}. Sixteen
 * codes at most, as in the hardware; code 0xF is unassigned and left for later
 * protocols. A word whose type code is unassigned is counted and dropped by the receiver.
 * <p>
 * Replies echo the sequence number of the request they answer, so a requester matches a reply by
 * its type and sequence number (see {@link Mailbox#request}).
 */
public enum MailboxType {

    /** No operation. Payload: a running count per queue, which the receiver checks (loss, duplicate or reorder show up in {@code mailbox.nop_out_of_order}). */
    NOP(0x0, Kind.NOTIFICATION),
    /** Echo request; every mailbox answers it from its interrupt context with {@link #PONG}. Payload: anything, echoed. */
    PING(0x1, Kind.REQUEST),
    /** Echo reply to {@link #PING}, same sequence number and payload. */
    PONG(0x2, Kind.REPLY),
    /** K2 DSM: "give me page P exclusively" (payload: page frame number), sent to the page's holder. */
    GET_EXCLUSIVE(0x3, Kind.REQUEST),
    /** K2 DSM: the holder wrote page P back to global memory and gave it up (payload: page frame number). */
    PUT_EXCLUSIVE(0x4, Kind.REPLY),
    /** K2 NightWatch: stop the NightWatch threads of process P (payload: pid). */
    SUSPEND_NW(0x5, Kind.REQUEST),
    /** K2 NightWatch: the NightWatch threads of process P are stopped (payload: pid). */
    NW_ACK(0x6, Kind.REPLY),
    /** K2 NightWatch: every normal thread of process P sleeps again; schedule its NightWatch threads (payload: pid). */
    RESUME_NW(0x7, Kind.NOTIFICATION),
    /** An interrupt routed to this kernel (payload: irq number), e.g. from the coordinator's emulated devices. */
    IRQ(0x8, Kind.NOTIFICATION),
    /** Balloon driver: a request for page blocks, or to give some back (payload: block count or block number). */
    BALLOON_REQUEST(0x9, Kind.REQUEST),
    /** Balloon driver: blocks granted or released (payload: block count or block number). */
    BALLOON_GRANT(0xA, Kind.REPLY),
    /** Migration: a thread is migrating to or from the receiver (payload: tid). */
    MIGRATE(0xB, Kind.NOTIFICATION),
    /** Generic positive reply (payload: protocol specific). */
    ACK(0xC, Kind.REPLY),
    /** Generic negative reply (payload: a protocol-specific reason code). */
    NACK(0xD, Kind.REPLY),
    /** URPC doorbell: a message waits in the receiver's URPC channels and none of its threads polls them (payload: 0). */
    URPC(0xE, Kind.NOTIFICATION);

    /** Whether a type asks for an answer, answers, or just informs. */
    public enum Kind { REQUEST, REPLY, NOTIFICATION }

    /** Number of type codes the 4-bit field can hold. */
    public static final int CODES = 16;

    private static final MailboxType[] BY_CODE = new MailboxType[CODES];

    static {
        for (MailboxType type : values()) {
            if (BY_CODE[type.code] != null) {
                throw new ExceptionInInitializerError("mailbox type code " + type.code + " is assigned twice");
            }
            BY_CODE[type.code] = type;
        }
    }

    private final int code;
    private final Kind kind;

    MailboxType(int code, Kind kind) {
        this.code = code;
        this.kind = kind;
    }

    /** The 4-bit type code carried in bits 31-28 of a word. */
    public int code() {
        return code;
    }

    public Kind kind() {
        return kind;
    }

    /** The type with this code, or null when the code is unassigned (or out of 0..15). */
    public static MailboxType ofCodeOrNull(int code) {
        return code >= 0 && code < CODES ? BY_CODE[code] : null;
    }

    public static Optional<MailboxType> ofCode(int code) {
        return Optional.ofNullable(ofCodeOrNull(code));
    }
}
