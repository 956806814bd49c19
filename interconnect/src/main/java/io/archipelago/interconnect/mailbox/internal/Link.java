package io.archipelago.interconnect.mailbox.internal;

import io.netty.channel.Channel;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An authenticated connection with one peer. It carries both queues of the pair: our words to
 * the peer (limited by the credits of the peer's FIFO) and the peer's words to us (whose credits
 * we owe back as we consume them). One link per pair of members is bound at a time; the sender
 * of every word on it is the peer, as in hardware, where the queue tells who sent.
 * <p>
 * Fields without atomics are touched only on the interrupt context (the link's event loop).
 */
final class Link {

    final Channel channel;
    final int peerId;
    final String peerName;
    final long peerIncarnation;
    /** Depth of the peer's FIFO for our words: our initial credits. */
    final int peerFifoDepth;
    final boolean initiatedByUs;

    /** Free slots in the peer's FIFO, as far as we know: taken by senders on any thread. */
    final AtomicInteger credits;
    /** Senders parked on a full FIFO. */
    final Queue<Thread> creditWaiters = new ConcurrentLinkedQueue<>();
    /** Whether we told the peer its FIFO is full for us since credits last arrived. */
    final AtomicBoolean fullNoticeSent = new AtomicBoolean();
    /** Running count stamped on our NOP words on this link. */
    final AtomicInteger nopSent = new AtomicInteger();
    volatile boolean open = true;
    volatile boolean bound;
    /** Our queue to the peer, set when the link is bound. */
    volatile PeerQueue queue;

    /**
     * Where both ends map the same global memory: the rings of the pair (ours to the peer, the
     * peer's to us) and the epoch that binds them to this link; null otherwise, and the words
     * travel on the channel. Set before the link is bound, never changed after.
     */
    MailboxRing outRing;
    MailboxRing inRing;
    long ringEpoch;
    /** The peer's wake line: whether a word we put in its ring needs the doorbell. */
    MailboxRings.WakeLine peerWake;

    /** A look at the backlog is scheduled while the peer has not bound our ring yet (interrupt context only). */
    boolean backlogRetryScheduled;

    /** Words of the peer we consumed and whose credits we have not returned yet (interrupt context only). */
    int owedCredits;
    /** The peer told us it waits on a full FIFO: return credits at once (interrupt context only). */
    boolean peerWaiting;
    /** Running count expected on the peer's next NOP word (interrupt context only). */
    int nopExpected;
    /**
     * (interrupt context, ring links) Words taken from the peer's ring one after another, each look
     * within the working window of the last, with nothing posted back to the peer meanwhile: a
     * FIFO's worth of them says the peer streams (see MailboxCore's drainRing).
     */
    int runWords;
    /** (interrupt context, ring links) When the last look at the peer's ring found words. */
    long runWordAt;

    Link(Channel channel, int peerId, String peerName, long peerIncarnation, int peerFifoDepth, boolean initiatedByUs) {
        this.channel = channel;
        this.peerId = peerId;
        this.peerName = peerName;
        this.peerIncarnation = peerIncarnation;
        this.peerFifoDepth = peerFifoDepth;
        this.initiatedByUs = initiatedByUs;
        this.credits = new AtomicInteger(peerFifoDepth);
    }

    /** Carries this link's words in rings in global memory (before it is bound). */
    /** (interrupt context) The due time of the held word a timer was last set for (see MailboxCore's wakeWhenDue). */
    long holdWakeAt;

    void carryOnRings(MailboxRing out, MailboxRing in, long epoch, MailboxRings.WakeLine peerWake) {
        this.outRing = out;
        this.inRing = in;
        this.ringEpoch = epoch;
        this.peerWake = peerWake;
    }

    boolean onRings() {
        return outRing != null;
    }

    /** Takes one credit if there is one, from any thread. */
    boolean tryTakeCredit() {
        while (true) {
            int available = credits.get();
            if (available <= 0) {
                return false;
            }
            if (credits.compareAndSet(available, available - 1)) {
                return true;
            }
        }
    }

    /** Credits to piggyback on a frame we are writing (interrupt context). */
    int takeOwedCredits() {
        int owed = Math.min(owedCredits, io.archipelago.interconnect.mailbox.wire.Frame.MAX_CREDITS);
        owedCredits -= owed;
        if (owedCredits == 0) {
            peerWaiting = false;
        }
        return owed;
    }

    @Override
    public String toString() {
        return "link with " + peerName + " (member " + peerId + ", " + (initiatedByUs ? "initiated by us" : "initiated by it") + ", "
            + channel.remoteAddress() + (onRings() ? ", words in global memory" : "") + ")";
    }
}
