package io.archipelago.interconnect;

import io.archipelago.interconnect.mailbox.FreeCoreGate;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.internal.CoreGate;
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

    /**
     * The gate a member's other spinning threads wait by, with the mailbox's settings (its loop-spin window and
     * loop-poll mode) on this machine's cores: the rule of the mailbox's interrupt context.
     */
    public static FreeCoreGate coreGate(MailboxContext settings) {
        return CoreGate.of(settings.loopSpin().toNanos(), settings.loopPoll(), Runtime.getRuntime().availableProcessors());
    }
}
