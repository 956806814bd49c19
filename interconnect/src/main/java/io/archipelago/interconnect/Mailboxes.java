package io.archipelago.interconnect;

import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.internal.CoreMailbox;

/**
 * Where a {@link Mailbox} is started: above both the mailbox's API ({@code interconnect.mailbox}:
 * the words, the context, the {@link Mailbox} a member uses) and its implementation
 * ({@code interconnect.mailbox.internal}), so that the API never imports what implements it.
 */
public final class Mailboxes {

    private Mailboxes() {
    }

    /**
     * Starts a mailbox: concludes its context if that is not done yet, then starts its interrupt
     * context, and its server when the context serves.
     *
     * @throws IllegalArgumentException when the context is invalid (every problem listed)
     * @throws MailboxException         when it cannot serve on its endpoint
     */
    public static Mailbox start(MailboxContext context) {
        if (!context.concluded()) {
            context.conclude();
        }
        return CoreMailbox.start(context);
    }
}
