package io.archipelago.trace;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.FlightRecorder;

/**
 * One kernel's trace: a bounded ring of fixed-size event records in a mmap'd file of the cluster
 * directory ({@code trace/<kernel id>.ring}), written by every thread of the kernel and read by
 * another process (the CLI) while the kernel runs, the way Aeron's counters are read from its CnC
 * file. When full, the oldest records are overwritten; the reader learns how many it lost.
 *
 * <pre>
 *  header (128 bytes)
 *   0                   8                  12                  16                  20                  24
 *   +-------------------+------------------+-------------------+-------------------+-------------------+
 *   | magic "ARCHTRC1"  | version u32      | capacity u32      | kernel id u32     | recording u32     |
 *   +-------------------+------------------+-------------------+-------------------+-------------------+
 *  24                  32                  40                                                        64
 *   +-------------------+-------------------+---------------------------------------------------------+
 *   | next position u64 | process id u64    | reserved                                                |
 *   +-------------------+-------------------+---------------------------------------------------------+
 *  64                                                                                               128
 *   | kernel name, UTF-8, NUL-padded (63 bytes at most)                                              |
 *
 *  record i at 128 + 32 * (position mod capacity)
 *   0                   8                  16        18        20                  24                  32
 *   +-------------------+------------------+---------+---------+-------------------+-------------------+
 *   | commit u64        | time u64 (ns)    | event   | track   | subject u32       | value u64         |
 *   +-------------------+------------------+---------+---------+-------------------+-------------------+
 * </pre>
 * All fields are little-endian. {@code next position} counts the records ever claimed; a writer
 * claims one with an atomic add, writes {@code commit = 0}, the fields, then {@code commit =
 * position + 1} (release). A reader takes a record only if {@code commit} reads {@code position + 1}
 * before and after it read the fields, so a record being overwritten is skipped, never torn.
 * {@code time} is {@link System#nanoTime()}: CLOCK_MONOTONIC, one clock for every process of a
 * host, so the kernels' rings merge into one timeline. {@code track} is the emulated core,
 * {@link #INTERRUPT_TRACK} for the interrupt context, or {@link #KERNEL_TRACK} for events of the
 * kernel itself. {@code recording} = 0 makes every write
 * a single load (the {@code trace stop} of the CLI).
 */
public final class TraceRing implements AutoCloseable {

    public static final long MAGIC = 0x3143525448435241L; // "ARCHTRC1", little-endian
    public static final int VERSION = 1;
    /** Records in a ring by default: 32,768 x 32 bytes = 1 MiB per kernel. */
    public static final int DEFAULT_CAPACITY = 1 << 15;
    /** The track of events that belong to the kernel rather than to one of its cores. */
    public static final int KERNEL_TRACK = 0xFFFF;
    /** The track of the interrupt context: interrupts taken by a kernel; raised and routed by the coordinator's devices. */
    public static final int INTERRUPT_TRACK = 0xFFFE;

    static final int HEADER_BYTES = 128;
    static final int RECORD_BYTES = 32;
    private static final long MAGIC_OFFSET = 0;
    private static final long VERSION_OFFSET = 8;
    private static final long CAPACITY_OFFSET = 12;
    private static final long KERNEL_ID_OFFSET = 16;
    private static final long RECORDING_OFFSET = 20;
    private static final long NEXT_OFFSET = 24;
    private static final long PID_OFFSET = 32;
    private static final long NAME_OFFSET = 64;
    private static final int NAME_BYTES = 63;
    private static final long COMMIT = 0;
    private static final long TIME = 8;
    private static final long EVENT = 16;
    private static final long TRACK = 18;
    private static final long SUBJECT = 20;
    private static final long VALUE = 24;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ATOMIC_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle ATOMIC_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final int capacity;
    private final long mask;

