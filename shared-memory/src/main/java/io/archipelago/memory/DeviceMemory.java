package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The emulated devices' memory: registers and the network interface's receive ring, in the
 * system blocks of global memory, right after the page directory
 * ({@link GlobalMemoryLayout#deviceAreaOffset}), initialised by the coordinator when it creates
 * the memory. The coordinator (the devices) writes packets; kernels (the NIC driver) read them
 * and say how far they consumed: the same split as a real NIC's descriptor ring, written by DMA
 * and read by the driver. Little-endian, like every platform structure.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "ARCHDEVS" (8 bytes)                    |   0
 *  +---------------------------------------------------------------+
 *  |           format version        |       ring slots            |   8
 *  +---------------------------------------------------------------+
 *  |   NIC produced: packets written (64-bit, device, release)     |  16
 *  +---------------------------------------------------------------+
 *  |   NIC consumed: packets taken (64-bit, driver's doorbell)     |  24
 *  +---------------------------------------------------------------+
 *  |   NIC dropped: arrivals that found the ring full (64-bit)     |  32
 *  +---------------------------------------------------------------+
 *  |   timer ticks (64-bit)                                        |  40
 *  +---------------------------------------------------------------+
 *  |   DMA transfers completed (64-bit)                            |  48
 *  +---------------------------------------------------------------+
 *  |   DMA bytes copied (64-bit)                                   |  56
 *  +---------------------------------------------------------------+
 *  |   NIC driver mode: 0 shared, 1 private (coordinator) | reserved |  64
 *  +---------------------------------------------------------------+
 *  |   reserved up to byte 128                                     |  72
 *  +---------------------------------------------------------------+
 *  |   receive ring: ring slots x 64 bytes                         | 128
 *  +---------------------------------------------------------------+
 *
 *  a receive slot (one cache line), packet number n lives in slot n % slots:
 *  +---------------------------------------------------------------+
 *  |   n + 1 (64-bit, written last with release; 0: never used)    |   0
 *  +---------------------------------------------------------------+
 *  |   arrival, host monotonic ns (64-bit)                         |   8
 *  +---------------------------------------------------------------+
 *  |        length (bytes)           |    checksum of the payload  |  16
 *  +---------------------------------------------------------------+
 *  |   payload, up to 40 bytes                                     |  24
 *  +---------------------------------------------------------------+
 * </pre>
 * The device writes packet n only while n - consumed &lt; slots (else it drops it), and a driver
 * reads slot n % slots only while n &lt; produced, checking the slot says n + 1.
 */
public final class DeviceMemory {

    public static final byte[] MAGIC = "ARCHDEVS".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    /** Interrupt lines of the devices (the payload of their IRQ mailbox words). */
    public static final int TIMER_LINE = 0;
    public static final int NIC_LINE = 1;
    public static final int DMA_LINE = 2;
    public static final int RING_SLOTS = 256;
    public static final int SLOT_BYTES = 64;
    public static final int PAYLOAD_MAX = 40;
    static final long RING_OFFSET = 128;
    /** Bytes the area takes in the system blocks (header and ring, rounded up to 4 KiB pages). */
    public static final int AREA_BYTES = 20 * 1024;
    private static final long VERSION_OFFSET = 8;
    private static final long SLOTS_OFFSET = 12;
    private static final long PRODUCED = 16;
    private static final long CONSUMED = 24;
    private static final long DROPPED = 32;
    private static final long TICKS = 40;
    private static final long DMA_DONE = 48;
    private static final long DMA_BYTES = 56;
    private static final long DRIVER_MODE = 64;
    public static final int DRIVER_SHARED = 0;
    public static final int DRIVER_PRIVATE = 1;
    private static final VarHandle INT_HANDLE = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Made once: a layout made per access also makes its var handle per access (a lookup the JIT cannot fold). */
    private static final ValueLayout.OfLong LONG_UNALIGNED = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment area;
    private final long offset;

    private DeviceMemory(MemorySegment area, long offset) {
        this.area = area;
        this.offset = offset;
    }

    /** Where the area is in global memory of this geometry. */
    public static long areaOffset(MemoryGeometry g) {
        return GlobalMemoryLayout.deviceAreaOffset(g.pageSize(), g.blockSize(), g.blockCount(), g.maxKernels());
    }

    private static MemorySegment slice(GlobalMemory memory) {
        return memory.segment().asSlice(areaOffset(memory.geometry()), AREA_BYTES);
    }

    /** Creates the device area (the coordinator, on a memory it just created): clears it and writes the header. */
    public static DeviceMemory create(GlobalMemory memory) {
        MemorySegment area = slice(memory);
        area.fill((byte) 0);
        area.set(INT, VERSION_OFFSET, VERSION);
        area.set(INT, SLOTS_OFFSET, RING_SLOTS);
        MemorySegment.copy(MemorySegment.ofArray(MAGIC), 0, area, 0, MAGIC.length);
        VarHandle.releaseFence();
        return new DeviceMemory(area, areaOffset(memory.geometry()));
    }

    /** Attaches to the device area of a running cluster (a kernel's driver); refused with a message if there is none. */
    public static DeviceMemory attach(GlobalMemory memory) {
        MemorySegment area = slice(memory);
        byte[] magic = area.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IllegalStateException("global memory " + memory.file() + " has no device area at offset " + areaOffset(memory.geometry())
                + " (expected magic ARCHDEVS, found " + java.util.HexFormat.of().formatHex(magic) + "): was it created by a coordinator "
                + "with devices?");
        }
        if (area.get(INT, VERSION_OFFSET) != VERSION || area.get(INT, SLOTS_OFFSET) != RING_SLOTS) {
            throw new IllegalStateException("device area version " + area.get(INT, VERSION_OFFSET) + " with " + area.get(INT, SLOTS_OFFSET)
                + " slots, expected version " + VERSION + " with " + RING_SLOTS);
        }
        return new DeviceMemory(area, areaOffset(memory.geometry()));
    }

    /** Offset of the area in global memory. */
    public long offset() {
        return offset;
    }

    public int ringSlots() {
        return RING_SLOTS;
    }

    public long produced() {
        return (long) LONG.getAcquire(area, PRODUCED);
    }

    public long consumed() {
        return (long) LONG.getAcquire(area, CONSUMED);
    }

    public long dropped() {
        return (long) LONG.getAcquire(area, DROPPED);
    }

    public long timerTicks() {
        return (long) LONG.getAcquire(area, TICKS);
    }

    public long dmaTransfers() {
        return (long) LONG.getAcquire(area, DMA_DONE);
    }

    public long dmaBytes() {
        return (long) LONG.getAcquire(area, DMA_BYTES);
    }

    /**
     * The device: writes packet number {@code produced()} into its slot and publishes it, or
     * counts a drop when the ring is full. Only the device (one thread) calls this.
     *
     * @return the packet number written, or -1 when dropped
     */
    public long receive(byte[] payload, long arrivalNs) {
        long n = produced();
        if (n - consumed() >= RING_SLOTS) {
            LONG.getAndAdd(area, DROPPED, 1L);
            return -1;
        }
        int length = Math.min(payload.length, PAYLOAD_MAX);
        long slot = RING_OFFSET + (n % RING_SLOTS) * SLOT_BYTES;
        LONG.setRelease(area, slot, 0L);
        area.set(LONG_UNALIGNED, slot + 8, arrivalNs);
        area.set(INT, slot + 16, length);
        area.set(INT, slot + 20, checksum(payload, length));
        MemorySegment.copy(MemorySegment.ofArray(payload), 0, area, slot + 24, length);
        LONG.setRelease(area, slot, n + 1);
        LONG.setRelease(area, PRODUCED, n + 1);
        return n;
    }

    /** A packet as a driver reads it. */
    public record Packet(long number, long arrivalNs, byte[] payload, boolean intact) {
    }

    /** Reads packet {@code n} (a driver, while n &lt; produced() and the slot was not reused); null if the slot does not hold it. */
    public Packet read(long n) {
        long slot = RING_OFFSET + (n % RING_SLOTS) * SLOT_BYTES;
        if ((long) LONG.getAcquire(area, slot) != n + 1) {
            return null;
        }
        long arrival = area.get(LONG_UNALIGNED, slot + 8);
        int length = Math.min(Math.max(area.get(INT, slot + 16), 0), PAYLOAD_MAX);
        int sum = area.get(INT, slot + 20);
        byte[] payload = area.asSlice(slot + 24, length).toArray(ValueLayout.JAVA_BYTE);
        boolean intact = (long) LONG.getAcquire(area, slot) == n + 1 && checksum(payload, length) == sum;
        return new Packet(n, arrival, payload, intact);
    }

    /** The driver's doorbell: packets up to {@code upTo} (exclusive) are taken; never moves back. */
    public void consumedUpTo(long upTo) {
        while (true) {
            long current = consumed();
            if (upTo <= current || LONG.compareAndSet(area, CONSUMED, current, upTo)) {
                return;
            }
        }
    }

    /** Which state the NIC driver runs on: {@link #DRIVER_SHARED} (the shadowed, software-coherent one) or {@link #DRIVER_PRIVATE}. */
    public int driverMode() {
        return (int) INT_HANDLE.getAcquire(area, DRIVER_MODE);
    }

    public void driverMode(int mode) {
        if (mode != DRIVER_SHARED && mode != DRIVER_PRIVATE) {
            throw new IllegalArgumentException("driver mode: expected 0 (shared) or 1 (private), found " + mode);
        }
        INT_HANDLE.setRelease(area, DRIVER_MODE, mode);
    }

    public void timerTick() {
        LONG.getAndAdd(area, TICKS, 1L);
    }

    public void dmaDone(long bytes) {
        LONG.getAndAdd(area, DMA_BYTES, bytes);
        LONG.getAndAdd(area, DMA_DONE, 1L);
    }

    static int checksum(byte[] payload, int length) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(payload, 0, length);
        return (int) crc.getValue();
    }
}
