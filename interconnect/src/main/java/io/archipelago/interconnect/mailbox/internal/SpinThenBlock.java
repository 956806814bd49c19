package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxContext.LoopPoll;
import io.archipelago.interconnect.mailbox.MailboxCounters.Counter;
import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.SingleThreadEventExecutor;

/**
 * The interrupt context's wait for the next word: poll the sockets (a non-blocking
 * {@code epoll_wait}) for a bounded window after the last work, then block. K2's requester rule
 * ("spin briefly, then park") applied to the event loop itself, with one more rule for a machine
 * of two cores: <b>poll only while a core is left for everybody else</b>.
 * <p>
 * Why poll: on a quiet virtual machine the vCPUs halt as soon as every thread blocks, and waking
 * the peer kernel's interrupt context then costs a halt exit and an inter-processor interrupt per
 * word (a mailbox round trip of 35–75 µs against 13–25 µs for a blocking socket, 2 Dec 2026). While
 * the loop polls, a peer's word is seen without either.
 * <p>
 * Why the gate ({@link LoopPoll#IDLE_CORE}, the default): a polling loop holds a core. When more
 * threads are runnable than there are cores (a kernel thread woken for its reply, another
 * kernel's work, someone else's build), that core is taken from one of them, and everything
 * waits for the poll window to run out (measured: a requester's round trip 4x slower). So before
 * it polls, and every {@link #CHECK_NANOS} while it polls, the loop reads the machine's runnable
 * count ({@link RunnableThreads}, 1.4 µs) and blocks at once when it exceeds the cores. Where that
 * count cannot be read (not Linux), the gated loop never polls. {@link LoopPoll#ALWAYS} polls the
 * whole window regardless (for comparison).
 * <p>
 * The gate asks about waiting, not working: a loop that delivered a word within the last
 * {@link #WORKING_NANOS} goes on polling whatever the count says. Two kernels ping-ponging words
 * are two runnable threads on two cores; when a third wakes, an idle loop gives way, but the two
 * that carry the traffic would otherwise both block and turn every following word into two
 * wake-ups.
 * <p>
 * Where words travel in rings in global memory ({@link RingWatch}), the loop looks at its rings
 * every time round and at its sockets (a system call) only every {@link #SOCKET_LOOK_NANOS}, goes
 * back to the loop without a system call after delivering words from a ring, and looks at the
 * rings once more after it declared itself asleep, so that a sender rings the doorbell only when
 * nobody watches. While a kernel thread of its own watches the rings for its reply
 * ({@link RingWatch#handedOver}), the loop blocks: that thread wakes it for any other word.
 * <p>
 * Under a modelled platform (a word held in its ring until its send time + the pair's latency) the
 * waits follow the model: the loop counts as working for the longest modelled round trip on top of
 * {@link #WORKING_NANOS}, and polls its window on top of it; and while a word waits in a ring for a
 * due time at most {@link MailboxRing#NEAR_NANOS} away ({@link RingWatch#wordHeld}), a request of
 * this context waits for its reply on a modelled link ({@link RingWatch#replyAwaited}), or a word
 * came from a modelled link less than its round trip + the poll window ago ({@link RingWatch#inExchange}:
 * the answering side's rule, as the peer that sent it sends its next word once the answer is back),
 * a closed gate makes it yield its core between looks instead of blocking. Blocking there costs the word a
 * doorbell and a wake-up (30-40 us on the development VM, several times a 5 us model), and once one
 * side slept through its reply the exchange stays in that mode: every round trip then outlasts the
 * working window, so each gate check may send a loop to sleep again (measured: 36-40 us a round
 * trip and a doorbell a word, for whole runs; the answering side alone, without its rule, slept
 * after 4,770-4,990 answers of 5,000). The yield is bounded like the spin: by the due time, or by
 * the window. While it expects a word, a loop under a model asks the gate within its working window
 * too, and gives its core away between looks while the gate is closed ({@link #modelledWait}):
 * the peer that must answer may be waiting for that very core; a word already held in a ring for a
 * near due time is waited for by spinning to it ({@link #giveWay}).
 */
