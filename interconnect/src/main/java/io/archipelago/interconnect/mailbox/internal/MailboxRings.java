package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxRingsArea;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The mailbox rings area of global memory: one {@link MailboxRing} per ordered pair of kernels,
 * and one wake line per kernel saying whether anybody of that kernel watches its rings (then a
 * sender need not ring the doorbell). Laid out in full for every pair up to max kernels, so a
 * ring's place follows from the two ids and nothing is ever allocated or locked in it.
 *
 * <pre>
 *  +--------------------------------------------------------------------------+
 *  | wake line 0 | wake line 1 | ... | wake line (kernels - 1)                 |  64 bytes each
 *  +--------------------------------------------------------------------------+
 *  | ring 0->0 | ring 0->1 | ... | ring 1->0 | ... | ring (kernels-1)->(kernels-1) |  MailboxRing.BYTES each,
 *  +--------------------------------------------------------------------------+  ring s->r is number
 *                                                                                 s * kernels + r
 *  a wake line:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  watchers: the receiver's threads polling its rings now        |  0
 *  +---------------------------------------------------------------+
 *  |  doorbell rung: 1 from a sender's ring until the receiver wakes |  4
 *  +---------------------------------------------------------------+
 *  |                  reserved up to byte 64                        |  8
 *  +---------------------------------------------------------------+
 * </pre>
 * The sleep/doorbell handshake (no lost wake-up, all accesses sequentially consistent): a
 * receiver going to sleep decrements watchers and clears "rung", then looks at its rings once
 * more; a sender publishes its word, then reads watchers, and rings the doorbell (once, by
 * setting "rung" from 0 to 1) only when it finds 0. The receiver clears "rung" when it wakes,
 * before it looks, and again when it goes to sleep (a doorbell that arrived while it was awake is
 * answered already).
 */
public final class MailboxRings {

    static final int WAKE_LINE_BYTES = MailboxRingsArea.WAKE_LINE_BYTES;
    private static final long WATCHERS_OFFSET = 0;
    private static final long RUNG_OFFSET = 4;
    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment area;
    private final int kernels;

    MailboxRings(MemorySegment area, int kernels) {
        if (kernels < 1) {
            throw new IllegalArgumentException("mailbox rings for " + kernels + " kernels: expected at least 1");
        }
        long needed = bytes(kernels);
        if (area.byteSize() < needed) {
            throw new IllegalArgumentException("mailbox rings for " + kernels + " kernels need " + needed + " bytes, the area given has "
                + area.byteSize());
        }
        this.area = area;
        this.kernels = kernels;
    }

    /** Bytes the area takes for this many kernels. */
    public static long bytes(int kernels) {
        return MailboxRingsArea.bytes(kernels);
    }

    int kernels() {
        return kernels;
    }

    /** Whether both members have a ring between them here (kernels below max kernels). */
    boolean covers(int sender, int receiver) {
        return sender >= 0 && sender < kernels && receiver >= 0 && receiver < kernels && sender != receiver;
    }

    MailboxRing ring(int sender, int receiver) {
        return ring(sender, receiver, 0);
    }

    /** The ring of a pair whose words the modelled platform holds for {@code holdNanos} after their send time (0: none). */
    MailboxRing ring(int sender, int receiver, long holdNanos) {
        if (!covers(sender, receiver)) {
            throw new IndexOutOfBoundsException("no mailbox ring from member " + sender + " to member " + receiver + " (rings join "
                + "distinct kernels 0.." + (kernels - 1) + ")");
        }
        long offset = (long) kernels * WAKE_LINE_BYTES + ((long) sender * kernels + receiver) * MailboxRing.BYTES;
        return new MailboxRing(area.asSlice(offset, MailboxRing.BYTES), holdNanos);
    }

    /** The wake line of one receiver. */
    WakeLine wakeLine(int member) {
        if (member < 0 || member >= kernels) {
            throw new IndexOutOfBoundsException("no wake line for member " + member + " (kernels 0.." + (kernels - 1) + ")");
        }
        return new WakeLine(area.asSlice((long) member * WAKE_LINE_BYTES, WAKE_LINE_BYTES));
    }

    /** One receiver's wake line (see the class comment for the protocol). */
    static final class WakeLine {
        private final MemorySegment line;

        WakeLine(MemorySegment line) {
            this.line = line;
        }

        /** (receiver, at start) Nobody watches yet, no doorbell pending. */
        void reset() {
            INT.setVolatile(line, RUNG_OFFSET, 0);
            INT.setVolatile(line, WATCHERS_OFFSET, 0);
        }

        /** (receiver) A thread starts polling the rings; a doorbell already rung is answered by this look. */
        void watch() {
            INT.getAndAdd(line, WATCHERS_OFFSET, 1);
            INT.setVolatile(line, RUNG_OFFSET, 0);
        }

        /** (receiver) A thread stops polling; it must look at the rings once more before it sleeps. */
        void unwatch() {
            INT.getAndAdd(line, WATCHERS_OFFSET, -1);
        }

        /**
         * (receiver's interrupt context) Stops polling to block: as {@link #unwatch}, and forgets a
         * doorbell rung while it was awake (answered already), so that the next word rings again.
         */
        void sleep() {
            INT.getAndAdd(line, WATCHERS_OFFSET, -1);
            INT.setVolatile(line, RUNG_OFFSET, 0);
        }

        /** (sender, after publishing a word) Whether this sender must ring the doorbell: nobody watches and nobody rang it yet. */
        boolean needsDoorbell() {
            VarHandle.fullFence();
            return (int) INT.getVolatile(line, WATCHERS_OFFSET) <= 0 && INT.compareAndSet(line, RUNG_OFFSET, 0, 1);
        }

        int watchers() {
            return (int) INT.getVolatile(line, WATCHERS_OFFSET);
        }
    }
}
