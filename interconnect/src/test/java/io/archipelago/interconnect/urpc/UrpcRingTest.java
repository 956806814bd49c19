package io.archipelago.interconnect.urpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
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
 * One URPC ring in an mmap'd file, as in global memory: order across the wrap of its slots,
 * records spanning slots, a full ring, several producers of one kernel at once, a taker of its
 * own label only, and the epoch that ties the ring to one incarnation of the receiver.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UrpcRingTest {

    private static final long EPOCH = 0x1234_5678_9ABC_DEF1L;

    @TempDir
    Path dir;

    private Arena arena;
    private UrpcChannels channels;

    @BeforeEach
    void map() throws Exception {
        arena = Arena.ofShared();
        MemorySegment area;
        try (FileChannel file = FileChannel.open(dir.resolve("urpc.img"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            area = file.map(FileChannel.MapMode.READ_WRITE, 0, UrpcChannels.bytes(4), arena);
        }
        channels = new UrpcChannels(area, 4);
    }

    @AfterEach
    void unmap() {
        arena.close();
    }

    private static byte[] bytes(int length, int seed) {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++) {
            body[i] = (byte) (seed * 31 + i);
        }
        return body;
    }

    private static byte[] taken(UrpcRing.Record record) {
        return Arrays.copyOf(record.body(), record.length());
    }

    @Test
    void aSenderRingsADispatcherThatExpectsOnlyOnceItsLastLookIsStale() {
        UrpcChannels.WakeLine line = channels.wakeLine(2);
        line.reset();
        long now = System.nanoTime();
        line.looked(now);
        assertThat(line.needsDoorbell(now + UrpcChannels.LOOK_FRESH_NANOS / 2)).as("a dispatcher that looked just now is looking").isFalse();
        assertThat(line.needsDoorbell(now + UrpcChannels.LOOK_FRESH_NANOS)).as("a dispatcher whose last look is stale is off its core")
            .isTrue();
        assertThat(line.needsDoorbell(now + UrpcChannels.LOOK_FRESH_NANOS)).as("rung once until the receiver looks again").isFalse();

        line.watch();
        line.looked(now);
        line.unwatch();
        line.stopLooking();
        assertThat(line.lookingAt(now)).isFalse();
        assertThat(line.needsDoorbell()).as("a dispatcher that stopped expecting sleeps").isTrue();
    }

    @Test
    void keepsOrderAcrossTheWrapOfItsSlots() {
        UrpcRing ring = channels.ring(1, 2);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        for (int i = 0; i < UrpcRing.SLOTS * 5 + 3; i++) {
            assertThat(ring.offer(EPOCH, i, false, false, bytes(20, i), 0, 20)).isEqualTo(UrpcRing.OFFERED);
            assertThat(ring.offer(EPOCH, i + 1000, false, false, bytes(30, i + 1000), 0, 30)).isEqualTo(UrpcRing.OFFERED);
            assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
            assertThat(record.label()).isEqualTo(i);
            assertThat(taken(record)).isEqualTo(bytes(20, i));
            assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
            assertThat(record.label()).isEqualTo(i + 1000);
            assertThat(taken(record)).isEqualTo(bytes(30, i + 1000));
        }
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.EMPTY);
    }

    @Test
    void aRecordLongerThanASlotSpansConsecutiveSlotsAcrossTheWrap() {
        UrpcRing ring = channels.ring(0, 3);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        // 5 slots each: the records start at every offset of the ring in turn, so some wrap
        int length = 48 + 4 * 56;
        assertThat(UrpcRing.slotsFor(length)).isEqualTo(5);
        for (int i = 0; i < 40; i++) {
            assertThat(ring.offer(EPOCH, 7, false, false, bytes(length, i), 0, length)).isEqualTo(UrpcRing.OFFERED);
            assertThat(ring.size()).isEqualTo(5);
            assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
            assertThat(taken(record)).isEqualTo(bytes(length, i));
        }
        byte[] longest = bytes(UrpcRing.MAX_RECORD_BODY, 99);
        assertThat(ring.offer(EPOCH, 8, true, false, longest, 0, longest.length)).isEqualTo(UrpcRing.OFFERED);
        assertThat(ring.size()).isEqualTo(UrpcRing.SLOTS);
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(taken(record)).isEqualTo(longest);
        assertThat(record.more()).isTrue();
        assertThat(record.whole()).isFalse();
        assertThatThrownBy(() -> ring.offer(EPOCH, 8, false, false, new byte[UrpcRing.MAX_RECORD_BODY + 1], 0, UrpcRing.MAX_RECORD_BODY + 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 to " + UrpcRing.MAX_RECORD_BODY);
    }

    @Test
    void aMessageLongerThanTheRingTravelsInHalfRingFragmentsInOrderAcrossTheWrap() {
        UrpcRing ring = channels.ring(3, 2);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        int fragment = UrpcEndpoint.FRAGMENT_BODY;
        assertThat(UrpcRing.slotsFor(fragment)).as("a fragment takes half the ring").isEqualTo(UrpcRing.SLOTS / 2);
        // one slot taken first, so that the fragments start mid-ring and wrap
        assertThat(ring.offer(EPOCH, 1, false, false, bytes(3, 1), 0, 3)).isEqualTo(UrpcRing.OFFERED);
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
        byte[] message = bytes(5 * fragment + 100, 42);
        int offered = 0;
        int taken = 0;
        byte[] assembled = new byte[message.length];
        int inRing = 0;
        while (taken < message.length) {
            // the sender writes while there is room: two fragments fit at once, a third waits for the first to be taken
            while (offered < message.length) {
                int chunk = Math.min(fragment, message.length - offered);
                int result = ring.offer(EPOCH, 9, offered + chunk < message.length, offered > 0, message, offered, chunk);
                if (result == UrpcRing.FULL) {
                    break;
                }
                assertThat(result).isEqualTo(UrpcRing.OFFERED);
                offered += chunk;
                inRing++;
            }
            assertThat(inRing).as("fragments in the ring at once").isBetween(1, 2);
            if (offered < message.length) {
                assertThat(inRing).as("fragments in the ring when it refused the next").isEqualTo(2);
            }
            assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
            inRing--;
            assertThat(record.label()).isEqualTo(9);
            assertThat(record.continued()).isEqualTo(taken > 0);
            assertThat(record.more()).isEqualTo(taken + record.length() < message.length);
            System.arraycopy(record.body(), 0, assembled, taken, record.length());
            taken += record.length();
        }
        assertThat(assembled).isEqualTo(message);
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.EMPTY);
    }

    @Test
    void aFullRingRefusesUntilTheReceiverConsumes() {
        UrpcRing ring = channels.ring(2, 1);
        ring.bind(EPOCH);
        int offered = 0;
        while (ring.offer(EPOCH, offered, false, false, bytes(100, offered), 0, 100) == UrpcRing.OFFERED) {
            offered++;
        }
        // 100 bytes take 2 slots
        assertThat(offered).isEqualTo(UrpcRing.SLOTS / 2);
        assertThat(ring.offer(EPOCH, 0, false, false, new byte[1], 0, 1)).isEqualTo(UrpcRing.FULL);
        UrpcRing.Record record = new UrpcRing.Record();
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(ring.offer(EPOCH, 77, false, false, bytes(100, 77), 0, 100)).isEqualTo(UrpcRing.OFFERED);
        assertThat(ring.offer(EPOCH, 78, false, false, new byte[1], 0, 1)).isEqualTo(UrpcRing.FULL);
        for (int i = 1; i < offered; i++) {
            assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
            assertThat(record.label()).isEqualTo(i);
        }
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(record.label()).isEqualTo(77);
    }

    @Test
    void aRequesterTakesOnlyItsOwnWholeReply() {
        UrpcRing ring = channels.ring(1, 0);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        ring.offer(EPOCH, 5, false, false, bytes(10, 5), 0, 10);
        ring.offer(EPOCH, 6, false, false, bytes(10, 6), 0, 10);
        assertThat(ring.takeIf(EPOCH, 6, record)).isEqualTo(UrpcRing.OTHER);
        assertThat(ring.takeIf(EPOCH, 5, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(ring.takeIf(EPOCH, 6, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(taken(record)).isEqualTo(bytes(10, 6));
        ring.offer(EPOCH, 6, true, false, bytes(10, 1), 0, 10);
        assertThat(ring.takeIf(EPOCH, 6, record)).as("a fragment is the dispatcher's to assemble").isEqualTo(UrpcRing.OTHER);
        assertThat(ring.takeIf(EPOCH, 6, record)).isEqualTo(UrpcRing.OTHER);
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(ring.takeIf(EPOCH, 6, record)).isEqualTo(UrpcRing.EMPTY);
    }

    @Test
    void concurrentProducersOfOneKernelLoseAndReorderNothingOfTheirOwn() throws Exception {
        UrpcRing ring = channels.ring(3, 0);
        ring.bind(EPOCH);
        int producers = 4;
        int each = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    byte[] body = new byte[120];
                    for (int i = 0; i < each; i++) {
                        // lengths 5..120: records of one to three slots, interleaved with the others'
                        int length = 5 + i % 116;
                        body[0] = (byte) i;
                        body[1] = (byte) (i >>> 8);
                        body[2] = (byte) (i >>> 16);
                        body[3] = (byte) producer;
                        body[length - 1] = (byte) (producer ^ i);
                        while (ring.offer(EPOCH, producer, false, false, body, 0, length) == UrpcRing.FULL) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        go.countDown();
        int[] next = new int[producers];
        UrpcRing.Record record = new UrpcRing.Record();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        int received = 0;
        while (received < producers * each) {
            assertThat(System.nanoTime() - deadline).as("records still missing: %d of %d", producers * each - received, producers * each)
                .isNegative();
            if (ring.poll(EPOCH, record) != UrpcRing.TAKEN) {
                Thread.onSpinWait();
                continue;
            }
            byte[] body = record.body();
            int producer = record.label();
            int i = body[0] & 0xFF | (body[1] & 0xFF) << 8 | (body[2] & 0xFF) << 16;
            assertThat(i).as("producer %d's order", producer).isEqualTo(next[producer]);
            assertThat(record.length()).isEqualTo(5 + i % 116);
            assertThat(body[3]).isEqualTo((byte) producer);
            assertThat(body[record.length() - 1]).isEqualTo((byte) (producer ^ i));
            next[producer]++;
            received++;
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(next).containsOnly(each);
    }

    @Test
    void aTakerThatWasLappedLeavesTheNewerSlotAlone() {
        UrpcRing ring = channels.ring(2, 3);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        // a taker that read the head (position 0) late, after others consumed it and a sender reused the slot for position 16
        long newer = UrpcRing.sequence(UrpcRing.tag(EPOCH), UrpcRing.SLOTS);
        var layout = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
        ring.segment().set(layout, UrpcRing.SLOTS_OFFSET + UrpcRing.SEQUENCE_OFFSET, newer);
        assertThat(ring.poll(EPOCH, record)).isEqualTo(UrpcRing.EMPTY);
        assertThat(ring.segment().get(layout, UrpcRing.SLOTS_OFFSET + UrpcRing.SEQUENCE_OFFSET)).as("the newer record's sequence word")
            .isEqualTo(newer);
    }

    @Test
    void aSenderOfAStaleIncarnationIsRefusedAndItsLateSlotsAreDroppedAndCounted() {
        UrpcRing ring = channels.ring(1, 2);
        ring.bind(EPOCH);
        UrpcRing.Record record = new UrpcRing.Record();
        ring.offer(EPOCH, 1, false, false, bytes(10, 1), 0, 10);
        long next = EPOCH + 1;
        ring.bind(next);
        assertThat(ring.poll(next, record)).as("the previous incarnation's records are gone").isEqualTo(UrpcRing.EMPTY);
        assertThat(ring.offer(EPOCH, 2, false, false, bytes(10, 2), 0, 10)).isEqualTo(UrpcRing.UNBOUND);
        assertThat(ring.poll(EPOCH, record)).as("nothing for the stale epoch").isEqualTo(UrpcRing.EMPTY);

        // a slot published late by a sender that claimed its place before the ring was bound anew
        long staleSequence = UrpcRing.sequence(UrpcRing.tag(EPOCH), 0);
        ring.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
            UrpcRing.SLOTS_OFFSET + UrpcRing.SEQUENCE_OFFSET, staleSequence);
        assertThat(ring.maybeReady(next)).isTrue();
        assertThat(ring.poll(next, record)).isEqualTo(UrpcRing.STALE_DROPPED);
        assertThat(ring.poll(next, record)).isEqualTo(UrpcRing.EMPTY);
        assertThat(ring.offer(next, 3, false, false, bytes(10, 3), 0, 10)).isEqualTo(UrpcRing.OFFERED);
        assertThat(ring.poll(next, record)).isEqualTo(UrpcRing.TAKEN);
        assertThat(taken(record)).isEqualTo(bytes(10, 3));

        ring.unbind(next);
        assertThat(ring.offer(next, 4, false, false, bytes(10, 4), 0, 10)).isEqualTo(UrpcRing.UNBOUND);
    }
}