final class SpinThenBlock implements SelectStrategy {

    /** How often a polling loop checks that no thread waits for a core. */
    static final long CHECK_NANOS = 5_000;
    /** How long a loop that found every core wanted blocks at once before it looks again. */
    static final long RECHECK_NANOS = 100_000;
    /**
     * Where words travel in rings, how often the polling loop looks at its sockets (a system call,
     * 0.3–1 µs here): they then carry only doorbells, credits and the links' own frames, while the
     * rings are looked at every time round (a few loads).
     */
    static final long SOCKET_LOOK_NANOS = 2_000;
    /**
     * A loop that delivered work this recently is working, not waiting: it goes on polling whatever
     * the runnable count says (yielding then would cost the next word a wake-up on both sides, and
     * the thread that wants the core gets it as soon as the words stop).
     */
    static final long WORKING_NANOS = 10_000;

    private final long windowNanos;
    private final RunnableThreads runnable;
    private final int cores;
    private final Counter hits;
    private final Counter yields;
    /** Until when the loop blocks at once without looking (interrupt context only). */
    private long closedUntil = System.nanoTime();
    /** Looks in a row that found every core wanted (interrupt context only). */
    private int closedLooks;
    /** When the loop last delivered a word or ran a task it found while polling (interrupt context only). */
    private long lastWork;
    private final long workingNanos;
    /**
     * The longest modelled round trip of this member's links (twice a word's modelled one-way
     * latency, 0 on the host platform), added to {@link #workingNanos} (interrupt context only):
     * under a model the next word cannot come sooner, so a loop in a modelled exchange is working
     * for that long after its last word, as an unmodelled one is for {@link #WORKING_NANOS}.
     */
    private long modelledRoundTrip;
    /** When the polling loop next looks at its sockets, where words travel in rings (interrupt context only). */
    private long nextSocketLook = System.nanoTime();
    /** The runnable count's last verdict and when it was read (interrupt context only): read at most every {@link #CHECK_NANOS}. */
    private boolean spareSeen;
    private long spareReadAt = System.nanoTime() - CHECK_NANOS;
    /** Rings to watch beside the sockets, or null (set once, before the loop runs). */
    private volatile RingWatch rings;
    /** The loop whose task queue ends the polling too (a word handed over by a kernel thread is a task, not an I/O event). */
    private volatile SingleThreadEventExecutor loop;

    /**
     * @param runnable the machine's runnable count, or null to poll regardless of it
     * @param hits counts polls that ended with a word or a task (each saved a wake-up)
     * @param yields counts polls cut short for a thread waiting for a core
     */
    SpinThenBlock(long windowNanos, RunnableThreads runnable, int cores, Counter hits, Counter yields) {
        this(windowNanos, runnable, cores, hits, yields, WORKING_NANOS);
    }

    /** As above, with how long after its last work the loop counts as working (tests widen it to rule out timing). */
    SpinThenBlock(long windowNanos, RunnableThreads runnable, int cores, Counter hits, Counter yields, long workingNanos) {
        this.workingNanos = workingNanos;
        this.lastWork = System.nanoTime() - workingNanos - 1;
        this.windowNanos = windowNanos;
        this.runnable = runnable;
        this.cores = cores;
        this.hits = hits;
        this.yields = yields;
    }

    /**
     * The strategy for a context's loop poll settings, or null when the loop should block at once
     * (no window; or gated where the runnable count cannot be read) and has no rings to watch.
     */
    static SpinThenBlock of(long windowNanos, LoopPoll poll, int cores, Counter hits, Counter yields) {
        return of(windowNanos, poll, cores, hits, yields, false);
    }

