package io.archipelago.kernel.dsm;

import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.ReplyCheck;

/**
 * The payloads of the answers to {@code GET_EXCLUSIVE(frame)}: both name the page frame they
 * answer for, so that a requester never takes a late answer about another page for its own (a
 * late {@code PUT_EXCLUSIVE} would make it load a page another kernel still holds; a late
 * {@code NACK(NOT_HOLDER)} would make it claim one).
 *
 * <pre>
 *  PUT_EXCLUSIVE payload
 *   2 2 2 2 1 1 1 1 1 1 1 1 1 1
 *   3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
 *  +-----------------------------------------------+
 *  |              page frame (24 bits)             |   the holder wrote it back and gave it up
 *  +-----------------------------------------------+
 *
 *  NACK payload
 *  +-+---------------------------------------------+
 *  |B|              page frame (23 bits)           |   B = 0: NOT_HOLDER, the peer does not hold it
 *  +-+---------------------------------------------+   B = 1: BUSY, it holds it but cannot give it yet
 * </pre>
 * Software-coherent regions therefore lie below page frame {@link #MAX_FRAME} (32 GiB of 4 KiB
 * pages).
 */
final class DsmReplies {

    /** The largest page frame a NACK can name (23 bits). */
    static final int MAX_FRAME = (1 << 23) - 1;
    private static final int BUSY_BIT = 1 << 23;

    /** Why a holder refuses a GET_EXCLUSIVE. */
    enum Refusal { NOT_HOLDER, BUSY }

    private DsmReplies() {
    }

    static int nack(Refusal refusal, long frame) {
        if (frame < 0 || frame > MAX_FRAME) {
            throw new IllegalArgumentException("a DSM NACK names page frames 0 to " + MAX_FRAME + ", found " + frame);
        }
        return (refusal == Refusal.BUSY ? BUSY_BIT : 0) | (int) frame;
    }

    static Refusal refusal(int nackPayload) {
        return (nackPayload & BUSY_BIT) != 0 ? Refusal.BUSY : Refusal.NOT_HOLDER;
    }

    static long frame(int nackPayload) {
        return nackPayload & MAX_FRAME;
    }

    /** The requester's check: an answer to GET_EXCLUSIVE({@code frame}) names that frame. */
    static ReplyCheck answers(long frame) {
        return (type, payload) -> type == MailboxType.PUT_EXCLUSIVE ? payload == frame
            : type == MailboxType.NACK && frame(payload) == frame;
    }
}
