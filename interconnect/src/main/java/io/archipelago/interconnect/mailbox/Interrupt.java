package io.archipelago.interconnect.mailbox;

/**
 * One arrived word, as an {@link InterruptHandler} sees it: who sent it (known from the queue it
 * came through, as in hardware) and the word, plus the only two things a handler may do with
 * the mailbox, both of which never block.
 */
public interface Interrupt {

    /** The member id of the sender. */
    int sender();

    /** The sender's name, for logs. */
    String senderName();

    /** The raw 32-bit word. */
    int word();

    default MailboxType type() {
        return MailboxType.ofCodeOrNull(MailboxWord.typeCode(word()));
    }

    default int sequence() {
        return MailboxWord.sequence(word());
    }

    default int payload() {
        return MailboxWord.payload(word());
    }

    default MailboxWord mailboxWord() {
        return MailboxWord.decode(word());
    }

    /**
     * Answers the sender with a word that echoes this word's sequence number, so its requester
     * matches it. Never blocks: when the sender's FIFO is full the word waits in the queue's
     * software backlog (as Linux's OMAP mailbox driver queues messages when the hardware FIFO is
     * full) and leaves, in order, as soon as the FIFO has room.
     *
     * @throws MailboxException when the backlog is full too (the peer stopped consuming)
     */
    void reply(MailboxType type, int payload);

    /**
     * Sends a word to any member from the interrupt context, stamped with the next sequence
     * number of that queue. Never blocks (see {@link #reply}); a link that does not exist yet is
     * established in the background.
     */
    void post(int peer, MailboxType type, int payload);
}
