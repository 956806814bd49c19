package io.archipelago.kernel.memory;

import io.archipelago.kernel.faults.FaultPoints;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.OutOfPagesException;
import io.archipelago.typed.alloc.PageRun;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The kernel's <i>movable</i> pages: private allocations the kernel reaches only through this
 * handle table (the emulated page table of its own memory, handle → where the pages are now),
 * never by a global address published to anyone. That is what makes them movable, honestly: the
 * balloon driver may copy them to other pages and update the table, and no other kernel, region
 * or pointer can notice. Typed regions are <b>not</b> movable: the registry publishes their
 * global address, other kernels attach them, and other regions hold pointers into them.
 * <p>
 * Every access (fill, verify, move) holds this table's monitor, so nothing sees a half-moved
 * allocation (as Linux unmaps a page before migrating it). Each allocation carries a pattern
 * derived from its handle, so a test can check that moves lost nothing ({@link #verify}).
 */
final class MovablePages {

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private final GlobalMemory memory;
    private final BuddyPageAllocator buddy;
    private final int pageSize;
    private final int pagesPerBlock;
    private final Map<Long, Entry> byHandle = new TreeMap<>();
    private final int[] movablePerBlock;
    private long nextHandle = 1;
    private long pages;

    /** Where an allocation is now and whether it carries the pattern. */
    private record Entry(PageRun run, boolean patterned) {
    }

    /** An allocation as its owner sees it. */
    record Allocation(long handle, PageRun run) {
    }

    MovablePages(GlobalMemory memory, BuddyPageAllocator buddy) {
        this.memory = memory;
        this.buddy = buddy;
        this.pageSize = memory.geometry().pageSize();
        this.pagesPerBlock = memory.geometry().pagesPerBlock();
        this.movablePerBlock = new int[memory.geometry().blockCount()];
    }

    /** Takes ownership of freshly allocated pages: gives them a handle and, unless told not to, the pattern. */
    synchronized Allocation adopt(PageRun run, boolean pattern) {
        long handle = nextHandle++;
        byHandle.put(handle, new Entry(run, pattern));
        count(run, +1);
        if (pattern) {
            fill(handle, run);
        }
        return new Allocation(handle, run);
    }

    /** Removes a handle; the caller frees the pages it returns. */
    synchronized PageRun forget(long handle) {
        Entry entry = byHandle.remove(handle);
        if (entry == null) {
            throw new java.util.NoSuchElementException("no movable allocation with handle " + handle);
        }
        count(entry.run(), -1);
        return entry.run();
    }

    synchronized List<Long> handles() {
        return new ArrayList<>(byHandle.keySet());
    }

    synchronized int allocations() {
        return byHandle.size();
    }

    synchronized long pages() {
        return pages;
    }

    /** Movable pages in a block. */
    synchronized int movablePages(int block) {
        return movablePerBlock[block];
    }

    /**
     * Moves every movable allocation with pages in {@code block} to pages elsewhere, as near
     * block {@code toward} as the free chunks allow (negative: the lowest). The block must be
     * isolated (so the new pages cannot land in it).
     * <p>
     * Each allocation moves in three steps: its contents are copied to the new pages, page by page;
     * the table records the new home; the old pages are freed. Until the table records it, the old
     * home is the allocation (a move cut short leaves it there, whole), and the copy only writes pages
     * this kernel allocated for it. A kernel declared DEAD ({@code fenced}) while it moves (stopped,
     * starved, then resumed) must not write even those: the manager has taken its blocks back and
     * may have given them to another kernel. So the fence is checked before each page is copied,
     * and a fenced move stops where it is.
     *
     * @return pages moved, or -1 when the kernel had no room elsewhere or was fenced (whatever moved
     *         stays moved: every allocation is whole at all times)
     */
    synchronized int moveOutOf(int block, int toward, BooleanSupplier fenced) {
        if (!buddy.isolated(block)) {
            throw new IllegalStateException("block " + block + " must be isolated before its pages are moved out");
        }
        long first = (long) block * pagesPerBlock;
        long end = first + pagesPerBlock;
        int moved = 0;
        for (Map.Entry<Long, Entry> e : byHandle.entrySet()) {
            PageRun old = e.getValue().run();
            if (old.firstPage() >= end || old.firstPage() + old.pages() <= first) {
                continue;
            }
            PageRun fresh;
            try {
                fresh = buddy.allocatePages(old.pages(), toward);
            } catch (OutOfPagesException full) {
                return -1;
            }
            if (!copy(old, fresh, fenced)) {
                buddy.free(fresh);
                return -1;
            }
            count(old, -1);
            count(fresh, +1);
            e.setValue(new Entry(fresh, e.getValue().patterned()));
            buddy.free(old);
            moved += (int) old.pages();
        }
        return moved;
    }

    /**
     * Copies an allocation's pages to their new home, page by page, the fence checked before each;
     * the fault point {@code balloon.mid-page-move} is reached once the copy has begun (half of its
     * pages copied, at least one) and the new home is not recorded yet.
     *
     * @return false when the kernel was fenced before the copy ended (the new pages hold a partial copy no one reads)
     */
    private boolean copy(PageRun from, PageRun to, BooleanSupplier fenced) {
        MemorySegment segment = memory.segment();
        long pageCount = from.pages();
        long midway = Math.max(1, pageCount / 2);
        for (long page = 0; page < pageCount; page++) {
            if (page == midway) {
                FaultPoints.reached(FaultPoints.Point.BALLOON_MID_PAGE_MOVE);
            }
            if (fenced.getAsBoolean()) {
                return false;
            }
            MemorySegment.copy(segment, from.offset() + page * pageSize, segment, to.offset() + page * pageSize, pageSize);
        }
        if (pageCount == 1) {
            FaultPoints.reached(FaultPoints.Point.BALLOON_MID_PAGE_MOVE);
            return !fenced.getAsBoolean();
        }
        return true;
    }

    /** Where each allocation is now. */
    synchronized List<Allocation> allocationsNow() {
        List<Allocation> all = new ArrayList<>();
        byHandle.forEach((handle, entry) -> all.add(new Allocation(handle, entry.run())));
        return all;
    }

    /**
     * Checks every patterned allocation against its pattern.
     *
     * @return one line per corrupt allocation (empty when all are intact)
     */
    synchronized List<String> verify() {
        List<String> corrupt = new ArrayList<>();
        byHandle.forEach((handle, entry) -> {
            if (!entry.patterned()) {
                return;
            }
            PageRun run = entry.run();
            MemorySegment segment = memory.segment();
            for (long word = 0; word < run.bytes() / 8; word++) {
                long expected = pattern(handle, word);
                long found = segment.get(WORD, run.offset() + word * 8);
                if (found != expected) {
                    corrupt.add("handle " + handle + " (" + run.pages() + " page(s) at 0x" + Long.toHexString(run.offset()) + "): word "
                        + word + " is 0x" + Long.toHexString(found) + ", expected 0x" + Long.toHexString(expected));
                    return;
                }
            }
        });
        return corrupt;
    }

    private void fill(long handle, PageRun run) {
        MemorySegment segment = memory.segment();
        for (long word = 0; word < run.bytes() / 8; word++) {
            segment.set(WORD, run.offset() + word * 8, pattern(handle, word));
        }
    }

    /** A word no other allocation and no other position shares (a 64-bit mix of handle and position). */
    private static long pattern(long handle, long word) {
        long z = handle * 0x9E3779B97F4A7C15L + word;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void count(PageRun run, int sign) {
        long first = run.firstPage();
        long end = first + run.pages();
        for (long page = first; page < end; ) {
            int block = (int) (page / pagesPerBlock);
            long blockEnd = Math.min(end, (long) (block + 1) * pagesPerBlock);
            movablePerBlock[block] += sign * (int) (blockEnd - page);
            page = blockEnd;
        }
        pages += sign * run.pages();
    }

    int pageSize() {
        return pageSize;
    }
}
