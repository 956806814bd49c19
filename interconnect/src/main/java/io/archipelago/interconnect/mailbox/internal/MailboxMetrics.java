package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.MailboxCounters.Counter;
import io.archipelago.interconnect.mailbox.MailboxType;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The mailbox's counters, resolved once from the {@link MailboxCounters} sink. Per-type counters
 * are allocated on first use, so {@code status} lists only the types a kernel actually used.
 *
 * <pre>
 *   mailbox.sent.&lt;TYPE&gt;        words sent, by type
 *   mailbox.received.&lt;TYPE&gt;    words received (consumed from the FIFO), by type
 *   mailbox.drops              words or frames dropped, all causes (the three below, and lost words)
 *   mailbox.drops.malformed    frames that could not be decoded, from authenticated members
 *   mailbox.drops.unknown_type words whose type code is unassigned
 *   mailbox.drops.unhandled    words no handler or waiting request wanted
 *   mailbox.drops.late_replies replies that came after their request gave up (their sequence number was quarantined)
 *   mailbox.drops.mismatched_replies  replies with a waiting request's sequence number that answer another request
 *   mailbox.lost_words         words queued for a peer whose link closed before they left
 *   mailbox.fifo_full_waits    sends that found the peer's FIFO full and waited
 *   mailbox.backlogged         words the interrupt context queued behind a full FIFO
 *   mailbox.auth_failures      connections dropped: strangers, garbage, wrong secrets, silence
 *   mailbox.links              links established (both directions)
 *   mailbox.link_losses        links lost (peer died, restarted, or closed)
 *   mailbox.request_timeouts   requests that got no reply before their deadline
 *   mailbox.handler_errors     interrupt handlers that threw
 *   mailbox.slow_handlers      interrupt handlers that ran longer than the threshold
 *   mailbox.nop_out_of_order   NOP words whose running count was not the expected one
 *   mailbox.poll_hits          words or hand-offs that found the interrupt context polling (no wake-up)
 *   mailbox.poll_yields        polls cut short because a thread of the machine waited for a core
 *   mailbox.drops.stale_words  words of a previous link found in a ring in global memory (dropped)
 *   mailbox.doorbells          doorbells rung: words put in a ring whose receiver nobody watched
 *   mailbox.reply_self_takes   replies a waiting thread took from the ring itself (no hand-over)
 * </pre>
 */
public final class MailboxMetrics {

    public static final String PREFIX = "mailbox.";

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

    public MailboxMetrics(MailboxCounters sink) {
        this.sink = sink;
        // the three every status shows, even at zero; the rest appear once they count something
        this.drops = sink.counter(PREFIX + "drops");
        this.fifoFullWaits = sink.counter(PREFIX + "fifo_full_waits");
        this.authFailures = sink.counter(PREFIX + "auth_failures");
        this.malformed = lazy("drops.malformed");
        this.unknownType = lazy("drops.unknown_type");
        this.unhandled = lazy("drops.unhandled");
        this.lateReplies = lazy("drops.late_replies");
        this.mismatchedReplies = lazy("drops.mismatched_replies");
        this.lostWords = lazy("lost_words");
        this.backlogged = lazy("backlogged");
        this.links = lazy("links");
        this.linkLosses = lazy("link_losses");
        this.requestTimeouts = lazy("request_timeouts");
        this.handlerErrors = lazy("handler_errors");
        this.slowHandlers = lazy("slow_handlers");
        this.nopOutOfOrder = lazy("nop_out_of_order");
        this.pollHits = lazy("poll_hits");
        this.pollYields = lazy("poll_yields");
        this.staleWords = lazy("drops.stale_words");
        this.doorbells = lazy("doorbells");
        this.replySelfTakes = lazy("reply_self_takes");
    }

    /** A counter allocated in the sink on its first update (reads before that say 0). */
    private Counter lazy(String suffix) {
        String label = PREFIX + suffix;
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
        counter(sent, "sent.", type).increment();
    }

    void received(MailboxType type) {
        counter(received, "received.", type).increment();
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

    private Counter counter(AtomicReferenceArray<Counter> counters, String infix, MailboxType type) {
        Counter counter = counters.get(type.code());
        if (counter == null) {
            counter = sink.counter(PREFIX + infix + type.name());
            counters.compareAndSet(type.code(), null, counter);
        }
        return counter;
    }
}