    /** As {@link #of(long, LoopPoll, int, Counter, Counter)}, and never null when the loop watches rings. */
    static SpinThenBlock of(long windowNanos, LoopPoll poll, int cores, Counter hits, Counter yields, boolean rings) {
        if (windowNanos <= 0) {
            return rings ? new SpinThenBlock(0, null, cores, hits, yields) : null;
        }
        if (poll == LoopPoll.ALWAYS) {
            return new SpinThenBlock(windowNanos, null, cores, hits, yields);
        }
        RunnableThreads reader = RunnableThreads.open(RunnableThreads.LOADAVG);
        if (reader == null) {
            return rings ? new SpinThenBlock(0, null, cores, hits, yields) : null;
        }
        return new SpinThenBlock(windowNanos, reader, cores, hits, yields);
    }

    /** Counts the loop's blocks (set once, before the loop runs; null: not counted). */
    volatile Counter sleeps;

    /** Set once the rings exist (the strategy is made before the core). */
    void watchRings(RingWatch rings) {
        this.rings = rings;
    }

    /**
     * (interrupt context) The longest modelled round trip of the member's links now: see
     * {@link #modelledRoundTrip}.
     */
    void modelledRoundTrip(long nanos) {
        modelledRoundTrip = Math.max(0, nanos);
    }

    /** How long after its last word the loop counts as working. */
    private long working() {
        return workingNanos + modelledRoundTrip;
    }

    /**
     * Under a model, whether the loop waits for a word it expects ({@link #expecting}): it then
     * asks the gate at every check, within its working window too, and while the gate is closed
     * gives its core away between looks ({@link #giveWay}), not once a check. The peer that must
     * answer may be waiting for this very core: measured on the development VM (2 cores, a third
     * thread runnable), a loop that kept its core for its working window (10 us + the modelled round
     * trip) after each word and yielded once a check made every yield cost 10-20 us, as long as the
     * other loop's own spin, and the interrupt contexts' round trip sat at 17.5-20 us for a 5 us
     * model (one yield per round trip on each side; with no gate at all, 5.7 us). A yield costs
     * nothing where nobody waits for the core, and an open gate never yields.
     */
    private boolean modelledWait(RingWatch watched, long now) {
        return modelledRoundTrip > 0 && runnable != null && expecting(watched, now);
    }

    /**
     * The runnable count's last reading, less than {@link #RECHECK_NANOS} ago, found every core
     * wanted. Not only the current check's: between words a wait of a modelled round trip often
     * ends before its first check, and the yield that matters is the one right after the loop sent
     * its word, while the peer that must answer it may be waiting for this core.
     */
    private boolean gateSeenClosed(long now) {
        return !spareSeen && now - spareReadAt < RECHECK_NANOS;
    }

    /**
     * Gives the core to whoever waits for it and looks again, unless a word already waits in a ring
     * for a due time at most {@link MailboxRing#NEAR_NANOS} away: that wait is a timed spin to the
     * due time, as the loop takes the word at its first look after it, where a yield may hand the
     * core over for longer than the word has left.
     */
    private void giveWay(RingWatch watched) {
        if (watched != null && watched.heldDueIn() <= MailboxRing.NEAR_NANOS) {
            return;
        }
        Thread.yield();
    }

    /** Set once the loop exists (the strategy is made before it). */
    void watchTasksOf(SingleThreadEventExecutor loop) {
        this.loop = loop;
    }

    private boolean tasksPending() {
        SingleThreadEventExecutor watched = loop;
        return watched != null && watched.pendingTasks() > 0;
    }

    /** Whether no thread of the machine waits for a core (this loop, running, is one of the runnable). */
    private boolean coreToSpare() {
        if (runnable == null) {
            return true;
        }
        long now = System.nanoTime();
        if (now - spareReadAt < CHECK_NANOS) {
            return spareSeen;
        }
        int count = runnable.read();
        spareSeen = count >= 0 && count <= cores;
        spareReadAt = System.nanoTime();
        return spareSeen;
    }

