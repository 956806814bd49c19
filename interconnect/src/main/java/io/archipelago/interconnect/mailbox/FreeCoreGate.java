package io.archipelago.interconnect.mailbox;

/**
 * The rule the mailbox's own loops spin by, for a member's other threads that wait by spinning (a URPC
 * channel's dispatcher and requesters): spin only while no thread of the machine waits for a core, and
 * for at most the loop-spin window. Got from {@code Mailboxes.coreGate}; thread-safe; closing it
 * releases what it reads the runnable count from.
 */
public interface FreeCoreGate extends AutoCloseable {

    /** Whether a spinning thread may go on spinning now. */
    boolean coreToSpare();

    @Override
    void close();
}
