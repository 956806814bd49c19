package io.archipelago.interconnect.mailbox;

/**
 * A mailbox operation that could not complete; the message names the peer and says what was
 * expected and what happened. {@link #reason()} lets callers react without parsing messages.
 */
public class MailboxException extends RuntimeException {

    /** What went wrong. */
    public enum Reason {
        /** The peer's FIFO stayed full longer than the bound: it does not consume its words. */
        FIFO_FULL,
        /** No matching reply arrived before the deadline. */
        NO_REPLY,
        /** The link to the peer closed (the peer died or restarted) while we waited. */
        DISCONNECTED,
        /** No link could be established: unknown, dead, not listening, or refused. */
        UNREACHABLE,
        /** Authentication failed: one side does not know the cluster secret. */
        AUTHENTICATION,
        /** The operation would block the interrupt context, which must never block. */
        WOULD_BLOCK_INTERRUPT_CONTEXT,
        /** The mailbox is closed. */
        CLOSED
    }

    private final Reason reason;
    private final int peer;

    public MailboxException(Reason reason, int peer, String message) {
        super(message);
        this.reason = reason;
        this.peer = peer;
    }

    public MailboxException(Reason reason, int peer, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.peer = peer;
    }

    public Reason reason() {
        return reason;
    }

    /** The member id of the peer concerned. */
    public int peer() {
        return peer;
    }
}
