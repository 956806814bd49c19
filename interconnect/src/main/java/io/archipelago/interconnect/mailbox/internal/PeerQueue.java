package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Our side of one ordered pair: the queue of words from us to one peer. Holds the link currently
 * bound to the pair, the sequence numbers, the requests waiting for replies (one per sequence
 * number, so at most 16 outstanding), and the backlog of words the interrupt context could not
 * send yet. Order within the queue is the order in which words reach the link.
 * <p>
 * Fields without atomics are touched only on the interrupt context.
 */
final class PeerQueue {

    final int peerId;
    volatile Link link;
    volatile String peerName;
    final AtomicInteger nextSequence = new AtomicInteger();
    final AtomicReferenceArray<PendingRequest> pending = new AtomicReferenceArray<>(16);

    /** The connection attempt in flight, if any (interrupt context only). */
    CompletableFuture<Link> attempt;
    /** When that attempt started, for the log. */
    long attemptStartedNanos;
    /** The channel of that attempt, to close it when the peer's own link wins (interrupt context only). */
    io.netty.channel.Channel attemptChannel;
    /** Why the last attempt failed, for error messages. */
    volatile MailboxException lastFailure;
    /** Words of the interrupt context waiting for credits or for a link (interrupt context only). */
    final ArrayDeque<Integer> backlog = new ArrayDeque<>();
    /** When the oldest backlogged word was queued while no link was bound. */
    long backlogSinceNanos;
    boolean retryScheduled;

    PeerQueue(int peerId) {
        this.peerId = peerId;
        this.peerName = "member " + peerId;
    }

    /** The link if it is bound and open. */
    Link openLink() {
        Link current = link;
        return current != null && current.open ? current : null;
    }

    int stampSequence() {
        return nextSequence.getAndIncrement() & 0xF;
    }

    /**
     * Registers a pending request under a free sequence number, starting from the next one.
     *
     * @return the sequence number, or -1 when all 16 are outstanding
     */
    int register(PendingRequest request) {
        int start = nextSequence.getAndIncrement();
        for (int i = 0; i < 16; i++) {
            int sequence = start + i & 0xF;
            if (pending.compareAndSet(sequence, null, request)) {
                request.sequence = sequence;
                return sequence;
            }
        }
        return -1;
    }

    void unregister(PendingRequest request) {
        pending.compareAndSet(request.sequence, request, null);
    }

    /** Fails every request waiting on this peer. */
    void failPending(MailboxException cause) {
        for (int i = 0; i < 16; i++) {
            PendingRequest request = pending.getAndSet(i, null);
            if (request != null) {
                request.fail(cause);
            }
        }
    }
}
