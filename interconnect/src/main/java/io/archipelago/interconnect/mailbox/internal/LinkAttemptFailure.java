package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;

/** Why an attempt to establish a link failed, and whether trying again (within the deadline) may help. */
final class LinkAttemptFailure extends MailboxException {

    final boolean retriable;

    LinkAttemptFailure(Reason reason, int peer, String message, boolean retriable) {
        super(reason, peer, message);
        this.retriable = retriable;
    }

    LinkAttemptFailure(Reason reason, int peer, String message, boolean retriable, Throwable cause) {
        super(reason, peer, message, cause);
        this.retriable = retriable;
    }
}
