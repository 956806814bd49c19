package io.archipelago.interconnect.mailbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.interconnect.mailbox.MailboxContext.LoopPoll;
import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interrupt context's poll-then-block strategy and its gate (poll only while no thread waits
 * for a core), driven with a fake {@code selectNow} and a runnable count read from a file written
 * by the test in {@code /proc/loadavg}'s format.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SpinThenBlockTest {

    private static final long WINDOW = TimeUnit.MILLISECONDS.toNanos(20);

    @TempDir
    Path dir;

    private final MailboxCounters.InMemory counters = MailboxCounters.inMemory();

    private Path loadavg(int runnable) throws IOException {
        Path file = dir.resolve("loadavg");
        Files.writeString(file, "0.52 0.58 0.59 " + runnable + "/108 7183\n");
        return file;
    }

    /** A selectNow that never finds a ready channel, counting its calls. */
    private static IntSupplier nothingReady(AtomicInteger polls) {
        return () -> {
            polls.incrementAndGet();
            return 0;
        };
    }

    private SpinThenBlock gated(Path loadavg, int cores) {
        RunnableThreads reader = RunnableThreads.open(loadavg);
        assertThat(reader).as("a readable loadavg file").isNotNull();
        return new SpinThenBlock(WINDOW, reader, cores, counters.counter("hits"), counters.counter("yields"));
    }

    @Test
    void parsesTheRunnableCountOfLoadavg() {
        assertThat(parse("0.52 0.58 0.59 3/108 7183\n")).isEqualTo(3);
        assertThat(parse("12.00 9.10 4.20 17/2048 99\n")).isEqualTo(17);
        assertThat(parse("0.52 0.58 0.59 x/108 7183")).as("not a number").isEqualTo(-1);
        assertThat(parse("0.52 0.58 0.59")).as("no fourth field").isEqualTo(-1);
        assertThat(parse("0.52 0.58 0.59 /108 7")).as("no digits").isEqualTo(-1);
    }

    private static int parse(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return RunnableThreads.parse(ByteBuffer.wrap(bytes), bytes.length);
    }

    @Test
    void noLoadavgMeansNoGatedPolling() {
        assertThat(RunnableThreads.open(dir.resolve("missing"))).isNull();
        assertThat(SpinThenBlock.of(WINDOW, LoopPoll.ALWAYS, 2, counters.counter("hits"), counters.counter("yields"))).isNotNull();
        assertThat(SpinThenBlock.of(0, LoopPoll.ALWAYS, 2, counters.counter("hits"), counters.counter("yields")))
            .as("a zero window blocks at once").isNull();
    }

    @Test
    void readyWorkIsReturnedAtOnce() throws Exception {
        SpinThenBlock strategy = gated(loadavg(1), 2);
        AtomicInteger polls = new AtomicInteger();
        assertThat(strategy.calculateStrategy(() -> {
            polls.incrementAndGet();
            return 3;
        }, false)).isEqualTo(3);
        assertThat(polls).hasValue(1);
        assertThat(counters.get("hits")).isZero();
    }

    @Test
    void withACoreToSpareItPollsUntilAWordArrives() throws Exception {
        SpinThenBlock strategy = gated(loadavg(2), 2);
        AtomicInteger polls = new AtomicInteger();
        int ready = strategy.calculateStrategy(() -> polls.incrementAndGet() >= 50 ? 1 : 0, false);
        assertThat(ready).isEqualTo(1);
        assertThat(polls).hasValue(50);
        assertThat(counters.get("hits")).isEqualTo(1);
        assertThat(counters.get("yields")).isZero();
    }

    @Test
    void withACoreToSpareButNoWordItBlocksAfterTheWindow() throws Exception {
        SpinThenBlock strategy = gated(loadavg(1), 2);
        AtomicInteger polls = new AtomicInteger();
        long start = System.nanoTime();
        assertThat(strategy.calculateStrategy(nothingReady(polls), false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(WINDOW);
        assertThat(polls.get()).isGreaterThan(1);
        assertThat(counters.get("hits")).isZero();
    }

    @Test
    void whenThreadsWaitForACoreItBlocksWithoutPolling() throws Exception {
        SpinThenBlock strategy = gated(loadavg(3), 2);
        AtomicInteger polls = new AtomicInteger();
        assertThat(strategy.calculateStrategy(nothingReady(polls), false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(polls).as("not even a non-blocking look: the loop goes straight to sleep").hasValue(0);
    }

    @Test
    void pendingTasksAreRunWithoutReadingTheRunnableCount() throws Exception {
        SpinThenBlock strategy = gated(loadavg(9), 2);
        assertThat(strategy.calculateStrategy(() -> 0, true)).as("a non-blocking look, then the tasks").isZero();
        assertThat(counters.get("hits")).isZero();
    }

    @Test
    void aClosedGateOpensAgainOnceCoresFreeUp() throws Exception {
        SpinThenBlock strategy = gated(loadavg(5), 2);
        assertThat(strategy.calculateStrategy(() -> 1, false)).isEqualTo(SelectStrategy.SELECT);
        loadavg(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int ready = SelectStrategy.SELECT;
        while (ready == SelectStrategy.SELECT && System.nanoTime() - deadline < 0) {
            ready = strategy.calculateStrategy(() -> 1, false); // blocks at once for up to RECHECK_NANOS, then looks again
        }
        assertThat(ready).as("polling again within 5 s of the cores freeing up").isEqualTo(1);
    }

    @Test
    void aThreadThatStartsWaitingForACoreCutsThePollShort() throws Exception {
        Path file = loadavg(1);
        long window = TimeUnit.SECONDS.toNanos(5);
        SpinThenBlock strategy = new SpinThenBlock(window, RunnableThreads.open(file), 2, counters.counter("hits"),
            counters.counter("yields"));
        AtomicInteger polls = new AtomicInteger();
        long start = System.nanoTime();
        int ready = strategy.calculateStrategy(() -> {
            if (polls.incrementAndGet() == 5) {
                try {
                    loadavg(4); // the same file, rewritten: two more threads than cores now wait
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return 0;
        }, false);
        assertThat(ready).isEqualTo(SelectStrategy.SELECT);
        assertThat(counters.get("yields")).isEqualTo(1);
        assertThat(System.nanoTime() - start).as("cut short, well before the 5 s window").isLessThan(window / 2);
    }

    @Test
    void alwaysPollsTheWholeWindowWhateverTheRunnableCount() throws Exception {
        SpinThenBlock strategy = new SpinThenBlock(WINDOW, null, 2, counters.counter("hits"), counters.counter("yields"));
        AtomicInteger polls = new AtomicInteger();
        assertThat(strategy.calculateStrategy(() -> polls.incrementAndGet() >= 20 ? 2 : 0, false)).isEqualTo(2);
        assertThat(counters.get("hits")).isEqualTo(1);
    }

    /** Rings as the loop sees them: poll() returns the next scripted count (0 once the script ends). */
    private static final class ScriptedRings implements RingWatch {
        final int[] words;
        final AtomicInteger polls = new AtomicInteger();
        volatile boolean handedOver;
        /** Until when (nanoTime) a word is held in a ring: poll() finds nothing, wordHeld() says one waits; then it is delivered. */
        volatile long heldUntil;
        volatile boolean replyAwaited;
        /** Until when (nanoTime) a modelled exchange expects the next word, before the slack; 0: none under way. */
        volatile long exchangeUntil;
        /** When (nanoTime) a word arrives that poll() then delivers; 0: none. */
        volatile long arrivesAt;
        int blocks;

        ScriptedRings(int... words) {
            this.words = words;
        }

        @Override
        public void awake() {
        }

        @Override
        public int poll() {
            int n = polls.getAndIncrement();
            if (arrivesAt != 0) {
                if (System.nanoTime() - arrivesAt < 0) {
                    return 0;
                }
                arrivesAt = 0;
                return 1;
            }
            if (heldUntil != 0) {
                if (System.nanoTime() - heldUntil < 0) {
                    return 0;
                }
                heldUntil = 0;
                return 1;
            }
            return n < words.length ? words[n] : 0;
        }

        @Override
        public boolean wordHeld() {
            return heldUntil != 0;
        }

        @Override
        public boolean replyAwaited() {
            return replyAwaited;
        }

        @Override
        public boolean inExchange(long now, long slackNanos) {
            return exchangeUntil != 0 && now - exchangeUntil - slackNanos < 0;
        }

        /** Until when (nanoTime) a caller expects a word (see {@link RingWatch#wordExpected}); 0: none. */
        volatile long expectedUntil;

        @Override
        public boolean wordExpected(long now) {
            return expectedUntil != 0 && now - expectedUntil < 0;
        }

        @Override
        public boolean handedOver() {
            return handedOver;
        }

        @Override
        public boolean mayBlock() {
            blocks++;
            return true;
        }
    }

    @Test
    void aLoopThatJustDeliveredWordsGoesOnPollingWhenEveryCoreIsWanted() throws Exception {
        SpinThenBlock strategy = new SpinThenBlock(WINDOW, RunnableThreads.open(loadavg(4)), 2, counters.counter("hits"),
            counters.counter("yields"), TimeUnit.SECONDS.toNanos(10));
        ScriptedRings rings = new ScriptedRings(1, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        strategy.watchRings(rings);
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("a word delivered from the ring: back to the loop").isZero();
        assertThat(strategy.calculateStrategy(() -> 0, false))
            .as("the next word found by polling, though the runnable count says every core is wanted").isZero();
        assertThat(rings.polls).hasValue(10);
        assertThat(counters.get("hits")).isEqualTo(1);
        assertThat(counters.get("yields")).isZero();
        assertThat(rings.blocks).isZero();
    }

    @Test
    void aLoopExpectingAWordWatchesWindowAfterWindowWhileACoreIsFreeThenBlocksOnceTheTimeHasPassed() throws Exception {
        // windows short against the expected time, so that even a loaded host's preemption leaves several windows to watch
        long window = TimeUnit.MILLISECONDS.toNanos(1);
        SpinThenBlock strategy = new SpinThenBlock(window, RunnableThreads.open(loadavg(1)), 2, counters.counter("hits"),
            counters.counter("yields"));
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        long start = System.nanoTime();
        rings.expectedUntil = start + 200 * window;
        int rounds = 0;
        int ready;
        do {
            ready = strategy.calculateStrategy(() -> 0, false);
            rounds++;
        } while (ready == 0 && rounds < 1_000);
        long watched = System.nanoTime() - start;
        assertThat(ready).as("blocks once the expected time has passed").isEqualTo(SelectStrategy.SELECT);
        assertThat(watched).as("watched past the poll window, until the expected time").isGreaterThanOrEqualTo(200 * window);
        assertThat(watched).as("and not much longer: bounded by the expected time + one window").isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(rounds).as("window after window").isGreaterThan(1);
        assertThat(rings.blocks).isEqualTo(1);
    }

    @Test
    void aLoopExpectingAWordStillBlocksAfterItsWindowWhenEveryCoreIsWanted() throws Exception {
        long window = TimeUnit.MILLISECONDS.toNanos(1);
        SpinThenBlock strategy = new SpinThenBlock(window, RunnableThreads.open(loadavg(4)), 2, counters.counter("hits"),
            counters.counter("yields"));
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        rings.expectedUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long start = System.nanoTime();
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("the expectation does not hold a core others want")
            .isEqualTo(SelectStrategy.SELECT);
        assertThat(System.nanoTime() - start).as("far short of the expected 10 s").isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(rings.blocks).isEqualTo(1);
    }

    @Test
    void anIdleLoopStillGivesWayWhenEveryCoreIsWanted() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        assertThat(strategy.calculateStrategy(() -> 0, false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(rings.blocks).as("declared asleep before blocking").isEqualTo(1);
    }

    @Test
    void whileAKernelThreadWatchesForItsReplyTheLoopBlocks() throws Exception {
        SpinThenBlock strategy = gated(loadavg(1), 2);
        ScriptedRings rings = new ScriptedRings();
        rings.handedOver = true;
        strategy.watchRings(rings);
        AtomicInteger looks = new AtomicInteger();
        long start = System.nanoTime();
        assertThat(strategy.calculateStrategy(nothingReady(looks), false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(System.nanoTime() - start).as("at once, not after the window").isLessThan(WINDOW);
        assertThat(looks).as("no look at the sockets either").hasValue(0);
    }

    @Test
    void withRingsTheSocketsAreLookedAtFarLessOftenThanTheRings() throws Exception {
        SpinThenBlock strategy = gated(loadavg(1), 2);
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        AtomicInteger looks = new AtomicInteger();
        assertThat(strategy.calculateStrategy(nothingReady(looks), false)).isEqualTo(SelectStrategy.SELECT);
        assertThat(looks.get()).as("the sockets were looked at while polling").isGreaterThan(1);
        assertThat(rings.polls.get()).as("rings polled every time round, sockets every " + SpinThenBlock.SOCKET_LOOK_NANOS + " ns")
            .isGreaterThan(5 * looks.get());
    }

    @Test
    void aLoopWaitingForAHeldWordYieldsButDoesNotBlockWhenEveryCoreIsWanted() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        // held for hundreds of gate checks (a quarter of the window): each finds every core wanted
        rings.heldUntil = System.nanoTime() + WINDOW / 4;
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("the held word delivered when due, without a wake-up").isZero();
        assertThat(rings.heldUntil).as("delivered").isZero();
        assertThat(rings.blocks).as("never declared asleep while the word was held").isZero();
        assertThat(counters.get("yields")).as("gave its core to the waiting thread between looks").isPositive();
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("with no word held, an idle loop gives way again")
            .isEqualTo(SelectStrategy.SELECT);
    }

    @Test
    void underAModelledLatencyTheLoopCountsAsWorkingForTheModelledRoundTrip() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        strategy.modelledRoundTrip(TimeUnit.SECONDS.toNanos(10));
        ScriptedRings rings = new ScriptedRings(1, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        strategy.watchRings(rings);
        assertThat(strategy.calculateStrategy(() -> 0, false)).isZero();
        assertThat(strategy.calculateStrategy(() -> 0, false))
            .as("the next word of the modelled exchange found by polling, though every core is wanted").isZero();
        assertThat(counters.get("yields")).isZero();
        assertThat(rings.blocks).isZero();
        strategy.modelledRoundTrip(0);
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("on the host platform the loop gives way").isEqualTo(SelectStrategy.SELECT);
    }

    @Test
    void aLoopWhoseReplyIsOnItsModelledWayYieldsButDoesNotBlockWhenEveryCoreIsWanted() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        rings.replyAwaited = true;
        long start = System.nanoTime();
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("no reply came within the window: then it blocks")
            .isEqualTo(SelectStrategy.SELECT);
        assertThat(System.nanoTime() - start).as("looked for its reply the whole window").isGreaterThanOrEqualTo(WINDOW);
        assertThat(counters.get("yields")).as("gave its core away between looks").isPositive();
        assertThat(rings.blocks).isEqualTo(1);
    }

    @Test
    void afterAnsweringInAModelledExchangeTheLoopYieldsButDoesNotBlockUntilTheNextWord() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        ScriptedRings rings = new ScriptedRings();
        strategy.watchRings(rings);
        long now = System.nanoTime();
        // the word just answered: the peer's next one is expected within a modelled round trip + the window
        rings.exchangeUntil = now;
        // it comes a quarter of the window later: long after the working window, across hundreds of gate checks
        rings.arrivesAt = now + WINDOW / 4;
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("the peer's next word found without a wake-up").isZero();
        assertThat(rings.arrivesAt).as("delivered").isZero();
        assertThat(rings.blocks).as("never declared asleep while the exchange went on").isZero();
        assertThat(counters.get("yields")).as("gave its core to the waiting thread between looks").isPositive();
        rings.exchangeUntil = System.nanoTime() - 2 * WINDOW;
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("an exchange over for longer than the window: the loop gives way again")
            .isEqualTo(SelectStrategy.SELECT);
        assertThat(rings.blocks).isEqualTo(1);
    }
    @Test
    void underAModelledLatencyALoopExpectingAWordGivesWayWithinItsWorkingWindowWhenEveryCoreIsWanted() throws Exception {
        SpinThenBlock strategy = gated(loadavg(4), 2);
        // a working window far longer than the test: before, the loop held its core all of it after each word
        strategy.modelledRoundTrip(TimeUnit.SECONDS.toNanos(10));
        ScriptedRings rings = new ScriptedRings(1);
        strategy.watchRings(rings);
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("a word: the loop is working").isZero();
        // its request's reply is on its modelled way, due a quarter of the window later (hundreds of gate checks)
        rings.replyAwaited = true;
        rings.arrivesAt = System.nanoTime() + WINDOW / 4;
        assertThat(strategy.calculateStrategy(() -> 0, false)).as("the reply found by polling, without a wake-up").isZero();
        assertThat(rings.arrivesAt).as("delivered").isZero();
        assertThat(rings.blocks).as("never declared asleep while the reply travelled").isZero();
        assertThat(counters.get("yields")).as("asked the gate within its working window and gave its core away between looks")
            .isPositive();
    }
}