    /**
     * Whether the loop may start polling. When every core was wanted at two looks in a row, the
     * "no" is remembered for {@link #RECHECK_NANOS}: on busy cores, where every word ends in a
     * block, the loop then goes to sleep at once instead of reading the runnable count each time
     * (the peer's reply often waits on this very core for the loop to block). A single "no" (a
     * timer tick, a kernel thread taking its reply) is not remembered.
     */
    private boolean mayPoll(long now) {
        if (now - lastWork <= working()) {
            return true;
        }
        if (now - closedUntil < 0) {
            return false;
        }
        if (coreToSpare()) {
            closedLooks = 0;
            return true;
        }
        if (++closedLooks >= 2) {
            closedUntil = now + RECHECK_NANOS;
        }
        return false;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        RingWatch watched = rings;
        long now = System.nanoTime();
        if (watched != null) {
            watched.awake();
            if (watched.poll() > 0) {
                lastWork = now;
                return afterRingWork(selectNow, now);
            }
        }
        if (hasTasks) {
            // where words travel in rings, the sockets wait for their due look: a system call each time round
            // would cost a streaming receiver as much as the word it then finds
            return watched != null && now - nextSocketLook < 0 ? 0 : selectNow.get();
        }
        // a word held by the modelled latency, due soon, is work at hand: the loop waits for its due time
        // (yielding its core between looks while every core is wanted), rather than block and pay a wake-up
        boolean expecting = expecting(watched, now);
        if (windowNanos <= 0 || watched != null && watched.handedOver() || !expecting && !mayPoll(now)) {
            return block(selectNow, watched);
        }
        int ready;
        if (watched == null || now - nextSocketLook >= 0) {
            ready = selectNow.get();
            nextSocketLook = now + SOCKET_LOOK_NANOS;
            if (ready > 0) {
                lastWork = now;
                return ready;
            }
        }
        long start = now;
        long nextCheck = start + CHECK_NANOS;
        long window = windowNanos + modelledRoundTrip;
        while ((now = System.nanoTime()) - start < window) {
            if (now - nextCheck >= 0) {
                if ((now - lastWork > working() || modelledWait(watched, now)) && !coreToSpare()) {
                    yields.increment();
                    if (!expecting(watched, now)) {
                        // a thread woke and waits for this core (often briefly: a timer tick, a kernel
                        // thread taking its reply): give it the core, and look again after the next word
                        return block(selectNow, watched);
                    }
                    // a word waits in a ring for its modelled due time (at most NEAR_NANOS away), a reply
                    // to this context's own request is on its modelled way, this context answered (or
                    // received) a word of a modelled exchange and the peer's next one is due about a
                    // modelled round trip later, or a sender streams into a full FIFO: blocking would turn it
                    // into a doorbell and a wake-up (tens of microseconds here, over the model), and a
                    // loop that blocked while its reply travelled makes the peer's next word find it
                    // asleep too. Give the core to whoever waits for it and look again, within the window,
                    // as a kernel thread waiting for its reply does
                    giveWay(watched);
                }
                nextCheck = now + CHECK_NANOS;
            } else if (gateSeenClosed(now) && modelledWait(watched, now)) {
                giveWay(watched);
            }
            Thread.onSpinWait();
            if (watched != null) {
                if (watched.poll() > 0) {
                    hits.increment();
                    lastWork = now;
                    return afterRingWork(selectNow, now);
                }
                if (watched.handedOver()) {
                    return block(selectNow, watched);
                }
                if (now - nextSocketLook < 0) {
                    if (tasksPending()) {
                        hits.increment();
                        lastWork = now;
                        return 0;
                    }
                    continue;
                }
                nextSocketLook = now + SOCKET_LOOK_NANOS;
            }
            ready = selectNow.get();
            if (ready > 0 || tasksPending()) {
                hits.increment();
                lastWork = now;
                return ready;
            }
        }
        if (watched != null && watched.wordExpected(now) && coreToSpare()) {
            // a word is expected a while longer (bounded by its caller) and a core is free: round again, another window.
            // Under the gate only: while every core is wanted the loop blocks as it would have, since a loop that held its
            // core there would take it from the very threads (the requester, this kernel's own) the word waits for
            return 0;
        }
        return block(selectNow, watched);
    }

