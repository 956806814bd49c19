package io.archipelago.interconnect.mailbox;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The emulated 32-bit hardware mailbox of one member (a kernel, or the coordinator), as K2's
 * kernels use the OMAP4 mailbox: {@link MailboxWord}s go to a peer through the queue of that
 * ordered pair, whose FIFO holds {@link MailboxContext#fifoDepth()} words (default 4); a word's
 * arrival raises an interrupt that runs the handler of its type on the member's interrupt
 * context.
 *
 * <ul>
 *   <li><b>Queues and FIFOs.</b> The sender of every word is known from the queue it came
 *   through. A sender facing a full FIFO waits (spin briefly, then park) until the peer
 *   consumes a word, at most {@link MailboxContext#fifoFullTimeout()}, then fails with
 *   {@link MailboxException.Reason#FIFO_FULL} naming the peer. Order within a queue is kept.</li>
 *   <li><b>Interrupts.</b> {@link #onInterrupt} registers the handler of a type; it runs on the
 *   interrupt context (the mailbox's single I/O thread) and must not block (see
 *   {@link InterruptHandler}). PING is answered by default (PONG, same payload); NOP words are
 *   checked by the mailbox itself.</li>
 *   <li><b>Request/reply.</b> {@link #request} sends a word and waits for the reply of an
 *   accepted type that echoes its sequence number, as K2's requester does: spin briefly, then
 *   park, with a deadline; a peer that dies meanwhile fails the request at once.</li>
 *   <li><b>Links.</b> Established lazily on first use, through the {@link PeerDirectory} (a
 *   restarted peer is found again at its new endpoint), authenticated with the cluster secret,
 *   one per pair of members. A member that serves no endpoint (the coordinator, a tool) can still
 *   talk: it initiates the link, and peers answer on it.</li>
 * </ul>
 * All methods are thread-safe. Counters go to {@link MailboxContext#counters()}. Started by
 * {@link io.archipelago.interconnect.Mailboxes#start}.
 */
public interface Mailbox extends AutoCloseable {

    int memberId();

    String memberName();

    MailboxContext context();

    /** Where this mailbox serves (to publish in membership), or empty when it only initiates links. */
    Optional<MailboxEndpoint> endpoint();

    /** "epoll" or "nio": the Netty I/O in use. */
    String io();

    /**
     * Registers the interrupt handler for a type, replacing the previous one (PING's default
     * answers PONG). Handlers run on the interrupt context and must not block.
     */
    void onInterrupt(MailboxType type, InterruptHandler handler);

    /** Whether the calling thread is this mailbox's interrupt context. */
    boolean inInterruptContext();

    /**
     * Sends a word to a peer, stamped with the queue's next sequence number. Establishes the link
     * if needed (at most the connect timeout) and waits while the peer's FIFO is full (at most the
     * FIFO-full timeout).
     *
     * @throws MailboxException naming the peer: FIFO_FULL, UNREACHABLE, DISCONNECTED, or
     *                          WOULD_BLOCK_INTERRUPT_CONTEXT when called from a handler
     */
    void send(int peer, MailboxType type, int payload);

    /** Sends a word exactly as given, its sequence number included (e.g. a reply sent from a normal thread). */
    void send(int peer, MailboxWord word);

    /**
     * Sends a request and waits for its reply: the first word from that peer of one of
     * {@code replies} that carries the request's sequence number. Spins briefly, then parks.
     * Prefer {@link #request(int, MailboxType, int, Duration, ReplyCheck, MailboxType...)} where
     * the reply says what it answers.
     *
     * @param replies the accepted reply types (e.g. PUT_EXCLUSIVE and NACK for GET_EXCLUSIVE)
     * @return the reply
     * @throws MailboxException naming the peer: NO_REPLY when the deadline passes, DISCONNECTED
     *                          when the peer's link closes first, and the reasons of {@link #send}
     */
    default MailboxWord request(int peer, MailboxType type, int payload, Duration timeout, MailboxType... replies) {
        return request(peer, type, payload, timeout, ReplyCheck.ANY, replies);
    }

    /**
     * Sends a request and waits for its reply: the first word from that peer of one of
     * {@code replies} that carries the request's sequence number and passes {@code check}. A word
     * that has the type and sequence number but fails the check answers another request (a late
     * reply): it is counted ({@code mailbox.drops.mismatched_replies}) and dropped, and this
     * request keeps waiting. A request that gives up keeps its sequence number out of use until
     * its late reply could no longer come (see {@code mailbox.drops.late_replies}).
     *
     * @param check whether a reply answers this request, e.g. {@code (type, p) -> p == frame}
     */
    MailboxWord request(int peer, MailboxType type, int payload, Duration timeout, ReplyCheck check, MailboxType... replies);

    /**
     * As {@link #request(int, MailboxType, int, Duration, ReplyCheck, MailboxType...)}, the calling thread watching for
     * its reply for up to {@code watch} before it parks, where the reply comes through a ring in global memory: past the
     * usual window only while a core is free (with every core wanted it parks there, as before). For a request whose answer is known to take longer than the
     * interrupt context's poll window (a DSM page's hand-over): a reply that finds the requester parked costs a doorbell
     * and two wake-ups (the interrupt context's, then the requester's).
     */
    MailboxWord request(int peer, MailboxType type, int payload, Duration timeout, Duration watch, ReplyCheck check,
                        MailboxType... replies);

    /**
     * Sends a request without waiting, from any thread including an interrupt handler: the
     * future completes <b>on the interrupt context</b> with the reply (so its callbacks must not
     * block either), or fails with a {@link MailboxException} naming the peer (NO_REPLY at the
     * deadline, DISCONNECTED, FIFO_FULL when the interrupt context's backlog is full too).
     */
    default CompletableFuture<MailboxWord> requestAsync(int peer, MailboxType type, int payload, Duration timeout, MailboxType... replies) {
        return requestAsync(peer, type, payload, timeout, ReplyCheck.ANY, replies);
    }

    /** {@link #requestAsync(int, MailboxType, int, Duration, MailboxType...)} with a check of what the reply answers. */
    CompletableFuture<MailboxWord> requestAsync(int peer, MailboxType type, int payload, Duration timeout, ReplyCheck check,
                                                MailboxType... replies);

    /**
     * PING/PONG round trips chained on the interrupt context: each PING leaves the moment the
     * previous PONG is delivered, with no thread hand-off (the word's round trip between the two
     * interrupt contexts). The calling thread waits for the whole series.
     *
     * @return the round trips in nanoseconds
     */
    long[] pingFromInterruptContext(int peer, int count, Duration timeoutEach);

    /** One PING/PONG round trip to a peer, from this thread; returns it in nanoseconds. */
    long ping(int peer, Duration timeout);

    /**
     * Sends {@code words} NOP words to a peer as fast as its FIFO allows (the peer checks their
     * running count: see {@code mailbox.nop_out_of_order}), then a PING whose PONG proves they
     * were all consumed.
     */
    StreamResult stream(int peer, int words, Duration fifoFullTimeout, Duration timeout);

    /**
     * What {@link #stream} measured.
     *
     * @param fifoFullWaits how many of the sends found the FIFO full and waited
     */
    record StreamResult(int words, long elapsedNanos, long fifoFullWaits) {
        public double wordsPerSecond() {
            return elapsedNanos == 0 ? 0 : words * 1e9 / elapsedNanos;
        }
    }

    /** "name (kernel N)" for a peer, as error messages say it. */
    String describePeer(int peer);

    /**
     * Establishes the link to a peer without sending a word, waiting at most the connect timeout:
     * a member with no endpoint (the coordinator) links to the kernels it serves, so that they can
     * send it requests (they cannot initiate a link to it). Returns at once when the link is up.
     *
     * @throws MailboxException naming the peer when it cannot be reached, or on the interrupt context
     */
    void link(int peer);

    /** Whether a link to the peer is established right now. */
    boolean linked(int peer);

    /**
     * What carries this member's words to the peer now: {@link MailboxTransport#SHM} where both
     * map the same global memory (a ring there), else the link's socket; empty while no link is up.
     */
    Optional<MailboxTransport> carrier(int peer);

    /** The faults injected on purpose into the words this member receives (fault injection: drop, delay, duplicate, reorder, cut). */
    LinkFaults linkFaults();

    /**
     * Expects a peer's word soon: the interrupt context watches its rings in global memory again for
     * its poll window (under the free-core gate), waking if it sleeps, so that the word finds it
     * watching instead of costing a doorbell and a wake-up. Never blocks; does nothing without rings.
     */
    void expectWords();

    /**
     * As {@link #expectWords()}, expecting a word within {@code within}: until then the interrupt context polls on, window
     * after window, while a core is free (so that the word finds it watching instead of costing a doorbell and a wake-up);
     * while every core is wanted it blocks as usual. Bounded by {@code within} + the poll window; never blocks.
     */
    void expectWords(Duration within);

    /** Closes every link and the server; waiting senders and requesters fail with CLOSED. */
    @Override
    void close();
}