    private TraceRing(Path file, Arena arena, MemorySegment memory) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.capacity = memory.get(INT, CAPACITY_OFFSET);
        this.mask = capacity - 1L;
    }

    /** Where kernel {@code kernelId}'s ring lives in a cluster directory. */
    public static Path fileFor(Path clusterDirectory, int kernelId) {
        return clusterDirectory.resolve("trace").resolve(kernelId + ".ring");
    }

    /**
     * Where kernel {@code kernelId}'s ring of mailbox words lives: words come thousands of times
     * more often than steps, faults or migrations, so they have a ring of their own and never
     * overwrite the rarer events.
     */
    public static Path wordsFileFor(Path clusterDirectory, int kernelId) {
        return clusterDirectory.resolve("trace").resolve(kernelId + ".words.ring");
    }

    /**
     * Creates (or replaces: a kernel restarted under the same id starts a new ring) the ring of a
     * kernel, recording, readable and writable by its owner only.
     */
    public static TraceRing create(Path file, int kernelId, String kernelName, long pid, int capacity) {
        if (capacity < 16 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("a trace ring holds a power of two records, at least 16; found " + capacity);
        }
        long size = HEADER_BYTES + (long) capacity * RECORD_BYTES;
        Arena arena = Arena.ofShared();
        try {
            Files.createDirectories(file.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path fresh = file.resolveSibling(file.getFileName() + ".new");
            Files.deleteIfExists(fresh);
            MemorySegment memory;
            try (FileChannel channel = FileChannel.open(fresh, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                channel.truncate(size);
                memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
            memory.set(INT, VERSION_OFFSET, VERSION);
            memory.set(INT, CAPACITY_OFFSET, capacity);
            memory.set(INT, KERNEL_ID_OFFSET, kernelId);
            memory.set(INT, RECORDING_OFFSET, 1);
            memory.set(LONG, PID_OFFSET, pid);
            byte[] name = kernelName.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(name, 0, memory, ValueLayout.JAVA_BYTE, NAME_OFFSET, Math.min(name.length, NAME_BYTES));
            ATOMIC_LONG.setRelease(memory, MAGIC_OFFSET, MAGIC);
            Files.move(fresh, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return new TraceRing(file, arena, memory);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot create the trace ring " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a kernel's ring to read it, or to start and stop its recording.
     *
     * @throws TraceFormatException if the file is not a trace ring of this version
     */
    public static TraceRing open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new TraceFormatException(file + " is not a trace ring: expected a header of " + HEADER_BYTES + " bytes, found a file of "
                    + size);
            }
            MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            long magic = (long) ATOMIC_LONG.getAcquire(memory, MAGIC_OFFSET);
            int version = memory.get(INT, VERSION_OFFSET);
            int capacity = memory.get(INT, CAPACITY_OFFSET);
            if (magic != MAGIC || version != VERSION) {
                throw new TraceFormatException(file + " is not a trace ring of version " + VERSION + ": found magic 0x" + Long.toHexString(magic)
                    + ", version " + version);
            }
            if (capacity < 16 || Integer.bitCount(capacity) != 1 || size != HEADER_BYTES + (long) capacity * RECORD_BYTES) {
                throw new TraceFormatException(file + ": expected " + capacity + " records (" + (HEADER_BYTES + (long) capacity * RECORD_BYTES)
                    + " bytes), found a file of " + size + " bytes");
            }
            return new TraceRing(file, arena, memory);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot open the trace ring " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Records a slice that started at {@code startNs} (host time) and lasted {@code durationNs}. */
    public void slice(TraceEvent event, int track, int subject, long startNs, long durationNs) {
        record(event, track, subject, startNs, durationNs);
    }

    /** Records an instant, now. */
    public void instant(TraceEvent event, int track, int subject, long value) {
        record(event, track, subject, System.nanoTime(), value);
    }

    /** Records an instant that happened at {@code timeNs} (host time), e.g. beside a slice that began then. */
    public void instantAt(TraceEvent event, int track, int subject, long timeNs, long value) {
        record(event, track, subject, timeNs, value);
    }

    private void record(TraceEvent event, int track, int subject, long time, long value) {
        // before JFR is set up no recording can take the event: the event class is not even loaded, which keeps JFR's
        // event machinery (~100 classes, ~1 MiB of class metadata) out of every kernel that is not being recorded
        TimelineEvent flight = FlightRecorder.isInitialized() ? new TimelineEvent() : null; // no allocation unless enabled: escape analysis
        if (flight != null && flight.isEnabled()) {
            flight.kernel = memory.get(INT, KERNEL_ID_OFFSET);
            flight.event = event.label();
            flight.track = track == KERNEL_TRACK ? -1 : track == INTERRUPT_TRACK ? -2 : track;
            flight.subject = subject;
            flight.value = value;
            flight.startNs = time;
            flight.durationNs = event.shape() == TraceEvent.Shape.SLICE ? value : 0;
            flight.commit();
        }
        if ((int) ATOMIC_INT.getOpaque(memory, RECORDING_OFFSET) == 0) {
            return;
        }
        long position = (long) ATOMIC_LONG.getAndAdd(memory, NEXT_OFFSET, 1L);
        long at = HEADER_BYTES + (position & mask) * RECORD_BYTES;
        ATOMIC_LONG.setRelease(memory, at + COMMIT, 0L);
        VarHandle.storeStoreFence();
        memory.set(LONG, at + TIME, time);
        // event, track and subject are the record's bytes 16-23: one little-endian store, as the diagram lays them out
        memory.set(LONG, at + EVENT, (event.id() & 0xFFFFL) | (track & 0xFFFFL) << 16 | (long) subject << 32);
        memory.set(LONG, at + VALUE, value);
        ATOMIC_LONG.setRelease(memory, at + COMMIT, position + 1);
    }

    /**
     * Whether a record made now would be kept: the ring records, or a JDK Flight Recorder
     * recording takes timeline events. A writer that must read the clock for its record asks first
     * (one load), so a stopped ring costs it no clock reading.
     */
    public boolean wanted() {
        return (int) ATOMIC_INT.getOpaque(memory, RECORDING_OFFSET) != 0 || FlightRecorder.isInitialized() && new TimelineEvent().isEnabled();
    }

    /** How many records were ever written to this ring (a reader compares two readings to learn what was recorded between). */
    public long written() {
        return (long) ATOMIC_LONG.getAcquire(memory, NEXT_OFFSET);
    }

    /** Whether writes are recorded (a stopped ring keeps what it has). */
    public boolean recording() {
        return (int) ATOMIC_INT.getVolatile(memory, RECORDING_OFFSET) != 0;
    }

    public void recording(boolean on) {
        ATOMIC_INT.setVolatile(memory, RECORDING_OFFSET, on ? 1 : 0);
    }

    public int kernelId() {
        return memory.get(INT, KERNEL_ID_OFFSET);
    }

    public String kernelName() {
        byte[] bytes = memory.asSlice(NAME_OFFSET, NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    public long pid() {
        return memory.get(LONG, PID_OFFSET);
    }

    public int capacity() {
        return capacity;
    }

    public Path file() {
        return file;
    }

    /** What the ring holds now, oldest first: every complete record, and how many were lost to overwriting or being torn. */
    public Snapshot snapshot() {
        long next = (long) ATOMIC_LONG.getAcquire(memory, NEXT_OFFSET);
        long from = Math.max(0, next - capacity);
        List<TraceRecord> records = new ArrayList<>((int) Math.min(capacity, next - from));
        long skipped = 0;
        for (long position = from; position < next; position++) {
            long at = HEADER_BYTES + (position & mask) * RECORD_BYTES;
            long before = (long) ATOMIC_LONG.getAcquire(memory, at + COMMIT);
            long time = memory.get(LONG, at + TIME);
            int event = Short.toUnsignedInt(memory.get(SHORT, at + EVENT));
            int track = Short.toUnsignedInt(memory.get(SHORT, at + TRACK));
            int subject = memory.get(INT, at + SUBJECT);
            long value = memory.get(LONG, at + VALUE);
            VarHandle.loadLoadFence();
            long after = (long) ATOMIC_LONG.getAcquire(memory, at + COMMIT);
            TraceEvent kind = TraceEvent.byId(event);
            if (before != position + 1 || after != before || kind == null) {
                skipped++;
                continue;
            }
            records.add(new TraceRecord(kind, track, subject, time, value));
        }
        return new Snapshot(kernelId(), kernelName(), pid(), records, from + skipped);
    }

    @Override
    public void close() {
        arena.close();
    }

    /**
     * A ring's records at one moment.
     *
     * @param lost records written but not here: overwritten by newer ones, or being written when read
     */
    public record Snapshot(int kernelId, String kernelName, long pid, List<TraceRecord> records, long lost) {
        public Snapshot {
            records = List.copyOf(records);
        }
    }
}
