package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;

/** One arrived word handed to an interrupt handler. */
final class DeliveredInterrupt implements Interrupt {

    private final MailboxCore core;
    private final Link link;
    private final int word;

    DeliveredInterrupt(MailboxCore core, Link link, int word) {
        this.core = core;
        this.link = link;
        this.word = word;
    }

    @Override
    public int sender() {
        return link.peerId;
    }

    @Override
    public String senderName() {
        return link.peerName;
    }

    @Override
    public int word() {
        return word;
    }

    @Override
    public void reply(MailboxType type, int payload) {
        core.post(link.peerId, MailboxWord.encode(type, MailboxWord.sequence(word), checked(type, payload)));
    }

    @Override
    public void post(int peer, MailboxType type, int payload) {
        core.post(peer, MailboxWord.encode(type, core.queue(peer).stampSequence(), checked(type, payload)));
    }

    private static int checked(MailboxType type, int payload) {
        if (payload < 0 || payload > MailboxWord.MAX_PAYLOAD) {
            throw new IllegalArgumentException("a mailbox payload is 0 to " + MailboxWord.MAX_PAYLOAD + ", found " + payload + " for " + type);
        }
        return payload;
    }

    @Override
    public String toString() {
        return MailboxWord.hex(word) + " from " + link.peerName + " (member " + link.peerId + ")";
    }
}