    /**
     * Whether a word is expected soon, so that a closed gate makes the loop yield and look again
     * rather than block: a word held in a ring due within {@link MailboxRing#NEAR_NANOS}, a reply to
     * this context's request on its modelled way, or an exchange or a stream under way
     * ({@link RingWatch#inExchange}: a word came from a modelled ring less than that link's round
     * trip + the poll window ago, or a run of a FIFO's worth of words or more, with nothing sent
     * back, ended less than the window ago). The first of those last two is the answering side's rule: the peer that sent the word
     * awaits the answer or sends its next request right after ours arrives, so its next word is due
     * about a modelled round trip later; the second is a receiver's in a stream: its sender filled
     * the FIFO and sends again as soon as it finds room. Blocking there makes the next word ring a
     * doorbell, and a doorbell rung from a sending thread wakes that sender's own interrupt context
     * too, one more thread wanting a core, which keeps the gate closed. Bounded: with no word for a
     * round trip + the window, the loop blocks as usual (an idle cluster sleeps).
     */
    private boolean expecting(RingWatch watched, long now) {
        return watched != null && (watched.wordHeld() || watched.replyAwaited() || watched.inExchange(now, windowNanos));
    }

    /**
     * After words came from the rings: back to the loop without a system call (it runs its tasks,
     * then polls the rings again), unless the sockets are due a look.
     */
    private int afterRingWork(IntSupplier selectNow, long now) throws Exception {
        if (now - nextSocketLook < 0) {
            return 0;
        }
        nextSocketLook = now + SOCKET_LOOK_NANOS;
        return selectNow.get();
    }

    /** Blocks, unless a word reached a ring between the last look and declaring the loop asleep. */
    private int block(IntSupplier selectNow, RingWatch watched) throws Exception {
        if (watched != null && !watched.mayBlock()) {
            return selectNow.get();
        }
        if (sleeps != null) {
            sleeps.increment();
        }
        return SELECT;
    }

    void close() {
        if (runnable != null) {
            runnable.close();
        }
    }
}

/**
 * The interrupt context's side of the rings in global memory, as its loop sees them: awake (it
 * watches), delivering what arrived, and asleep (senders must ring the doorbell).
 */
interface RingWatch {

    /** The loop is running: it watches its rings, so senders need no doorbell. */
    void awake();

    /** Delivers the words waiting in the rings; returns how many. */
    int poll();

    /**
     * A thread of this member waiting for its reply watches the rings in the loop's place (it takes
     * its reply itself, and wakes the loop for any other word): the loop blocks rather than hold a
     * core the requester and the peer need.
     */
    boolean handedOver();

    /**
     * A word waits in a ring, held by the modelled latency until a due time at most
     * {@link MailboxRing#NEAR_NANOS} away (or arrived since the last look): the loop is not idle.
     */
    default boolean wordHeld() {
        return false;
    }

    /**
     * A request of this member's interrupt context waits for its reply on a link with a modelled
     * latency: the reply is on its way, not merely possible.
     */
    default boolean replyAwaited() {
        return false;
    }

    /**
     * How long until the oldest word held in a ring by the modelled latency is due (zero or less:
     * due now), or {@link Long#MAX_VALUE} when none is held.
     */
    default long heldDueIn() {
        return Long.MAX_VALUE;
    }

    /**
     * A word came from a ring with a modelled latency less than that link's modelled round trip +
     * {@code slackNanos} before {@code now}: its peer is in an exchange with this member (awaiting
     * the answer, or about to send its next word once ours arrives); or the last of a run of a FIFO's
     * worth of words or more from one ring, with nothing sent back, came less than {@code slackNanos}
     * before: its sender streams. Either way the next word is expected.
     */
    default boolean inExchange(long now, long slackNanos) {
        return false;
    }

    /**
     * A caller of this member said it expects a word until a time after {@code now} (a kernel handed a contended page,
     * which is likely to be asked back): the loop watches on, window after window, until then, while a core is free.
     */
    default boolean wordExpected(long now) {
        return false;
    }

    /**
     * The loop is about to block: it declares itself asleep, then looks once more.
     *
     * @return false when a word arrived meanwhile (the loop stays awake and must go round again)
     */
    boolean mayBlock();
}
