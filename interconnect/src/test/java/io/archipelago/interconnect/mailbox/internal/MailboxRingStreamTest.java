package io.archipelago.interconnect.mailbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ring alone, streamed one way through a FIFO of depth 4 by two threads of one process, beside
 * the plainest ring of depth 4 (head, tail and four slots on their own cache lines, as the
 * benchmark's floor), in interleaved rounds: every word arrives, in order, and the figures show
 * what the ring's own protocol (tags, the compare-and-sets, the released count, the doorbell
 * check) costs per word over the floor. The ratio is printed, not asserted: on a machine shared
 * with other builds it is noise-bound. Both sides spin, bounded by a deadline, and yield after a
 * short spin so that a descheduled peer gets its core.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MailboxRingStreamTest {

    private static final long EPOCH = 0x0BAD_CAFE_1234_5677L;
    private static final int WORDS = Integer.getInteger("ring.stream.words", 200_000);
    private static final int ROUNDS = Integer.getInteger("ring.stream.rounds", 5);
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    @Test
    void streamsEveryWordInOrderThroughAFifoOfDepthFour() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment area = arena.allocate(MailboxRings.bytes(2), 4096);
            MemorySegment floorLines = arena.allocate(4096, 4096);
            MailboxRings rings = new MailboxRings(area, 2);
            MailboxRing ring = rings.ring(0, 1);
            MailboxRings.WakeLine wake = rings.wakeLine(1);
            wake.reset();
            wake.watch();
            double[] ringRates = new double[ROUNDS];
            double[] floorRates = new double[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                ring.bind(EPOCH + round, 4);
                ringRates[round] = WORDS * 1e9 / streamRing(ring, EPOCH + round, wake);
                floorLines.fill((byte) 0);
                floorRates[round] = WORDS * 1e9 / streamFloor(floorLines);
            }
            StringBuilder line = new StringBuilder();
            for (int round = 0; round < ROUNDS; round++) {
                line.append(String.format(Locale.ROOT, " round %d: ring %,.0f, floor %,.0f words/s (%.2f);", round + 1, ringRates[round],
                    floorRates[round], ringRates[round] / floorRates[round]));
            }
            System.out.println("ring stream, " + WORDS + " words, depth 4:" + line);
        }
    }

    /** The mailbox ring's own stream: offer (and the doorbell check) per word, poll and release per word. */
    private static long streamRing(MailboxRing ring, long epoch, MailboxRings.WakeLine wake) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                long start = System.nanoTime();
                for (int i = 0; i < WORDS; i++) {
                    int spins = 0;
                    int result;
                    while ((result = ring.offer(epoch, i)) == MailboxRing.FULL) {
                        spins = pause(start, spins, "room in the ring");
                    }
                    if (result != MailboxRing.OFFERED || wake.needsDoorbell()) {
                        throw new AssertionError("word " + i + ": offer " + result + ", or a doorbell while the receiver watches");
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        long start = System.nanoTime();
        int spins = 0;
        for (int received = 0; received < WORDS; ) {
            long word = ring.poll(epoch);
            if (word < 0) {
                if (word != MailboxRing.EMPTY || failure.get() != null) {
                    throw new AssertionError("poll " + word + " before word " + received, failure.get());
                }
                spins = pause(start, spins, "a word of the ring");
                continue;
            }
            if ((int) word != received) {
                throw new AssertionError("expected word " + received + ", found " + word);
            }
            ring.release(epoch);
            received++;
        }
        long elapsed = System.nanoTime() - start;
        sender.join();
        assertThat(failure.get()).isNull();
        return elapsed;
    }

    /** The floor: head, tail and slots on their own lines, one release store each per word. */
    private static long streamFloor(MemorySegment line) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                long start = System.nanoTime();
                long tail = 0;
                for (int i = 0; i < WORDS; i++) {
                    int spins = 0;
                    while ((long) LONG.getVolatile(line, 64L) < tail - 3) {
                        spins = pause(start, spins, "room in the floor ring");
                    }
                    INT.setRelease(line, 192 + (tail % 4) * 4, i);
                    tail++;
                    LONG.setRelease(line, 128L, tail);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        long start = System.nanoTime();
        long head = 0;
        int spins = 0;
        while (head < WORDS) {
            if ((long) LONG.getVolatile(line, 128L) <= head) {
                if (failure.get() != null) {
                    throw new AssertionError("the floor's sender failed", failure.get());
                }
                spins = pause(start, spins, "a word of the floor ring");
                continue;
            }
            if ((int) INT.getVolatile(line, 192 + (head % 4) * 4) != (int) head) {
                throw new AssertionError("expected floor word " + head);
            }
            head++;
            LONG.setRelease(line, 64L, head);
        }
        long elapsed = System.nanoTime() - start;
        sender.join();
        assertThat(failure.get()).isNull();
        return elapsed;
    }

    /** Spins, yielding every 64th time round (two cores, shared), until the deadline. */
    private static int pause(long start, int spins, String what) {
        Thread.onSpinWait();
        if ((++spins & 63) == 0) {
            if (System.nanoTime() - start > DEADLINE_NANOS) {
                throw new AssertionError("waited over " + TimeUnit.NANOSECONDS.toSeconds(DEADLINE_NANOS) + " s for " + what);
            }
            Thread.yield();
        }
        return spins;
    }
}
