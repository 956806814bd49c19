package io.archipelago.interconnect.mailbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One mailbox ring in an mmap'd file, as in global memory: FIFO order across the wrap of its
 * slots and of its 32-bit positions, the receiver's FIFO depth as the bound, several producers at
 * once, a requester taking only its own reply, and the epoch that ties the ring to one link.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MailboxRingTest {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long EPOCH = 0x1234_5678_9ABC_DEF1L;

    @TempDir
    Path dir;

    private Arena arena;
    private MemorySegment area;
    private MailboxRings rings;

    @BeforeEach
    void map() throws Exception {
        arena = Arena.ofShared();
        try (FileChannel file = FileChannel.open(dir.resolve("rings.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            area = file.map(FileChannel.MapMode.READ_WRITE, 0, MailboxRings.bytes(4), arena);
        }
        rings = new MailboxRings(area, 4);
    }

    @AfterEach
    void unmap() {
        arena.close();
    }

    @Test
    void keepsOrderAcrossTheWrapOfItsSlots() {
        MailboxRing ring = rings.ring(1, 2);
        assertThat(ring.bind(EPOCH, 4)).isZero();
        int next = 0;
        for (int round = 0; round < 1000; round++) {
            int burst = 1 + round % 4;
            for (int i = 0; i < burst; i++) {
                assertThat(ring.offer(EPOCH, next + i)).isEqualTo(MailboxRing.OFFERED);
            }
            for (int i = 0; i < burst; i++) {
                assertThat(take(ring, EPOCH)).isEqualTo(next + i);
            }
            assertThat(take(ring, EPOCH)).isEqualTo(MailboxRing.EMPTY);
            next += burst;
        }
    }

    @Test
    void keepsOrderAcrossTheWrapOfItsPositions() {
        MailboxRing ring = rings.ring(0, 3);
        ring.bind(EPOCH, 8);
        long nearWrap = (long) MailboxRing.tag(EPOCH) << 32 | 0xFFFF_FFFAL;
        MemorySegment slice = ringSlice(0, 3);
        slice.set(LONG, MailboxRing.TAIL_OFFSET, nearWrap);
        slice.set(LONG, MailboxRing.HEAD_OFFSET, nearWrap);
        for (int word = 0; word < 100; word++) {
            assertThat(ring.offer(EPOCH, 0xF000_0000 | word)).isEqualTo(MailboxRing.OFFERED);
            assertThat(ring.offer(EPOCH, word)).isEqualTo(MailboxRing.OFFERED);
            assertThat(take(ring, EPOCH)).isEqualTo(0xF000_0000L | word);
            assertThat(take(ring, EPOCH)).isEqualTo(word);
        }
        assertThat((int) slice.get(LONG, MailboxRing.TAIL_OFFSET)).isBetween(0, 1000);
    }

    @Test
    void holdsAtMostTheReceiversFifoDepth() {
        MailboxRing ring = rings.ring(2, 1);
        ring.bind(EPOCH, 4);
        for (int i = 0; i < 4; i++) {
            assertThat(ring.offer(EPOCH, i)).isEqualTo(MailboxRing.OFFERED);
        }
        assertThat(ring.offer(EPOCH, 4)).isEqualTo(MailboxRing.FULL);
        assertThat(ring.size()).isEqualTo(4);
        assertThat(take(ring, EPOCH)).isEqualTo(0);
        assertThat(ring.offer(EPOCH, 4)).isEqualTo(MailboxRing.OFFERED);
        assertThat(ring.offer(EPOCH, 5)).isEqualTo(MailboxRing.FULL);
        for (int i = 1; i <= 4; i++) {
            assertThat(take(ring, EPOCH)).isEqualTo(i);
        }
    }

    @Test
    void aWordHoldsItsPlaceUntilItIsReleased() {
        MailboxRing ring = rings.ring(1, 3);
        ring.bind(EPOCH, 2);
        ring.offer(EPOCH, 1);
        ring.offer(EPOCH, 2);
        assertThat(ring.poll(EPOCH)).isEqualTo(1);
        assertThat(ring.offer(EPOCH, 3)).as("word 1 is read but its handler runs").isEqualTo(MailboxRing.FULL);
        ring.release(EPOCH);
        assertThat(ring.offer(EPOCH, 3)).isEqualTo(MailboxRing.OFFERED);
    }

    @Test
    void carriesEveryWordOfConcurrentProducersInEachProducersOrder() throws Exception {
        MailboxRing ring = rings.ring(3, 0);
        ring.bind(EPOCH, 4);
        int producers = 3;
        int each = 100_000;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread thread = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        int word = producer << 28 | i;
                        int result;
                        while ((result = ring.offer(EPOCH, word)) == MailboxRing.FULL) {
                            Thread.onSpinWait();
                        }
                        if (result != MailboxRing.OFFERED) {
                            throw new AssertionError("offer returned " + result);
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            threads.add(thread);
        }
        start.countDown();
        int[] expected = new int[producers];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        for (int received = 0; received < producers * each; ) {
            long word = take(ring, EPOCH);
            if (word == MailboxRing.EMPTY) {
                assertThat(System.nanoTime()).as("words still missing: %d of %d received", received, producers * each)
                    .isLessThan(deadline);
                assertThat(failure.get()).isNull();
                Thread.onSpinWait();
                continue;
            }
            int producer = (int) (word >>> 28);
            assertThat((int) word & 0x0FFF_FFFF).as("word of producer %d", producer).isEqualTo(expected[producer]);
            expected[producer]++;
            received++;
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(take(ring, EPOCH)).isEqualTo(MailboxRing.EMPTY);
    }

    @Test
    void aRequesterTakesOnlyItsOwnReplyAndOnlyWhenItIsTheOldestWord() {
        MailboxRing ring = rings.ring(1, 0);
        ring.bind(EPOCH, 4);
        ring.offer(EPOCH, 10);
        ring.offer(EPOCH, 20);
        assertThat(ring.takeIf(EPOCH, word -> word == 20)).isEqualTo(MailboxRing.EMPTY);
        assertThat(take(ring, EPOCH)).isEqualTo(10);
        assertThat(ring.takeIf(EPOCH, word -> word == 20)).isEqualTo(20);
        ring.release(EPOCH);
        assertThat(take(ring, EPOCH)).isEqualTo(MailboxRing.EMPTY);
    }

    @Test
    void aTakerThatReadTheHeadLateLeavesTheSlotsNextLapAlone() {
        MailboxRing ring = rings.ring(1, 2);
        ring.bind(EPOCH, 4);
        ring.offer(EPOCH, 100);
        long staleHead = ring.headWord();
        // meanwhile the interrupt context takes and releases positions 0..7, and the sender writes position 8 in slot 0
        for (int i = 0; i < MailboxRing.CAPACITY; i++) {
            if (i > 0) {
                assertThat(ring.offer(EPOCH, 100 + i)).isEqualTo(MailboxRing.OFFERED);
            }
            assertThat(ring.poll(EPOCH)).isEqualTo(100 + i);
            ring.release(EPOCH);
        }
        assertThat(ring.offer(EPOCH, 108)).isEqualTo(MailboxRing.OFFERED);
        // the late taker, still holding head 0, finds position 8's tag in slot 0: not another epoch's word
        assertThat(ring.takeAt(EPOCH, null, staleHead)).isEqualTo(MailboxRing.RETRY);
        assertThat(ring.poll(EPOCH)).as("position 8's word is still there").isEqualTo(108);
        assertThat(ring.poll(EPOCH)).isEqualTo(MailboxRing.EMPTY);
    }

    @Test
    void aNewEpochDropsTheOldOnesWordsAndShutsItsSendersOut() {
        MailboxRing ring = rings.ring(2, 3);
        long old = EPOCH;
        long fresh = 0x0FED_CBA9_8765_4321L;
        ring.bind(old, 4);
        ring.offer(old, 1);
        ring.offer(old, 2);
        ring.offer(old, 3);
        take(ring, old);
        assertThat(ring.bind(fresh, 4)).as("words of the old link left unread").isEqualTo(2);
        assertThat(ring.offer(old, 4)).isEqualTo(MailboxRing.UNBOUND);
        assertThat(take(ring, old)).isEqualTo(MailboxRing.EMPTY);
        assertThat(take(ring, fresh)).isEqualTo(MailboxRing.EMPTY);

        // a sender of the old link that claimed its place before the new bind publishes late
        MemorySegment slice = ringSlice(2, 3);
        int oldTag = MailboxRing.tag(old);
        slice.set(LONG, MailboxRing.SLOTS_OFFSET, (long) MailboxRing.slotTag(oldTag, 1) << 32 | 99);
        assertThat(take(ring, fresh)).isEqualTo(MailboxRing.STALE_DROPPED);
        assertThat(take(ring, fresh)).isEqualTo(MailboxRing.EMPTY);
        assertThat(ring.offer(fresh, 5)).isEqualTo(MailboxRing.OFFERED);
        assertThat(take(ring, fresh)).isEqualTo(5);

        ring.unbind(fresh);
        assertThat(ring.offer(fresh, 6)).isEqualTo(MailboxRing.UNBOUND);
    }

    @Test
    void aSenderRingsTheDoorbellOnlyWhenNobodyWatchesAndOnlyOnce() {
        MailboxRings.WakeLine line = rings.wakeLine(1);
        line.reset();
        assertThat(line.needsDoorbell()).isTrue();
        assertThat(line.needsDoorbell()).as("rung already, not answered yet").isFalse();
        line.watch();
        assertThat(line.needsDoorbell()).as("the receiver watches").isFalse();
        line.unwatch();
        assertThat(line.needsDoorbell()).as("asleep again after it answered").isTrue();
    }

    @Test
    void aDoorbellAnsweredWhileTheReceiverWasAwakeDoesNotSilenceTheNextWord() {
        MailboxRings.WakeLine line = rings.wakeLine(2);
        line.reset();
        line.watch();
        line.watch();
        line.unwatch();
        assertThat(line.needsDoorbell()).as("a thread still watches").isFalse();
        // a sender that found nobody watching an instant before the receiver woke sets "rung" after it woke:
        // that doorbell is answered while the receiver is awake
        area.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * MailboxRings.WAKE_LINE_BYTES + 4, 1);
        line.sleep();
        assertThat(line.watchers()).isZero();
        assertThat(line.needsDoorbell()).as("the next word after the interrupt context went to sleep").isTrue();
    }

    @Test
    void ringsOfDistinctPairsDoNotOverlap() {
        for (int s = 0; s < 4; s++) {
            for (int r = 0; r < 4; r++) {
                if (s != r) {
                    rings.ring(s, r).bind(1 + s * 4L + r, 4);
                    rings.ring(s, r).offer(1 + s * 4L + r, s * 4 + r);
                }
            }
        }
        for (int s = 0; s < 4; s++) {
            for (int r = 0; r < 4; r++) {
                if (s != r) {
                    assertThat(take(rings.ring(s, r), 1 + s * 4L + r)).isEqualTo(s * 4 + r);
                }
            }
        }
        assertThat(rings.covers(1, 1)).isFalse();
        assertThat(rings.covers(1, 4)).isFalse();
    }

    /** Takes the oldest word and frees its place at once, as an interrupt handler that returns at once. */
    private static long take(MailboxRing ring, long epoch) {
        long word = ring.poll(epoch);
        if (word >= 0) {
            ring.release(epoch);
        }
        return word;
    }

    private MemorySegment ringSlice(int sender, int receiver) {
        long offset = 4L * MailboxRings.WAKE_LINE_BYTES + ((long) sender * 4 + receiver) * MailboxRing.BYTES;
        return area.asSlice(offset, MailboxRing.BYTES);
    }

    @Test
    void aModelledLatencyHoldsEachWordInItsPlaceUntilItIsDue() {
        long hold = 30_000_000; // 30 ms: far above any scheduling noise, so "not yet due" cannot be luck
        MailboxRing receiver = rings.ring(1, 2, hold);
        MailboxRing sender = rings.ring(1, 2, hold);
        receiver.bind(EPOCH, 2);
        long sent = System.nanoTime();
        assertThat(sender.offer(EPOCH, 7)).isEqualTo(MailboxRing.OFFERED);
        assertThat(sender.offer(EPOCH, 8)).isEqualTo(MailboxRing.OFFERED);
        assertThat(sender.offer(EPOCH, 9)).as("held words keep their places: the FIFO of depth 2 is full").isEqualTo(MailboxRing.FULL);
        assertThat(receiver.poll(EPOCH)).isEqualTo(MailboxRing.NOT_DUE);
        assertThat(receiver.takeIf(EPOCH, word -> true)).isEqualTo(MailboxRing.NOT_DUE);
        assertThat(receiver.heldUntil() - sent).isBetween(hold, hold + 20_000_000);
        assertThat(receiver.maybeReady(EPOCH)).as("due in ~30 ms: not near, a timer's business").isFalse();
        assertThat(receiver.size()).isEqualTo(2);
        long deadline = System.nanoTime() + 5_000_000_000L;
        long taken;
        while ((taken = receiver.poll(EPOCH)) == MailboxRing.NOT_DUE) {
            assertThat(System.nanoTime()).as("the held word was never delivered").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(System.nanoTime() - sent).isGreaterThanOrEqualTo(hold);
        assertThat(taken).isEqualTo(7);
        receiver.release(EPOCH);
        // the second word is due its own latency after it was sent (a preempted sender sent it later): then it comes, in order
        while ((taken = receiver.poll(EPOCH)) == MailboxRing.NOT_DUE) {
            assertThat(System.nanoTime()).as("the second held word was never delivered").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(taken).isEqualTo(8);
    }

    @Test
    void withoutALatencyNoStampIsWrittenOrRead() {
        MailboxRing receiver = rings.ring(1, 2);
        MailboxRing sender = rings.ring(1, 2);
        receiver.bind(EPOCH, 4);
        // a stamp far in the future would hold the word, were stamps read
        for (int i = 0; i < MailboxRing.CAPACITY; i++) {
            area.set(LONG, 4L * MailboxRings.WAKE_LINE_BYTES + (1L * 4 + 2) * MailboxRing.BYTES + MailboxRing.STAMPS_OFFSET + 8L * i,
                Long.MAX_VALUE / 2);
        }
        assertThat(sender.offer(EPOCH, 5)).isEqualTo(MailboxRing.OFFERED);
        assertThat(receiver.maybeReady(EPOCH)).isTrue();
        assertThat(receiver.poll(EPOCH)).isEqualTo(5);
        assertThat(area.get(LONG, 4L * MailboxRings.WAKE_LINE_BYTES + (1L * 4 + 2) * MailboxRing.BYTES + MailboxRing.STAMPS_OFFSET))
            .as("the sender wrote no stamp").isEqualTo(Long.MAX_VALUE / 2);
    }

    @Test
    void aWordDueSoonKeepsTheReceiverLooking() {
        MailboxRing receiver = rings.ring(2, 1, 5_000);
        MailboxRing sender = rings.ring(2, 1, 5_000);
        receiver.bind(EPOCH, 4);
        sender.offer(EPOCH, 3);
        assertThat(receiver.maybeReady(EPOCH)).as("due within NEAR_NANOS: the loop must not block").isTrue();
        assertThat(receiver.maybeReadyExcept(EPOCH, word -> word == 3)).as("the watcher's own reply: no reason to wake the loop").isFalse();
        assertThat(receiver.maybeReadyExcept(EPOCH, word -> word == 4)).as("another word: the loop must deliver it").isTrue();
    }
}
