package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.InterruptHandler;
import io.archipelago.interconnect.mailbox.LinkFaults;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link Mailbox} a {@link MailboxCore} serves: the API's shapes (durations, words, sets of
 * reply types) turned into the core's (nanoseconds, encoded words, bit masks), nothing more.
 */
public final class CoreMailbox implements Mailbox {

    private final MailboxContext context;
    private final MailboxCore core;

    private CoreMailbox(MailboxContext context, MailboxCore core) {
        this.context = context;
        this.core = core;
    }

    /**
     * Starts a mailbox on a concluded context: its interrupt context, and its server when the
     * context serves.
     *
     * @throws io.archipelago.interconnect.mailbox.MailboxException when it cannot serve on its endpoint
     */
    public static Mailbox start(MailboxContext context) {
        return new CoreMailbox(context, MailboxCore.start(context));
    }

    @Override
    public int memberId() {
        return context.memberId();
    }

    @Override
    public String memberName() {
        return context.memberName();
    }

    @Override
    public MailboxContext context() {
        return context;
    }

    @Override
    public Optional<MailboxEndpoint> endpoint() {
        return core.endpoint();
    }

    @Override
    public String io() {
        return core.io();
    }

    @Override
    public void onInterrupt(MailboxType type, InterruptHandler handler) {
        core.onInterrupt(type, handler);
    }

    @Override
    public boolean inInterruptContext() {
        return core.inInterruptContext();
    }

    @Override
    public void send(int peer, MailboxType type, int payload) {
        core.send(peer, type, payload);
    }

    @Override
    public void send(int peer, MailboxWord word) {
        core.sendWord(peer, word.encode());
    }

    @Override
    public MailboxWord request(int peer, MailboxType type, int payload, Duration timeout, ReplyCheck check, MailboxType... replies) {
        return MailboxWord.decode(core.request(peer, type, payload, accepted(replies), check, timeout.toNanos()));
    }

    @Override
    public MailboxWord request(int peer, MailboxType type, int payload, Duration timeout, Duration watch, ReplyCheck check,
                               MailboxType... replies) {
        return MailboxWord.decode(core.request(peer, type, payload, accepted(replies), check, timeout.toNanos(), watch.toNanos()));
    }

    @Override
    public CompletableFuture<MailboxWord> requestAsync(int peer, MailboxType type, int payload, Duration timeout, ReplyCheck check,
                                                       MailboxType... replies) {
        return core.requestAsync(peer, type, payload, accepted(replies), check, timeout.toNanos()).thenApply(MailboxWord::decode);
    }

    private static int accepted(MailboxType... replies) {
        if (replies.length == 0) {
            throw new IllegalArgumentException("a request needs at least one accepted reply type");
        }
        int accepted = 0;
        for (MailboxType reply : replies) {
            accepted |= 1 << reply.code();
        }
        return accepted;
    }

    @Override
    public long[] pingFromInterruptContext(int peer, int count, Duration timeoutEach) {
        return core.pingFromInterruptContext(peer, count, timeoutEach.toNanos());
    }

    @Override
    public long ping(int peer, Duration timeout) {
        return core.ping(peer, timeout.toNanos());
    }

    @Override
    public StreamResult stream(int peer, int words, Duration fifoFullTimeout, Duration timeout) {
        long[] result = core.stream(peer, words, fifoFullTimeout.toNanos(), timeout.toNanos());
        return new StreamResult(words, result[0], result[1]);
    }

    @Override
    public String describePeer(int peer) {
        return core.peerName(peer);
    }

    @Override
    public void link(int peer) {
        core.link(peer);
    }

    @Override
    public boolean linked(int peer) {
        return core.linked(peer);
    }

    @Override
    public Optional<MailboxTransport> carrier(int peer) {
        return core.carrier(peer);
    }

    @Override
    public LinkFaults linkFaults() {
        return core.linkFaults();
    }

    @Override
    public void expectWords() {
        core.watchRingsAgain();
    }

    @Override
    public void expectWords(Duration within) {
        core.watchRingsAgain(within.toNanos());
    }

    @Override
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return "Mailbox[" + context.memberName() + " (" + context.memberId() + "), " + endpoint().map(Object::toString).orElse("no endpoint")
            + "]";
    }
}
