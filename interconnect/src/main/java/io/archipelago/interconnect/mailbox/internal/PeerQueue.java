package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;
import java.util.ArrayDeque;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Our side of one ordered pair: the queue of words from us to one peer. Holds the link currently
 * bound to the pair, the sequence numbers, the requests waiting for replies (one per sequence
 * number, so at most 16 outstanding), and the backlog of words the interrupt context could not
 * send yet. Order within the queue is the order in which words reach the link.
 * <p>
 * <b>Quarantine.</b> A request that ends without its reply (its deadline passed, or its link
 * closed) may still be answered later: the peer may have deferred it, or be slow. Its sequence
 * number is therefore not reused until that late reply arrives (it is then counted and dropped),
 * the peer restarts (a new incarnation cannot answer its predecessor's requests), or
 * {@link #quarantineNanos} pass, so that a late reply cannot complete a later request that
 * reuses the number. Replies also say what they answer ({@link ReplyCheck}): the quarantine
 * keeps them from being offered to the wrong request, the check refuses them if they are.
 * <p>
 * Fields without atomics are touched only on the interrupt context.
 */
final class PeerQueue {

    /** A request's sequence number stays quarantined at least this long after it gave up. */
    static final long QUARANTINE_MIN_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** ... and at least this many times the request's own timeout. */
    static final int QUARANTINE_TIMEOUTS = 4;

    /** A sequence number held back: the reply types its request accepted, and until when. */
    record Quarantine(int acceptedTypes, long untilNanos) {
        boolean accepts(int typeCode) {
            return (acceptedTypes & 1 << typeCode) != 0;
        }
    }

    final int peerId;
    volatile Link link;
    volatile String peerName;
    final AtomicInteger nextSequence = new AtomicInteger();
    final AtomicReferenceArray<PendingRequest> pending = new AtomicReferenceArray<>(16);

    /** Whether a request to this peer waits for its reply now (a racy look: for the decision to sleep). */
    boolean awaitsReply() {
        for (int i = 0; i < pending.length(); i++) {
            if (pending.get(i) != null) {
                return true;
            }
        }
        return false;
    }

    /** Sequence numbers whose request gave up before its reply came; null where none. */
    final AtomicReferenceArray<Quarantine> quarantined = new AtomicReferenceArray<>(16);
    /** The incarnation of the peer whose link was bound last (interrupt context only; 0: none yet). */
    long peerIncarnation;

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
     * Registers a pending request under a free sequence number, starting from the next one;
     * quarantined numbers are skipped until their quarantine ends.
     *
     * @return the sequence number, or -1 when all 16 are outstanding or quarantined
     */
    int register(PendingRequest request) {
        return register(request, System.nanoTime());
    }

    int register(PendingRequest request, long nowNanos) {
        int start = nextSequence.getAndIncrement();
        for (int i = 0; i < 16; i++) {
            int sequence = start + i & 0xF;
            if (held(sequence, nowNanos)) {
                continue;
            }
            if (pending.compareAndSet(sequence, null, request)) {
                // A request that gave up quarantines its number before it frees it: seen here if it happened meanwhile.
                if (held(sequence, nowNanos)) {
                    pending.compareAndSet(sequence, request, null);
                    continue;
                }
                request.sequence = sequence;
                return sequence;
            }
        }
        return -1;
    }

    /** Whether a sequence number is quarantined now (an expired quarantine is lifted). */
    private boolean held(int sequence, long nowNanos) {
        Quarantine quarantine = quarantined.get(sequence);
        if (quarantine == null) {
            return false;
        }
        if (nowNanos - quarantine.untilNanos() < 0) {
            return true;
        }
        quarantined.compareAndSet(sequence, quarantine, null); // no answer is expected any more
        return false;
    }

    /** The request got its reply, or never left: its number is free at once. */
    void unregister(PendingRequest request) {
        pending.compareAndSet(request.sequence, request, null);
    }

    /**
     * The request gives up without its reply (deadline): its number is quarantined, then freed.
     *
     * @return false when a reply took the request meanwhile (then nothing is quarantined)
     */
    boolean abandon(PendingRequest request, long nowNanos) {
        int sequence = request.sequence;
        if (pending.get(sequence) != request) {
            return false;
        }
        Quarantine quarantine = quarantineFor(request, nowNanos);
        quarantined.set(sequence, quarantine);
        if (pending.compareAndSet(sequence, request, null)) {
            return true;
        }
        quarantined.compareAndSet(sequence, quarantine, null);
        return false;
    }

    private static Quarantine quarantineFor(PendingRequest request, long nowNanos) {
        long hold = Math.max(QUARANTINE_MIN_NANOS, QUARANTINE_TIMEOUTS * Math.max(0, request.timeoutNanos));
        return new Quarantine(request.acceptedTypes, nowNanos + hold);
    }

    /**
     * (interrupt context) A word with a quarantined sequence number and a type its request
     * accepted: the late reply. Lifts the quarantine and returns true (the caller drops the word).
     */
    boolean lateReply(int sequence, int typeCode) {
        Quarantine quarantine = quarantined.get(sequence);
        return quarantine != null && quarantine.accepts(typeCode) && quarantined.compareAndSet(sequence, quarantine, null);
    }

    /** How many sequence numbers are quarantined now, for error messages. */
    int quarantinedCount(long nowNanos) {
        int count = 0;
        for (int i = 0; i < 16; i++) {
            Quarantine quarantine = quarantined.get(i);
            if (quarantine != null && nowNanos - quarantine.untilNanos() < 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * (interrupt context) A link to the peer was bound: a new incarnation of the peer cannot
     * answer requests made to its predecessor, so their quarantines end.
     */
    void boundTo(long incarnation) {
        if (peerIncarnation != 0 && peerIncarnation != incarnation) {
            for (int i = 0; i < 16; i++) {
                quarantined.set(i, null);
            }
        }
        peerIncarnation = incarnation;
    }

    /**
     * Fails every request waiting on this peer (its link closed). Their numbers are quarantined:
     * the peer may still answer them over its next link (a deferred answer).
     */
    void failPending(MailboxException cause) {
        long now = System.nanoTime();
        for (int i = 0; i < 16; i++) {
            PendingRequest request = pending.get(i);
            if (request != null && abandon(request, now)) {
                request.fail(cause);
            }
        }
    }
}
