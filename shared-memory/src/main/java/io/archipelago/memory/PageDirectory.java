package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The DSM's page directory in global memory: for every page, which kernel holds it (has it
 * VALID in its private copy) and how many times the holder has changed. Every change of holder
 * is one compare-and-set of the whole entry, so among kernels racing to change it exactly one
 * wins, and a decision taken on a stale read (an old version) fails instead of doing harm.
 *
 * <pre>
 *   an entry (64-bit, little-endian, one per page frame)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |        holder kernel id + 1   (0: no holder; DRAM is current)  |  0
 *  +---------------------------------------------------------------+
 *  |        version: +1 on every change of holder (wraps)           |  4
 *  +---------------------------------------------------------------+
 * </pre>
 * A fresh (all zero) directory says: no page is held, global memory holds every page's contents.
 */
public final class PageDirectory {

    public static final int ENTRY_BYTES = 8;
    /** The holder of a page nobody holds. */
    public static final int NO_HOLDER = -1;

    private static final VarHandle ENTRY = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment table;
    private final long pages;

    PageDirectory(MemorySegment table, long pages) {
        this.table = table;
        this.pages = pages;
    }

    /** An entry as read: who holds the page, at which version. */
    public record Entry(long pageFrame, int holder, int version) {
        public boolean held() {
            return holder != NO_HOLDER;
        }

        long raw() {
            return encode(holder, version);
        }
    }

    public Entry read(long pageFrame) {
        return decode(pageFrame, (long) ENTRY.getVolatile(table, offset(pageFrame)));
    }

    /**
     * Makes {@code newHolder} the holder if the entry is still exactly {@code seen}; the version
     * goes up by one.
     *
     * @return whether this call changed the holder
     */
    public boolean transfer(Entry seen, int newHolder) {
        if (newHolder < NO_HOLDER) {
            throw new IllegalArgumentException("a page's holder is a kernel id or NO_HOLDER, found " + newHolder);
        }
        return ENTRY.compareAndSet(table, offset(seen.pageFrame()), seen.raw(), encode(newHolder, seen.version() + 1));
    }

    public long pages() {
        return pages;
    }

    private long offset(long pageFrame) {
        if (pageFrame < 0 || pageFrame >= pages) {
            throw new IndexOutOfBoundsException("page frame " + pageFrame + " is outside global memory: it has frames 0.." + (pages - 1));
        }
        return pageFrame * ENTRY_BYTES;
    }

    private static long encode(int holder, int version) {
        return ((long) version << 32) | ((holder + 1) & 0xFFFF_FFFFL);
    }

    private static Entry decode(long pageFrame, long raw) {
        return new Entry(pageFrame, (int) raw - 1, (int) (raw >>> 32));
    }
}
