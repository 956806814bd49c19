package io.archipelago.interconnect.urpc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The URPC channels area of global memory: one {@link UrpcRing} per ordered pair of kernels, and
 * one wake line per kernel saying whether any thread of that kernel polls its incoming rings now
 * (then a sender need not ring the doorbell). Laid out in full for every pair up to max kernels,
 * so a ring's place follows from the two ids and nothing is ever allocated or locked in it.
 *
 * <pre>
 *  +------------------------------------------------------------------------------+
 *  | wake line 0 | wake line 1 | ... | wake line (kernels - 1)                      |  64 bytes each
 *  +------------------------------------------------------------------------------+
 *  | ring 0->0 | ring 0->1 | ... | ring 1->0 | ... | ring (kernels-1)->(kernels-1) |  UrpcRing.BYTES each;
 *  +------------------------------------------------------------------------------+  ring s->r is number
 *                                                                                     s * kernels + r
 *  a wake line:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  watchers: the receiver's threads polling its rings now       |  0
 *  +---------------------------------------------------------------+
 *  |  doorbell rung: 1 from a sender's ring until the receiver wakes|  4
 *  +---------------------------------------------------------------+
 *  |  last look (64-bit): CLOCK_MONOTONIC ns of the dispatcher's   |  8
 *  |  latest look while it expects a request; 0: not expecting     |
 *  +---------------------------------------------------------------+
 *  |  doorbell sequence: the futex word the dispatcher sleeps on;  | 16
 *  |  a sender that rings adds 1, then wakes it                    |
 *  +---------------------------------------------------------------+
 *  |  futex: 1 when the dispatcher sleeps on the doorbell         | 20
 *  |  sequence, 0 when it waits for its mailbox interrupt          |
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 64                       | 24
 *  +---------------------------------------------------------------+
 * </pre>
 * The sleep/doorbell handshake (no lost wake-up; every access sequentially consistent): a thread
 * of the receiver that stops polling decrements watchers, then looks at its rings once more; a
 * sender publishes its record, then reads watchers, and rings the doorbell (once, by setting
 * "rung" from 0 to 1) only when it finds 0. The receiver clears "rung" whenever a thread starts
 * polling (a doorbell rung before is answered by that look).
 * <p>
 * A dispatcher that expects a request (it served one lately) but may have to yield its core
 * between looks is not counted in watchers: a thread off its core looks at nothing, and a sender
 * that took it for a watcher would ring no doorbell while its record waited behind every other
 * runnable thread. It stamps each look instead ("last look"), and a sender counts it as looking
 * only while that stamp is younger than {@link #LOOK_FRESH_NANOS}; a dispatcher that finds its own
 * looks further apart than that (it was off its core) stops expecting and parks. To stop, it clears
 * the stamp and then looks at its rings once more (the same Dekker handshake as watchers: a sender
 * that still saw the stamp published its record before that last look). The stamp is
 * CLOCK_MONOTONIC ({@link System#nanoTime()} on Linux), one clock for every process of the host.
 * <p>
 * The doorbell itself ({@link Futex}): a dispatcher about to sleep reads the doorbell sequence,
 * stops watching, looks at its rings once more and sleeps only while the sequence still holds what
 * it read; a sender that must ring adds 1 to it and wakes the sleeper. A ring after the read makes
 * the sleep return at once, so no doorbell is lost between the last look and the sleep. Where the
 * dispatcher's process has no futex, it says so (byte 20 is 0) and senders ring its mailbox
 * interrupt instead.
 */
public final class UrpcChannels {

    public static final int WAKE_LINE_BYTES = 64;
    private static final long WATCHERS_OFFSET = 0;
    private static final long RUNG_OFFSET = 4;
    private static final long LAST_LOOK_OFFSET = 8;
    private static final long SEQUENCE_OFFSET = 16;
    private static final long FUTEX_OFFSET = 20;
    /**
     * How old a dispatcher's last look may be for a sender to count it as looking: a few looks'
     * worth when it has a core (a look is well under a microsecond, a yield that finds nobody
     * waiting a microsecond or two), well under a wake-up (40-60 us on this kind of VM), which a
     * doorbell rung for a dispatcher that was looking after all costs nothing but the word.
     */
    public static final long LOOK_FRESH_NANOS = 20_000;
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment area;
    private final int kernels;

    public UrpcChannels(MemorySegment area, int kernels) {
        if (kernels < 1) {
            throw new IllegalArgumentException("URPC channels for " + kernels + " kernels: expected at least 1");
        }
        long needed = bytes(kernels);
        if (area.byteSize() < needed) {
            throw new IllegalArgumentException("URPC channels for " + kernels + " kernels need " + needed + " bytes, the area given has "
                + area.byteSize());
        }
        this.area = area;
        this.kernels = kernels;
    }

    /** Bytes the area takes for this many kernels. */
    public static long bytes(int kernels) {
        return (long) kernels * WAKE_LINE_BYTES + (long) kernels * kernels * UrpcRing.BYTES;
    }

    public int kernels() {
        return kernels;
    }

    /** Whether both kernels have a channel between them here. */
    public boolean covers(int sender, int receiver) {
        return sender >= 0 && sender < kernels && receiver >= 0 && receiver < kernels && sender != receiver;
    }

    /** The channel from {@code sender} to {@code receiver}. */
    public UrpcRing ring(int sender, int receiver) {
        if (!covers(sender, receiver)) {
            throw new IndexOutOfBoundsException("no URPC channel from kernel " + sender + " to kernel " + receiver + " (channels join "
                + "distinct kernels 0.." + (kernels - 1) + ")");
        }
        long offset = (long) kernels * WAKE_LINE_BYTES + ((long) sender * kernels + receiver) * UrpcRing.BYTES;
        return new UrpcRing(area.asSlice(offset, UrpcRing.BYTES));
    }

    /** The wake line of one receiving kernel. */
    public WakeLine wakeLine(int kernel) {
        if (kernel < 0 || kernel >= kernels) {
            throw new IndexOutOfBoundsException("no URPC wake line for kernel " + kernel + " (kernels 0.." + (kernels - 1) + ")");
        }
        return new WakeLine(area.asSlice((long) kernel * WAKE_LINE_BYTES, WAKE_LINE_BYTES));
    }

    /** One receiver's wake line (see the class comment for the protocol). */
    public static final class WakeLine {
        private final MemorySegment line;

        WakeLine(MemorySegment line) {
            this.line = line;
        }

        /** (receiver, at start) Nobody polls yet, no doorbell pending. */
        public void reset() {
            INT.setVolatile(line, RUNG_OFFSET, 0);
            INT.setVolatile(line, WATCHERS_OFFSET, 0);
            LONG.setVolatile(line, LAST_LOOK_OFFSET, 0L);
            INT.setVolatile(line, SEQUENCE_OFFSET, 0);
            INT.setVolatile(line, FUTEX_OFFSET, 0);
        }

        /** (receiver, at start) Whether its dispatcher sleeps on the doorbell sequence (a futex) rather than on its mailbox interrupt. */
        public void sleepsOnFutex(boolean futex) {
            INT.setVolatile(line, FUTEX_OFFSET, futex ? 1 : 0);
        }

        /** (sender) Whether the receiver's dispatcher sleeps on the doorbell sequence: then the sender wakes it with {@link #ringFutex}. */
        boolean wokenByFutex() {
            return (int) INT.getVolatile(line, FUTEX_OFFSET) == 1;
        }

        /** Whether the doorbell sequence may serve as a futex word here (4-byte aligned in memory). */
        boolean futexAligned() {
            return (line.address() + SEQUENCE_OFFSET) % 4 == 0;
        }

        /** (receiver's dispatcher, before its last look) The doorbell sequence, which its sleep waits to see change. */
        int sequence() {
            return (int) INT.getVolatile(line, SEQUENCE_OFFSET);
        }

        /** (receiver's dispatcher) Sleeps while the doorbell sequence holds {@code seen}, at most {@code nanos}. */
        void sleep(int seen, long nanos, Futex.Timeout timeout) {
            Futex.await(line.asSlice(SEQUENCE_OFFSET, 4), seen, nanos, timeout);
        }

        /** (sender, or a thread of the receiver) Rings the doorbell: the sequence moves on, and the dispatcher sleeping on it wakes. */
        void ringFutex() {
            INT.getAndAdd(line, SEQUENCE_OFFSET, 1);
            Futex.wakeAll(line.asSlice(SEQUENCE_OFFSET, 4));
        }

        /** (receiver) A thread starts polling the rings; a doorbell rung before is answered by its look. */
        public void watch() {
            INT.getAndAdd(line, WATCHERS_OFFSET, 1);
            INT.setVolatile(line, RUNG_OFFSET, 0);
        }

        /** (receiver) A thread stops polling; it must look at the rings once more before it sleeps. */
        public void unwatch() {
            INT.getAndAdd(line, WATCHERS_OFFSET, -1);
            INT.setVolatile(line, RUNG_OFFSET, 0);
        }

        /** (receiver's dispatcher, expecting a request) Stamps a look at its rings made at {@code now} ({@link System#nanoTime()}). */
        public void looked(long now) {
            LONG.setRelease(line, LAST_LOOK_OFFSET, now == 0 ? 1L : now);
        }

        /** (receiver's dispatcher) It stops expecting: it must look at its rings once more before it sleeps. */
        public void stopLooking() {
            LONG.setVolatile(line, LAST_LOOK_OFFSET, 0L);
            VarHandle.fullFence();
        }

        /** Whether the dispatcher expecting a request looked at its rings within {@link #LOOK_FRESH_NANOS} of {@code now}. */
        public boolean lookingAt(long now) {
            long last = (long) LONG.getVolatile(line, LAST_LOOK_OFFSET);
            return last != 0 && now - last < LOOK_FRESH_NANOS;
        }

        /**
         * (sender, after publishing a record) Whether it must ring the doorbell: nobody polls, the
         * dispatcher has not looked lately, and nobody rang yet.
         */
        public boolean needsDoorbell() {
            return needsDoorbell(System.nanoTime());
        }

        /** As {@link #needsDoorbell()}, the sender's clock reading {@code now}. */
        boolean needsDoorbell(long now) {
            VarHandle.fullFence();
            return (int) INT.getVolatile(line, WATCHERS_OFFSET) <= 0 && !lookingAt(now) && INT.compareAndSet(line, RUNG_OFFSET, 0, 1);
        }

        /** (sender) A doorbell could not be rung after all: the next sender rings it again. */
        public void forgetDoorbell() {
            INT.compareAndSet(line, RUNG_OFFSET, 1, 0);
        }

        public int watchers() {
            return (int) INT.getVolatile(line, WATCHERS_OFFSET);
        }
    }
}
