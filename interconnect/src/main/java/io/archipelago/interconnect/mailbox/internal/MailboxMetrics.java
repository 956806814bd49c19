package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.MailboxCounters.Counter;
import io.archipelago.interconnect.mailbox.MailboxType;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The mailbox's counters ({@link MailboxCounter}), resolved once from the {@link MailboxCounters}
 * sink. Per-type counters are allocated on first use, so {@code status} lists only the types a
 * kernel actually used; so are all but the three every status shows.
 */
public final class MailboxMetrics {

    private final MailboxCounters sink;
    private final AtomicReferenceArray<Counter> sent = new AtomicReferenceArray<>(MailboxType.CODES);
    private final AtomicReferenceArray<Counter> received = new AtomicReferenceArray<>(MailboxType.CODES);
    final Counter drops;
    final Counter malformed;
    final Counter unknownType;
    final Counter unhandled;
    final Counter lateReplies;
    final Counter mismatchedReplies;
    final Counter lostWords;
    final Counter fifoFullWaits;
    final Counter backlogged;
    final Counter authFailures;
    final Counter links;
    final Counter linkLosses;
    final Counter requestTimeouts;
    final Counter handlerErrors;
    final Counter slowHandlers;
    final Counter nopOutOfOrder;
    final Counter pollHits;
    final Counter pollYields;
    final Counter staleWords;
    final Counter doorbells;
    final Counter replySelfTakes;
    final Counter loopSleeps;
    final Counter fifoFullParks;

    public MailboxMetrics(MailboxCounters sink) {
        this.sink = sink;
        // the three every status shows, even at zero; the rest appear once they count something
        this.drops = sink.counter(MailboxCounter.DROPS.label());
        this.fifoFullWaits = sink.counter(MailboxCounter.FIFO_FULL_WAITS.label());
        this.authFailures = sink.counter(MailboxCounter.AUTH_FAILURES.label());
        this.malformed = lazy(MailboxCounter.MALFORMED);
        this.unknownType = lazy(MailboxCounter.UNKNOWN_TYPE);
        this.unhandled = lazy(MailboxCounter.UNHANDLED);
        this.lateReplies = lazy(MailboxCounter.LATE_REPLIES);
        this.mismatchedReplies = lazy(MailboxCounter.MISMATCHED_REPLIES);
        this.lostWords = lazy(MailboxCounter.LOST_WORDS);
        this.backlogged = lazy(MailboxCounter.BACKLOGGED);
        this.links = lazy(MailboxCounter.LINKS);
        this.linkLosses = lazy(MailboxCounter.LINK_LOSSES);
        this.requestTimeouts = lazy(MailboxCounter.REQUEST_TIMEOUTS);
        this.handlerErrors = lazy(MailboxCounter.HANDLER_ERRORS);
        this.slowHandlers = lazy(MailboxCounter.SLOW_HANDLERS);
        this.nopOutOfOrder = lazy(MailboxCounter.NOP_OUT_OF_ORDER);
        this.pollHits = lazy(MailboxCounter.POLL_HITS);
        this.pollYields = lazy(MailboxCounter.POLL_YIELDS);
        this.staleWords = lazy(MailboxCounter.STALE_WORDS);
        this.doorbells = lazy(MailboxCounter.DOORBELLS);
        this.replySelfTakes = lazy(MailboxCounter.REPLY_SELF_TAKES);
        this.loopSleeps = lazy(MailboxCounter.LOOP_SLEEPS);
        this.fifoFullParks = lazy(MailboxCounter.FIFO_FULL_PARKS);
    }

    /** A counter allocated in the sink on its first update (reads before that say 0). */
    private Counter lazy(MailboxCounter descriptor) {
        String label = descriptor.label();
        return new Counter() {
            private volatile Counter resolved;

            @Override
            public void add(long delta) {
                Counter counter = resolved;
                if (counter == null) {
                    synchronized (this) {
                        if (resolved == null) {
                            resolved = sink.counter(label);
                        }
                        counter = resolved;
                    }
                }
                counter.add(delta);
            }

            @Override
            public long get() {
                Counter counter = resolved;
                return counter == null ? 0 : counter.get();
            }
        };
    }

    void sent(MailboxType type) {
        counter(sent, MailboxCounter.sent(type), type).increment();
    }

    void received(MailboxType type) {
        counter(received, MailboxCounter.received(type), type).increment();
    }

    /** A drop of one of the specific kinds: counted there and in the total. */
    void drop(Counter kind) {
        kind.increment();
        drops.increment();
    }

    void lost(int words) {
        lostWords.add(words);
        drops.add(words);
    }

    private Counter counter(AtomicReferenceArray<Counter> counters, String label, MailboxType type) {
        Counter counter = counters.get(type.code());
        if (counter == null) {
            counter = sink.counter(label);
            counters.compareAndSet(type.code(), null, counter);
        }
        return counter;
    }
}
