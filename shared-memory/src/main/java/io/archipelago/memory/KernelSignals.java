package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The facts a kernel publishes for other processes to act on, not to observe: whether it sleeps
 * (the coordinator routes device interrupts away from a sleeping strong kernel, K2's rule) and how
 * many of its threads wait on each device interrupt line (a kernel that takes a device interrupt
 * forwards it to every kernel with waiters; the router prefers not to wake a strong kernel none of
 * whose threads wait). They live in the header of the kernel's counters area, written by that
 * kernel alone, release-stored and acquire-read, so a reader needs no lock and no label search.
 *
 * <pre>
 *  counters area header, bytes 40 to 63 (see {@link KernelCountersArea}):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |        asleep (32-bit: 1 asleep, 0 awake or no meter)         | 40
 *  +---------------------------------------------------------------+
 *  |                          reserved                             | 44
 *  +---------------------------------------------------------------+
 *  |            threads waiting on device line 0 (32-bit)          | 48
 *  +---------------------------------------------------------------+
 *  |            threads waiting on device line 1 (32-bit)          | 52
 *  +---------------------------------------------------------------+
 *  |            threads waiting on device line 2 (32-bit)          | 56
 *  +---------------------------------------------------------------+
 *  |            threads waiting on device line 3 (32-bit)          | 60
 *  +---------------------------------------------------------------+
 * </pre>
 * Devices raise lines 0 to {@value #DEVICE_LINES} - 1 ({@link DeviceMemory#TIMER_LINE},
 * {@link DeviceMemory#NIC_LINE}, {@link DeviceMemory#DMA_LINE}); threads waiting on other lines
 * wait for interrupts no device raises, so nobody acts on their count.
 */
public final class KernelSignals {

    /** The interrupt lines whose waiters are published: every line a device raises. */
    public static final int DEVICE_LINES = 4;

    static final int ASLEEP_OFFSET = 40;
    static final int IRQ_WAITERS_OFFSET = 48;
    static final int END_OFFSET = IRQ_WAITERS_OFFSET + DEVICE_LINES * Integer.BYTES;

    private static final VarHandle INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment area;

    KernelSignals(MemorySegment area) {
        this.area = area;
    }

    /** Publishes whether the kernel sleeps. Only the owning kernel writes. */
    public void asleep(boolean asleep) {
        INT.setRelease(area, (long) ASLEEP_OFFSET, asleep ? 1 : 0);
    }

    /** What the kernel published last: asleep, or awake (also when it has no energy meter). */
    public boolean asleep() {
        return (int) INT.getAcquire(area, (long) ASLEEP_OFFSET) != 0;
    }

    /** True when {@code line} is a device line, whose waiters are published. */
    public static boolean published(int line) {
        return line >= 0 && line < DEVICE_LINES;
    }

    /** Publishes how many threads wait on a device line; other lines are not published (see the class comment). */
    public void irqWaiters(int line, int count) {
        if (published(line)) {
            INT.setRelease(area, (long) IRQ_WAITERS_OFFSET + (long) line * Integer.BYTES, Math.max(0, count));
        }
    }

    /** How many threads wait on a device line (0 for a line that is not a device line). */
    public int irqWaiters(int line) {
        return published(line) ? (int) INT.getAcquire(area, (long) IRQ_WAITERS_OFFSET + (long) line * Integer.BYTES) : 0;
    }

    /** The waiters of every device line, line 0 first. */
    public int[] irqWaiters() {
        int[] waiters = new int[DEVICE_LINES];
        for (int line = 0; line < DEVICE_LINES; line++) {
            waiters[line] = irqWaiters(line);
        }
        return waiters;
    }

    /** Clears every signal (a booting kernel claims the area). */
    void clear() {
        area.asSlice(ASLEEP_OFFSET, END_OFFSET - ASLEEP_OFFSET).fill((byte) 0);
    }
}
