package io.archipelago.interconnect.mailbox;

/**
 * What a kernel does when a word of one type arrives: the mailbox raises an "interrupt" and runs
 * the handler registered for the word's type on the kernel's <b>interrupt context</b>, a single
 * dedicated thread (the mailbox's I/O thread, so that a reply leaves without a thread hop).
 * <p>
 * <b>A handler must not block</b>, as in K2, where the DSM handler "never sleeps nor touches
 * shared state that could fault": no waiting for locks held by normal threads, no I/O, no
 * sleeping, no waiting for replies. While it runs no other word of any peer is delivered. The
 * {@link Interrupt} it receives only offers operations that never block ({@link Interrupt#reply},
 * {@link Interrupt#post}); {@link Mailbox#send} and {@link Mailbox#request} called on the
 * interrupt context fail at once with {@link MailboxException.Reason#WOULD_BLOCK_INTERRUPT_CONTEXT}.
 * A handler that runs longer than the context's slow-handler threshold is counted
 * ({@code mailbox.slow_handlers}) and logged; one that throws is counted
 * ({@code mailbox.handler_errors}) and logged, and the mailbox carries on.
 */
@FunctionalInterface
public interface InterruptHandler {

    /** Handles one arrived word, on the interrupt context. Must not block. */
    void onInterrupt(Interrupt interrupt);
}
