package io.archipelago.interconnect.mailbox;

/**
 * What a requester checks of a reply beyond its type and sequence number: that it answers
 * <em>this</em> request (the page frame in {@code PUT_EXCLUSIVE} and in the DSM's {@code NACK},
 * the pid in {@code NW_ACK}, the tid in {@code ACK}...). Sequence numbers are 4 bits per queue,
 * so a reply that comes after its request gave up could otherwise complete a later request that
 * reuses the number. A word of an accepted type with the request's sequence number that fails
 * the check is counted ({@code mailbox.drops.mismatched_replies}) and dropped, and the request
 * keeps waiting for its own reply.
 * <p>
 * Runs on the interrupt context: it must be quick and must not block.
 */
@FunctionalInterface
public interface ReplyCheck {

    /** No check beyond type and sequence number. */
    ReplyCheck ANY = (type, payload) -> true;

    /** Whether a reply of this type and payload answers the request. */
    boolean answers(MailboxType type, int payload);

    /** Every accepted reply echoes the request's payload. */
    static ReplyCheck echoes(int requestPayload) {
        return (type, payload) -> payload == requestPayload;
    }
}
