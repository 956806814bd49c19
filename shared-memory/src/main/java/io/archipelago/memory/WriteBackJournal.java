package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The DSM's write-back journal in global memory: makes a holder's 4 KiB write-back atomic as seen
 * by a kernel that recovers the page after the holder died mid-copy (a redo record). The holder
 * first copies its private page into one of its own slots, then publishes the slot's header
 * (frame, directory version) with one volatile store: from then on the slot is the page's newest
 * contents. It copies the page in place, clears the header, and only then moves the directory.
 * A kernel that takes the page from a dead holder (after winning the directory's compare-and-set
 * from version v) looks for the newest record of the frame at a version up to v: if there is one,
 * global memory may be torn and is repaired from it; if not, global memory holds either the old
 * page (the holder died while filling its slot) or the new one (it died after clearing it).
 *
 * <pre>
 *  offset 0 of the journal area (page aligned): max kernels x SLOTS_PER_KERNEL headers,
 *  header (kernel k, slot s) at 8 x (k x SLOTS_PER_KERNEL + s), padded up to the page size
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |   page frame + 1   (0: the slot is empty; its data means nothing) |  0
 *  +---------------------------------------------------------------+
 *  |   directory version the record is for (the holder's version,    |  4
 *  |   raised to v+1 by a recovering kernel that took the page at v)  |
 *  +---------------------------------------------------------------+   (64-bit, little-endian,
 *                                                                        written as one word)
 *  then, page aligned: max kernels x SLOTS_PER_KERNEL pages, slot (k, s)'s data at
 *  page size x (k x SLOTS_PER_KERNEL + s)
 *  +----------------+----------------+-----+----------------+-----
 *  | data (0, 0)    | data (0, 1)    | ... | data (1, 0)    | ...
 *  +----------------+----------------+-----+----------------+-----
 * </pre>
 * Only a slot's kernel writes its data, and only while the header is empty; a header is cleared
 * with a compare-and-set of the exact record, so a holder that resumes after others recovered
 * (and re-versioned) its record cannot clear or reuse it under their feet.
 */
public final class WriteBackJournal {

    /** Write-backs one kernel can have in flight at once (its interrupt handler, threads ending an access, its clean stop). */
    public static final int SLOTS_PER_KERNEL = 4;
    public static final int HEADER_BYTES = 8;

    private static final VarHandle HEADER = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment headers;
    private final MemorySegment data;
    private final int pageSize;
    private final int maxKernels;

    WriteBackJournal(MemorySegment area, int pageSize, int maxKernels) {
        this.pageSize = pageSize;
        this.maxKernels = maxKernels;
        long headerBytes = headerAreaBytes(pageSize, maxKernels);
        this.headers = area.asSlice(0, headerBytes);
        this.data = area.asSlice(headerBytes, (long) maxKernels * SLOTS_PER_KERNEL * pageSize);
    }

    /** Bytes of the journal area: the headers padded to a page, then one page per slot. */
    public static long bytes(int pageSize, int maxKernels) {
        return headerAreaBytes(pageSize, maxKernels) + (long) maxKernels * SLOTS_PER_KERNEL * pageSize;
    }

    private static long headerAreaBytes(int pageSize, int maxKernels) {
        return GlobalMemoryLayout.alignUp((long) maxKernels * SLOTS_PER_KERNEL * HEADER_BYTES, pageSize);
    }

    /** A published record: slot {@code slot} of kernel {@code kernel} holds page frame {@code frame} as of directory {@code version}. */
    public record Record(int kernel, int slot, long frame, int version) {
        long raw() {
            return encode(frame, version);
        }
    }

    /** The record in a slot, if its header is published. */
    public Optional<Record> read(int kernel, int slot) {
        long raw = (long) HEADER.getVolatile(headers, headerOffset(kernel, slot));
        return raw == 0 ? Optional.empty() : Optional.of(decode(kernel, slot, raw));
    }

    /** Whether a slot's header is empty (its kernel may fill it). */
    public boolean empty(int kernel, int slot) {
        return (long) HEADER.getVolatile(headers, headerOffset(kernel, slot)) == 0;
    }

    /** A slot's data page. */
    public MemorySegment data(int kernel, int slot) {
        return data.asSlice(((long) kernel * SLOTS_PER_KERNEL + slot) * pageSize, pageSize);
    }

    /**
     * Copies {@code page} into an empty slot of {@code kernel} and then publishes its header: the
     * record exists only once its data is complete. The caller owns the slot (it found it empty).
     */
    public Record publish(int kernel, int slot, long frame, int version, MemorySegment page) {
        if (page.byteSize() != pageSize) {
            throw new IllegalArgumentException("a journal record holds one page of " + pageSize + " bytes, found " + page.byteSize());
        }
        MemorySegment.copy(page, 0, data(kernel, slot), 0, pageSize);
        Record record = new Record(kernel, slot, frame, version);
        HEADER.setVolatile(headers, headerOffset(kernel, slot), record.raw());
        return record;
    }

    /** Empties the slot if it still holds exactly {@code record}; false when someone re-versioned or cleared it. */
    public boolean clear(Record record) {
        return HEADER.compareAndSet(headers, headerOffset(record.kernel(), record.slot()), record.raw(), 0L);
    }

    /** Makes {@code record} a record for directory version {@code version} (a recovering kernel that took the page); false if it changed. */
    public Optional<Record> reversion(Record record, int version) {
        Record moved = new Record(record.kernel(), record.slot(), record.frame(), version);
        return HEADER.compareAndSet(headers, headerOffset(record.kernel(), record.slot()), record.raw(), moved.raw())
            ? Optional.of(moved) : Optional.empty();
    }

    /**
     * Every published record of {@code frame}, in any kernel's slots (a recovery is rare: it reads
     * all the headers).
     */
    public List<Record> recordsOf(long frame) {
        List<Record> found = new ArrayList<>(2);
        for (int kernel = 0; kernel < maxKernels; kernel++) {
            for (int slot = 0; slot < SLOTS_PER_KERNEL; slot++) {
                read(kernel, slot).filter(r -> r.frame() == frame).ifPresent(found::add);
            }
        }
        return found;
    }

    /**
     * The newest record of {@code frame} at a directory version up to {@code version} (versions
     * wrap: "newest" is the smallest distance back from {@code version}).
     */
    public Optional<Record> newest(long frame, int version) {
        Record best = null;
        for (Record r : recordsOf(frame)) {
            int back = version - r.version();
            if (back >= 0 && (best == null || back < version - best.version())) {
                best = r;
            }
        }
        return Optional.ofNullable(best);
    }

    public int pageSize() {
        return pageSize;
    }

    private long headerOffset(int kernel, int slot) {
        if (kernel < 0 || kernel >= maxKernels || slot < 0 || slot >= SLOTS_PER_KERNEL) {
            throw new IndexOutOfBoundsException("journal slot (kernel " + kernel + ", slot " + slot + ") is outside kernels 0.."
                + (maxKernels - 1) + ", slots 0.." + (SLOTS_PER_KERNEL - 1));
        }
        return ((long) kernel * SLOTS_PER_KERNEL + slot) * HEADER_BYTES;
    }

    private static long encode(long frame, int version) {
        if (frame < 0 || frame >= 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("a journal record names a page frame below 2^32 - 1, found " + frame);
        }
        return ((long) version << 32) | (frame + 1);
    }

    private static Record decode(int kernel, int slot, long raw) {
        return new Record(kernel, slot, (raw & 0xFFFF_FFFFL) - 1, (int) (raw >>> 32));
    }
}
