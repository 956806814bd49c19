package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One kernel's counters area in global memory: its liveness (pid, incarnation, heartbeat) and
 * its counters, written by that kernel alone and readable by any process that maps the file
 * without asking the kernel (the way Aeron's counters live in its CnC file).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |          kernel id + 1 (0: area never used)                   |  0
 *  +---------------------------------------------------------------+
 *  |                        reserved                               |  4
 *  +---------------------------------------------------------------+
 *  |                     OS pid (64-bit)                           |  8
 *  +---------------------------------------------------------------+
 *  |                   incarnation (64-bit)                        | 16
 *  +---------------------------------------------------------------+
 *  |                  started at, epoch ms (64-bit)                | 24
 *  +---------------------------------------------------------------+
 *  |  heartbeat count (64-bit, release-stored): +1 per beat         | 32
 *  +---------------------------------------------------------------+
 *  |  signals: asleep, IRQ waiters per device line (KernelSignals) | 40
 *  |                          ... 24 bytes                          |
 *  +---------------------------------------------------------------+
 *  |  slot 0 (64 bytes)  |  slot 1  |  ...  |  slot 254            | 64
 *  +---------------------------------------------------------------+
 *
 *  a counter slot (one cache line):
 *  +---------------------------------------------------------------+
 *  |                    value (64-bit, atomic)                     |  0
 *  +---------------------------------------------------------------+
 *  |   label length (0: free)      |          reserved             |  8
 *  +---------------------------------------------------------------+
 *  |              label, UTF-8, up to 48 bytes                     | 16
 *  +---------------------------------------------------------------+
 * </pre>
 * <p>
 * 64-bit fields are 8-byte aligned, so they can be read and written atomically. The heartbeat is
 * a count, not a time: an observer judges it against its own monotonic clock (how long it has
 * seen the count unchanged), so no process's wall clock, nor a step of it, decides liveness.
 * <p>
 * Counters are for observation, each defined once by a {@link CounterDescriptor}; the facts other
 * processes act on are {@link KernelSignals}, typed fields at fixed offsets.
 */
public final class KernelCountersArea {

    public static final int AREA_BYTES = 16 * 1024;
    public static final int HEADER_BYTES = 64;
    public static final int SLOT_BYTES = 64;
    public static final int SLOTS = (AREA_BYTES - HEADER_BYTES) / SLOT_BYTES;
    public static final int LABEL_MAX_BYTES = 48;

    static final int KERNEL_ID_OFFSET = 0;
    static final int PID_OFFSET = 8;
    static final int INCARNATION_OFFSET = 16;
    static final int STARTED_AT_OFFSET = 24;
    static final int HEARTBEAT_OFFSET = 32;

    static final int VALUE_OFFSET = 0;
    static final int LABEL_LENGTH_OFFSET = 8;
    static final int LABEL_OFFSET = 16;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG_HANDLE = LONG.varHandle();
    private static final VarHandle INT_HANDLE = INT.varHandle();

    private final MemorySegment area;
    private final int kernelId;
    private final KernelSignals signals;

    KernelCountersArea(MemorySegment area, int kernelId) {
        if (area.byteSize() != AREA_BYTES) {
            throw new IllegalArgumentException("a counters area is " + AREA_BYTES + " bytes, found " + area.byteSize());
        }
        this.area = area;
        this.kernelId = kernelId;
        this.signals = new KernelSignals(area);
    }

    /** The facts this kernel publishes for others to act on (asleep, IRQ waiters). */
    public KernelSignals signals() {
        return signals;
    }

    public int kernelId() {
        return kernelId;
    }

    /**
     * Claims the area for a (re)booting kernel: clears every counter of a previous incarnation,
     * then publishes the identity. Only the kernel that owns the id may call this.
     */
    public void reset(long pid, long incarnation, long startedAtMs) {
        area.asSlice(HEADER_BYTES).fill((byte) 0);
        signals.clear();
        area.set(LONG, PID_OFFSET, pid);
        area.set(LONG, INCARNATION_OFFSET, incarnation);
        area.set(LONG, STARTED_AT_OFFSET, startedAtMs);
        LONG_HANDLE.setRelease(area, (long) HEARTBEAT_OFFSET, 0L);
        INT_HANDLE.setRelease(area, (long) KERNEL_ID_OFFSET, kernelId + 1);
    }

    /** True once a kernel with this id has booted at least once on this memory. */
    public boolean inUse() {
        return (int) INT_HANDLE.getAcquire(area, (long) KERNEL_ID_OFFSET) == kernelId + 1;
    }

    /** One heartbeat: advances the count by one. Only the owning kernel beats (one writer, so no read-modify-write race). */
    public void beat() {
        LONG_HANDLE.setRelease(area, (long) HEARTBEAT_OFFSET, (long) LONG_HANDLE.getAcquire(area, (long) HEARTBEAT_OFFSET) + 1);
    }

    /** The heartbeat count: how many beats this incarnation made. Liveness is its changing, as an observer sees it. */
    public long heartbeats() {
        return (long) LONG_HANDLE.getAcquire(area, (long) HEARTBEAT_OFFSET);
    }

    public long pid() {
        return area.get(LONG, PID_OFFSET);
    }

    public long incarnation() {
        return area.get(LONG, INCARNATION_OFFSET);
    }

    public long startedAtMs() {
        return area.get(LONG, STARTED_AT_OFFSET);
    }

    /**
     * Allocates a counter in a free slot. Only the owning kernel allocates; labels are unique
     * per area, so asking twice for one label returns the same counter.
     */
    public Counter counter(CounterDescriptor descriptor) {
        return counter(descriptor.label());
    }

    /** As {@link #counter(CounterDescriptor)}, for labels made at run time (per core, per peer). */
    public synchronized Counter counter(String label) {
        byte[] bytes = label.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > LABEL_MAX_BYTES) {
            throw new IllegalArgumentException("a counter label is 1 to " + LABEL_MAX_BYTES + " UTF-8 bytes, found "
                + bytes.length + " in '" + label + "'");
        }
        int free = -1;
        for (int slot = 0; slot < SLOTS; slot++) {
            long base = slotOffset(slot);
            int length = (int) INT_HANDLE.getAcquire(area, base + LABEL_LENGTH_OFFSET);
            if (length == 0) {
                if (free < 0) {
                    free = slot;
                }
            } else if (label.equals(readLabel(base, length))) {
                return new Counter(area, base, label);
            }
        }
        if (free < 0) {
            throw new IllegalStateException("kernel " + kernelId + " has no free counter slot for '" + label + "': all "
                + SLOTS + " are in use");
        }
        long base = slotOffset(free);
        MemorySegment.copy(bytes, 0, area, ValueLayout.JAVA_BYTE, base + LABEL_OFFSET, bytes.length);
        LONG_HANDLE.setRelease(area, base + VALUE_OFFSET, 0L);
        INT_HANDLE.setRelease(area, base + LABEL_LENGTH_OFFSET, bytes.length);
        return new Counter(area, base, label);
    }

    /**
     * The counter with this label, if its kernel allocated it; never allocates one (for readers
     * in other processes, which may keep it: a slot keeps its label for the kernel's incarnation).
     */
    public java.util.Optional<Counter> find(CounterDescriptor descriptor) {
        return find(descriptor.label());
    }

    public java.util.Optional<Counter> find(String label) {
        Objects.requireNonNull(label);
        for (int slot = 0; slot < SLOTS; slot++) {
            long base = slotOffset(slot);
            int length = (int) INT_HANDLE.getAcquire(area, base + LABEL_LENGTH_OFFSET);
            if (length > 0 && length <= LABEL_MAX_BYTES && label.equals(readLabel(base, length))) {
                return java.util.Optional.of(new Counter(area, base, label));
            }
        }
        return java.util.Optional.empty();
    }

    /** Every allocated counter with its current value, in slot order. */
    public List<CounterValue> read() {
        List<CounterValue> values = new ArrayList<>();
        for (int slot = 0; slot < SLOTS; slot++) {
            long base = slotOffset(slot);
            int length = (int) INT_HANDLE.getAcquire(area, base + LABEL_LENGTH_OFFSET);
            if (length > 0 && length <= LABEL_MAX_BYTES) {
                values.add(new CounterValue(readLabel(base, length), (long) LONG_HANDLE.getVolatile(area, base + VALUE_OFFSET)));
            }
        }
        return values;
    }

    /** The value of the counter with this label, or 0 when it was never allocated. */
    public long value(CounterDescriptor descriptor) {
        return value(descriptor.label());
    }

    public long value(String label) {
        Objects.requireNonNull(label);
        for (CounterValue value : read()) {
            if (value.label().equals(label)) {
                return value.value();
            }
        }
        return 0;
    }

    private String readLabel(long base, int length) {
        byte[] bytes = area.asSlice(base + LABEL_OFFSET, length).toArray(ValueLayout.JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static long slotOffset(int slot) {
        return HEADER_BYTES + (long) slot * SLOT_BYTES;
    }

    /** A label and the value it had when read. */
    public record CounterValue(String label, long value) {
    }

    /** A 64-bit counter in shared memory, updated atomically by its kernel's threads. */
    public static final class Counter {
        private final MemorySegment area;
        private final long valueOffset;
        private final String label;

        Counter(MemorySegment area, long slotBase, String label) {
            this.area = area;
            this.valueOffset = slotBase + VALUE_OFFSET;
            this.label = label;
        }

        public String label() {
            return label;
        }

        public long increment() {
            return add(1);
        }

        public long add(long delta) {
            return (long) LONG_HANDLE.getAndAdd(area, valueOffset, delta) + delta;
        }

        public void set(long value) {
            LONG_HANDLE.setRelease(area, valueOffset, value);
        }

        /** Raises the value to {@code value} if it is larger (for high-water marks). */
        public void max(long value) {
            long current;
            do {
                current = (long) LONG_HANDLE.getVolatile(area, valueOffset);
                if (current >= value) {
                    return;
                }
            } while (!LONG_HANDLE.compareAndSet(area, valueOffset, current, value));
        }

        public long get() {
            return (long) LONG_HANDLE.getVolatile(area, valueOffset);
        }

        @Override
        public String toString() {
            return label + "=" + get();
        }
    }
}
