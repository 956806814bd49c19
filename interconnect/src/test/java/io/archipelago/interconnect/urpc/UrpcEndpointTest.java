package io.archipelago.interconnect.urpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.mailbox.MailboxCounters;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two kernels' URPC endpoints over one mmap'd area (two endpoints of one process; the
 * cross-process behaviour is UrpcIT's): requests both ways, replies in order, messages longer
 * than a ring, the doorbell when the peer sleeps, a peer that restarted or stopped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UrpcEndpointTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Arena arena;
    private UrpcChannels channels;
    private final UrpcEndpoint[] endpoints = new UrpcEndpoint[3];
    /** Doorbells rung through the mailbox's interrupt word (the {@link UrpcEndpoint.Doorbell}), per receiving kernel. */
    private final java.util.concurrent.atomic.AtomicLongArray mailboxDoorbells = new java.util.concurrent.atomic.AtomicLongArray(3);

    @BeforeEach
    void map() throws Exception {
        arena = Arena.ofShared();
        MemorySegment area;
        try (FileChannel file = FileChannel.open(dir.resolve("urpc.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            area = file.map(FileChannel.MapMode.READ_WRITE, 0, UrpcChannels.bytes(3), arena);
        }
        channels = new UrpcChannels(area, 3);
    }

    @AfterEach
    void close() {
        for (UrpcEndpoint endpoint : endpoints) {
            if (endpoint != null) {
                endpoint.close();
            }
        }
        arena.close();
    }

    /** An endpoint that answers a request with its own id, then the request reversed. */
    private UrpcEndpoint start(int kernel, long epoch, Duration spin) {
        return start(kernel, epoch, spin, () -> true, UrpcEndpoint.Tuning.DEFAULT, Duration.ZERO);
    }

    /** As above, with its core gate, its tuning, and a doorbell that keeps the ringing thread this long after it woke the peer. */
    private UrpcEndpoint start(int kernel, long epoch, Duration spin, java.util.function.BooleanSupplier gate, UrpcEndpoint.Tuning tuning,
                               Duration ringerDelay) {
        UrpcEndpoint endpoint = UrpcEndpoint.start(channels, kernel, epoch, "k" + kernel, (sender, body, offset, length) -> {
            byte[] reply = new byte[length + 1];
            reply[0] = (byte) kernel;
            for (int i = 0; i < length; i++) {
                reply[1 + i] = body[offset + length - 1 - i];
            }
            return reply;
        }, peer -> {
            mailboxDoorbells.incrementAndGet(peer);
            UrpcEndpoint woken = endpoints[peer];
            if (woken != null) {
                woken.doorbell();
            }
            // the ringer descheduled after the wake-up it caused, as on a busy host
            LockSupport.parkNanos(ringerDelay.toNanos());
        }, gate, spin, MailboxCounters.inMemory(), tuning);
        endpoints[kernel] = endpoint;
        return endpoint;
    }

    private static byte[] message(int length, int seed) {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++) {
            body[i] = (byte) (seed + i * 7);
        }
        return body;
    }

    private static byte[] expected(int owner, byte[] request) {
        byte[] reply = new byte[request.length + 1];
        reply[0] = (byte) owner;
        for (int i = 0; i < request.length; i++) {
            reply[1 + i] = request[request.length - 1 - i];
        }
        return reply;
    }

    @Test
    void requestsAndRepliesBothWaysInOrderSmallAndLongerThanARing() {
        // short spin windows: the test's gate is always open, and two dispatchers and a requester share two cores
        UrpcEndpoint a = start(0, 11, Duration.ofNanos(20_000));
        UrpcEndpoint b = start(1, 22, Duration.ofNanos(20_000));
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT); UrpcEndpoint.Stream ba = b.open(0, 11, "k0", TIMEOUT)) {
            for (int i = 0; i < 2_000; i++) {
                int length = i % 10 == 0 ? 3 * UrpcRing.MAX_RECORD_BODY + 17 : i % 200;
                byte[] request = message(length, i);
                assertThat(ab.call(request)).isEqualTo(expected(1, request));
                assertThat(ba.call(request)).isEqualTo(expected(0, request));
            }
        }
        assertThat(a.served.get()).isEqualTo(2_000);
        assertThat(b.served.get()).isEqualTo(2_000);
        assertThat(a.staleDropped.get() + b.staleDropped.get()).isZero();
    }

    @Test
    void messagesLongerThanTheRingArriveWholeAndInOrderWhileBothEndsWaitTheirOwnWay() {
        // lengths from under a fragment to six rings, not multiples of a fragment: the fragments start at every slot in turn
        UrpcEndpoint a = start(0, 11, Duration.ofNanos(20_000));
        start(1, 22, Duration.ofNanos(20_000));
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT)) {
            for (int i = 0; i < 300; i++) {
                byte[] request = message(UrpcEndpoint.FRAGMENT_BODY - 50 + i * 37 % (6 * UrpcRing.MAX_RECORD_BODY), i);
                assertThat(ab.call(request)).as("request %d of %d bytes", i, request.length).isEqualTo(expected(1, request));
            }
        }
        assertThat(endpoints[1].served.get()).isEqualTo(300);
    }

    @Test
    void aRequesterThatParksForItsReplyCountsIt() {
        // no spin window: the requester parks at once and the owner's reply wakes it through the dispatcher
        UrpcEndpoint a = start(0, 11, Duration.ZERO);
        start(1, 22, Duration.ZERO);
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT)) {
            for (int i = 0; i < 20; i++) {
                assertThat(ab.call(message(5, i))).isEqualTo(expected(1, message(5, i)));
            }
        }
        assertThat(a.requesterParks.get()).as("requester parks with no window to watch in").isPositive();
    }

    /**
     * 40 calls from k0 to k1 with this tuning: the owner parks at once (no window), so every request rings it, and the
     * ringing requester is kept 2 ms after the wake-up, long after the owner answered; no core to spare, so the
     * requester's kernel's dispatcher parks too. The doorbell goes through the mailbox's word, whose ringer is kept.
     * Returns the two endpoints.
     */
    private UrpcEndpoint[] callsWithTheRingerKeptAfterTheWakeUp(UrpcEndpoint.Tuning choices) {
        UrpcEndpoint.Tuning tuning = choices.mailboxDoorbell();
        UrpcEndpoint a = start(0, 11, Duration.ofSeconds(1), () -> false, tuning, Duration.ofMillis(2));
        UrpcEndpoint b = start(1, 22, Duration.ZERO, () -> false, tuning, Duration.ZERO);
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT)) {
            for (int i = 0; i < 40; i++) {
                assertThat(ab.call(message(5, i))).isEqualTo(expected(1, message(5, i)));
            }
        }
        assertThat(a.doorbellsRung.get()).as("k0 rang the parked owner").isPositive();
        return new UrpcEndpoint[] {a, b};
    }

    @Test
    void aReplyThatComesBeforeItsRequesterStartedWatchingRingsNoDoorbell() {
        UrpcEndpoint[] ends = callsWithTheRingerKeptAfterTheWakeUp(UrpcEndpoint.Tuning.DEFAULT);
        assertThat(ends[1].doorbellsRung.get()).as("replies to a requester watching since before it sent").isZero();
        assertThat(ends[0].requesterParks.get()).isZero();
    }

    @Test
    void aRequesterThatStartedWatchingAfterItsSendHadItsKernelRungByTheReply() {
        // the previous order (watching after the send): the counter-check of the test above
        UrpcEndpoint[] ends = callsWithTheRingerKeptAfterTheWakeUp(UrpcEndpoint.Tuning.PREVIOUS);
        assertThat(ends[1].doorbellsRung.get()).as("replies that found nobody of k0 watching").isPositive();
    }

    @Test
    void aSleepingPeerIsWokenByTheDoorbell() throws Exception {
        UrpcEndpoint a = start(0, 11, Duration.ZERO);
        UrpcEndpoint b = start(1, 22, Duration.ZERO);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.parks.get() == 0) {
            assertThat(System.nanoTime() - deadline).as("k1's dispatcher never parked").isNegative();
            Thread.onSpinWait();
        }
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT)) {
            for (int i = 0; i < 200; i++) {
                assertThat(ab.call(message(5, i))).isEqualTo(expected(1, message(5, i)));
            }
        }
        assertThat(a.doorbellsRung.get()).as("k0 rang k1's doorbell").isPositive();
        if (Futex.AVAILABLE) {
            assertThat(mailboxDoorbells.get(1)).as("doorbells to k1 through the mailbox: its dispatcher sleeps on the futex").isZero();
        }
    }

    @Test
    void aPeerThatSleepsWithoutTheFutexIsRungThroughTheMailboxWhileOneWithItIsWokenDirectly() {
        // k1 sleeps on its mailbox interrupt (a process with no futex), k2 on its wake line's futex: k0 rings each its way
        UrpcEndpoint a = start(0, 11, Duration.ZERO);
        UrpcEndpoint b = start(1, 22, Duration.ZERO, () -> true, UrpcEndpoint.Tuning.DEFAULT.mailboxDoorbell(), Duration.ZERO);
        UrpcEndpoint c = start(2, 33, Duration.ZERO);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.parks.get() == 0 || c.parks.get() == 0) {
            assertThat(System.nanoTime() - deadline).as("k1's and k2's dispatchers never parked").isNegative();
            Thread.onSpinWait();
        }
        long start = System.nanoTime();
        try (UrpcEndpoint.Stream ab = a.open(1, 22, "k1", TIMEOUT); UrpcEndpoint.Stream ac = a.open(2, 33, "k2", TIMEOUT)) {
            for (int i = 0; i < 50; i++) {
                assertThat(ab.call(message(5, i))).isEqualTo(expected(1, message(5, i)));
                assertThat(ac.call(message(6, i))).isEqualTo(expected(2, message(6, i)));
            }
        }
        assertThat(mailboxDoorbells.get(1)).as("doorbells to k1 through the mailbox").isPositive();
        assertThat(c.served.get()).isEqualTo(50);
        // a doorbell lost on either way would leave its dispatcher to its 1 s watchdog: 100 calls would take minutes
        assertThat(System.nanoTime() - start).as("100 calls to sleeping peers").isLessThan(TimeUnit.SECONDS.toNanos(20));
        if (Futex.AVAILABLE) {
            assertThat(mailboxDoorbells.get(2)).as("doorbells to k2 through the mailbox: it sleeps on the futex").isZero();
        }
    }

    @Test
    void severalThreadsOfOneKernelShareTheChannel() throws Exception {
        start(0, 11, Duration.ofNanos(20_000));
        start(1, 22, Duration.ofNanos(20_000));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int seed = t;
            threads[t] = Thread.ofPlatform().start(() -> {
                try (UrpcEndpoint.Stream stream = endpoints[0].open(1, 22, "k1", TIMEOUT)) {
                    for (int i = 0; i < 1_000; i++) {
                        byte[] request = message(1 + (seed * 37 + i) % 300, seed * 1000 + i);
                        byte[] reply = stream.call(request);
                        if (!Arrays.equals(reply, expected(1, request))) {
                            throw new AssertionError("thread " + seed + " request " + i + " got another's reply");
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(endpoints[1].served.get()).isEqualTo(4_000);
    }

    @Test
    void aStreamToAStaleIncarnationIsRefusedNamingThePeer() {
        start(0, 11, Duration.ofMillis(1));
        start(1, 22, Duration.ofMillis(1));
        try (UrpcEndpoint.Stream stale = endpoints[0].open(1, 21, "k1", TIMEOUT)) {
            assertThatThrownBy(() -> stale.call(new byte[] {1})).isInstanceOf(UrpcException.class)
                .hasMessageContaining("k1").hasMessageContaining("incarnation 21").hasMessageContaining("restarted");
        }
    }

    @Test
    void aStoppedPeerFailsTheCallWithinTheDeadlineNamingIt() {
        start(0, 11, Duration.ofMillis(1));
        UrpcEndpoint b = start(1, 22, Duration.ofMillis(1));
        try (UrpcEndpoint.Stream ab = endpoints[0].open(1, 22, "k1", Duration.ofMillis(300))) {
            assertThat(ab.call(new byte[] {9})).hasSize(2);
            b.close();
            endpoints[1] = null;
            long start = System.nanoTime();
            assertThatThrownBy(() -> ab.call(new byte[] {1})).isInstanceOf(UrpcException.class).hasMessageContaining("k1");
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));
        }
    }

    @Test
    void aPeerThatDiesWithoutUnbindingLeavesTheCallerADeadlineError() {
        start(0, 11, Duration.ofMillis(1));
        // kernel 1's channel bound but nobody serving it: a process killed with its rings still bound
        channels.ring(0, 1).bind(22);
        try (UrpcEndpoint.Stream ab = endpoints[0].open(1, 22, "k1 (kernel 1)", Duration.ofMillis(300))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> ab.call(new byte[] {1})).isInstanceOf(UrpcException.class)
                .hasMessageContaining("k1 (kernel 1) did not answer over URPC within 300 ms");
            assertThat(System.nanoTime() - start).isBetween(TimeUnit.MILLISECONDS.toNanos(250), TimeUnit.SECONDS.toNanos(3));
        }
    }
}
