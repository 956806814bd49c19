package io.archipelago.typed.alloc;

import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * One kernel's page allocator (K2's <i>independent</i> service: one instance per kernel, no state
 * shared with other kernels on the allocation path): a binary buddy allocator over the page blocks
 * the kernel owns. Orders run from 0 (one page) to the order of a whole page block; a block is
 * the largest buddy, so two blocks never merge and a block whose pages are all free is exactly one
 * free chunk of the top order, ready to be given back by the balloon driver.
 *
 * <ul>
 *   <li><b>Exact sizes.</b> A request of {@code n} pages takes a chunk of order
 *   {@code ceil(log2 n)} and returns the tail beyond {@code n} pages to the free lists (as Linux's
 *   {@code alloc_pages_exact}), so a region of 5 pages costs 5 pages.</li>
 *   <li><b>Lowest address first.</b> Every free list is ordered by page frame and the lowest
 *   chunk is taken: allocations pack into the low blocks, leaving the high blocks whole for the
 *   balloon (K2: "maximise contiguous free memory").</li>
 *   <li><b>Beyond one block.</b> A request larger than a block takes a run of adjacent blocks that
 *   are wholly free (the balloon keeps a kernel's blocks together so that such runs exist).</li>
 *   <li><b>Isolation.</b> The balloon driver {@linkplain #isolate isolates} a block before it moves
 *   the movable pages out of it: nothing is allocated there meanwhile, pages freed there stay out
 *   of the free lists (Linux's {@code MIGRATE_ISOLATE}).</li>
 * </ul>
 * Page numbers are global page frame numbers. Thread-safe with this object's monitor: a lock of
 * this process only, never one shared with another kernel. Which pages are in use lives in this
 * process; a restarted kernel rebuilds it from the regions the registry places in its blocks
 * ({@link #forKernel}).
 * <p>
 * Counters (when given a counters area): see {@link io.archipelago.memory.MemoryCounters}. {@code alloc.free_pages}
 * counts the pages that can be allocated now (pages of isolated blocks are not among them).
 */
public final class BuddyPageAllocator implements PageAllocator {

    private final int kernelId;
    private final int pageSize;
    private final int pagesPerBlock;
    private final int maxOrder;
    private final int firstDataBlock;
    private final int blockCount;
    /** Free chunks of each order, by first page frame. */
    private final NavigableSet<Integer>[] free;
    private final BitSet used;
    private final int[] usedPerBlock;
    private final BitSet owned;
    private final BitSet isolated;
    private final Probes probes;
    private long freePages;
    private long usedPages;

    /**
     * An empty allocator: no blocks yet ({@link #addBlock} them).
     *
     * @param counters where to publish the counters, or null for none
     */
    @SuppressWarnings("unchecked")
    public BuddyPageAllocator(MemoryGeometry geometry, int kernelId, KernelCountersArea counters) {
        if (geometry.pageCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the buddy allocator numbers pages with 31 bits; " + geometry + " has "
                + geometry.pageCount() + " pages");
        }
        this.kernelId = kernelId;
        this.pageSize = geometry.pageSize();
        this.pagesPerBlock = geometry.pagesPerBlock();
        this.maxOrder = Integer.numberOfTrailingZeros(pagesPerBlock);
        this.firstDataBlock = geometry.systemBlocks();
        this.blockCount = geometry.blockCount();
        this.free = new NavigableSet[maxOrder + 1];
        for (int order = 0; order <= maxOrder; order++) {
            free[order] = new TreeSet<>();
        }
        this.used = new BitSet((int) geometry.pageCount());
        this.usedPerBlock = new int[blockCount];
        this.owned = new BitSet(blockCount);
        this.isolated = new BitSet(blockCount);
        this.probes = counters == null ? null : new Probes(counters, maxOrder);
        publish();
    }

    /**
     * The allocator of a (re)booting kernel: every block the ownership table gives it, with the
     * pages its registered regions already use marked in use.
     *
     * @param kernelId the kernel's owner code in the ownership table (its id and incarnation, {@link
     *                 BlockOwnershipTable#ownerCode(int, long)}): only blocks of exactly that incarnation are its
     * @param inUse pages in use in the kernel's blocks (from the region registry)
     * @throws IllegalStateException when a run lies outside the kernel's blocks or two runs overlap
     */
    public static BuddyPageAllocator forKernel(GlobalMemory memory, int kernelId, Collection<PageRun> inUse,
                                               KernelCountersArea counters) {
        BuddyPageAllocator allocator = new BuddyPageAllocator(memory.geometry(), kernelId, counters);
        for (int block : memory.ownership().blocksHeldBy(kernelId)) {
            allocator.addBlock(block);
        }
        allocator.reserve(inUse);
        return allocator;
    }

    // ------------------------------------------------------------------ blocks (the balloon's side)

    /** The order of a whole page block: chunks of this order are blocks. */
    public int maxOrder() {
        return maxOrder;
    }

    public int pagesPerBlock() {
        return pagesPerBlock;
    }

    /** Adds a block the kernel now owns (at boot, or deflated from the pool): all its pages free. */
    public synchronized void addBlock(int block) {
        checkDataBlock(block);
        if (owned.get(block)) {
            throw new IllegalStateException("block " + block + " is already in kernel " + kernelId + "'s allocator");
        }
        owned.set(block);
        free[maxOrder].add(firstPage(block));
        freePages += pagesPerBlock;
        publish();
    }

    /**
     * Takes a wholly free block out of the allocator (to inflate it into the pool).
     *
     * @return false, changing nothing, when a page of it is in use or it is not in the allocator
     */
    public synchronized boolean removeFreeBlock(int block) {
        checkDataBlock(block);
        if (!owned.get(block) || usedPerBlock[block] != 0) {
            return false;
        }
        if (isolated.get(block)) {
            isolated.clear(block); // its pages were out of the free lists (and of freePages) already
        } else if (free[maxOrder].remove(firstPage(block))) {
            freePages -= pagesPerBlock;
        } else {
            throw new IllegalStateException("block " + block + " of kernel " + kernelId + " has no page in use but is not one free chunk: "
                + "the buddy lists are inconsistent");
        }
        owned.clear(block);
        publish();
        return true;
    }

    /**
     * Isolates a block: its free chunks leave the free lists, so nothing is allocated in it until
     * {@link #unisolate}, and pages freed in it stay out of the lists.
     */
    public synchronized void isolate(int block) {
        checkOwned(block);
        if (isolated.get(block)) {
            return;
        }
        int first = firstPage(block);
        for (int order = 0; order <= maxOrder; order++) {
            NavigableSet<Integer> inBlock = free[order].subSet(first, true, first + pagesPerBlock - 1, true);
            freePages -= (long) inBlock.size() << order;
            inBlock.clear();
        }
        isolated.set(block);
        publish();
    }

    /** Ends an isolation: the block's free pages return to the free lists. */
    public synchronized void unisolate(int block) {
        checkOwned(block);
        if (!isolated.get(block)) {
            return;
        }
        isolated.clear(block);
        relist(block);
        publish();
    }

    public synchronized boolean isolated(int block) {
        return isolated.get(block);
    }

    /** The blocks in this allocator, in block order. */
    public synchronized List<Integer> blocks() {
        return owned.stream().boxed().toList();
    }

    public synchronized boolean owns(int block) {
        return block >= 0 && block < blockCount && owned.get(block);
    }

    /** Pages in use in one of this allocator's blocks. */
    public synchronized int usedPages(int block) {
        checkOwned(block);
        return usedPerBlock[block];
    }

    /** Blocks whose pages are all free (isolated blocks included), in block order. */
    public synchronized List<Integer> wholeFreeBlocks() {
        List<Integer> blocks = new ArrayList<>();
        for (int block = owned.nextSetBit(0); block >= 0; block = owned.nextSetBit(block + 1)) {
            if (usedPerBlock[block] == 0) {
                blocks.add(block);
            }
        }
        return blocks;
    }

    // ------------------------------------------------------------------ pages

    @Override
    public PageRun allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("an allocation is at least one byte, found " + bytes);
        }
        return allocatePages((bytes + pageSize - 1) / pageSize);
    }

    /**
     * Allocates {@code pages} contiguous pages.
     *
     * @throws OutOfPagesException when no free chunk (or, beyond a block, no run of wholly free
     *                             blocks) is large enough: says what the kernel has
     */
    public synchronized PageRun allocatePages(long pages) {
        return allocatePages(pages, -1);
    }

    /**
     * Allocates {@code pages} contiguous pages, from the free chunk nearest block
     * {@code nearBlock} rather than the lowest (the balloon driver moving pages away from the
     * blocks it is about to give back); a negative {@code nearBlock} is the lowest.
     */
    public synchronized PageRun allocatePages(long pages, int nearBlock) {
        if (pages <= 0) {
            throw new IllegalArgumentException("an allocation is at least one page, found " + pages);
        }
        int first = pages <= pagesPerBlock ? takeChunk((int) pages, nearBlock) : takeBlocks(pages);
        if (first < 0) {
            if (probes != null) {
                probes.failures.increment();
            }
            throw new OutOfPagesException("kernel " + BlockOwnershipTable.kernelOf(kernelId) + " has no run of " + pages + " free page(s) ("
                + pages * pageSize + " bytes) in its " + owned.cardinality() + " page block(s): " + freePages + " page(s) free, the "
                + "largest free chunk " + largestFreeChunk() + " page(s)" + (pages > pagesPerBlock ? ", " + wholeFreeRunBlocks()
                + " adjacent wholly free block(s) at most" : ""));
        }
        markUsed(first, (int) pages);
        if (probes != null) {
            probes.allocations.increment();
        }
        publish();
        return new PageRun((long) first * pageSize, pages, pageSize);
    }

    /** Takes the lowest (or nearest) chunk of the smallest sufficient order, splits it, keeps {@code pages}, frees the tail. */
    private int takeChunk(int pages, int nearBlock) {
        int order = orderFor(pages);
        int from = order;
        while (from <= maxOrder && free[from].isEmpty()) {
            from++;
        }
        if (from > maxOrder) {
            return -1;
        }
        int first;
        if (nearBlock < 0) {
            first = free[from].pollFirst();
        } else {
            int target = firstPage(nearBlock);
            Integer below = free[from].floor(target + pagesPerBlock - 1);
            Integer above = free[from].ceiling(target);
            first = below == null ? above : above == null ? below : target - below <= above - target ? below : above;
            free[from].remove(first);
        }
        freePages -= 1L << from;
        while (from > order) {
            from--;
            free[from].add(first + (1 << from)); // the upper half stays free
            freePages += 1L << from;
        }
        int tail = (1 << order) - pages;
        if (tail > 0) {
            // the tail is "in use" for a moment so that freeing it coalesces it normally
            used.set(first + pages, first + (1 << order));
            usedPerBlock[blockOf(first)] += tail;
            usedPages += tail;
            release(first + pages, tail);
        }
        return first;
    }

    /** A run of adjacent, wholly free, non-isolated blocks for a request beyond one block. */
    private int takeBlocks(long pages) {
        int blocks = (int) ((pages + pagesPerBlock - 1) / pagesPerBlock);
        int runStart = -1;
        int runLength = 0;
        int previous = -2;
        for (int first : free[maxOrder]) {
            int block = blockOf(first);
            if (block != previous + 1) {
                runStart = block;
                runLength = 0;
            }
            previous = block;
            runLength++;
            if (runLength == blocks) {
                for (int b = runStart; b < runStart + blocks; b++) {
                    free[maxOrder].remove(firstPage(b));
                }
                freePages -= (long) blocks * pagesPerBlock;
                int first0 = firstPage(runStart);
                int tail = (int) ((long) blocks * pagesPerBlock - pages);
                if (tail > 0) {
                    int tailStart = (int) (first0 + pages);
                    markUsed(tailStart, tail);
                    release(tailStart, tail);
                }
                return first0;
            }
        }
        return -1;
    }

    private void markUsed(int first, int pages) {
        used.set(first, first + pages);
        for (int page = first; page < first + pages; ) {
            int block = blockOf(page);
            int end = Math.min(first + pages, firstPage(block) + pagesPerBlock);
            usedPerBlock[block] += end - page;
            page = end;
        }
        usedPages += pages;
    }

    @Override
    public synchronized void free(PageRun run) {
        if (run.pageSize() != pageSize) {
            throw new IllegalArgumentException("page run " + run + " has pages of " + run.pageSize() + " bytes; this memory's are "
                + pageSize);
        }
        long first = run.firstPage();
        long pages = run.pages();
        checkInUse(first, pages, "free");
        release((int) first, (int) pages);
        if (probes != null) {
            probes.frees.increment();
        }
        publish();
    }

    /** Marks pages free and returns them to the lists, coalescing buddies; pages of isolated blocks stay out. */
    private void release(int first, int pages) {
        used.clear(first, first + pages);
        usedPages -= pages;
        int page = first;
        int end = first + pages;
        while (page < end) {
            int order = Math.min(maxOrder, Math.min(Integer.numberOfTrailingZeros(page), 31 - Integer.numberOfLeadingZeros(end - page)));
            int block = blockOf(page);
            usedPerBlock[block] -= 1 << order;
            if (!isolated.get(block)) {
                insert(page, order);
            }
            page += 1 << order;
        }
    }

    private void insert(int first, int order) {
        freePages += 1L << order;
        while (order < maxOrder) {
            int buddy = first ^ (1 << order);
            if (!free[order].remove(buddy)) {
                break;
            }
            first = Math.min(first, buddy);
            order++;
        }
        free[order].add(first);
    }

    /** Rebuilds a block's free chunks from the in-use bitmap (after reserving pages in it, or ending its isolation). */
    private void relist(int block) {
        int first = firstPage(block);
        int end = first + pagesPerBlock;
        for (int order = 0; order <= maxOrder; order++) {
            NavigableSet<Integer> inBlock = free[order].subSet(first, true, end - 1, true);
            freePages -= (long) inBlock.size() << order;
            inBlock.clear();
        }
        int page = used.nextClearBit(first);
        while (page < end) {
            int runEnd = Math.min(end, used.nextSetBit(page) < 0 ? end : used.nextSetBit(page));
            while (page < runEnd) {
                int order = Math.min(maxOrder, Math.min(Integer.numberOfTrailingZeros(page), 31 - Integer.numberOfLeadingZeros(runEnd - page)));
                insert(page, order);
                page += 1 << order;
            }
            page = used.nextClearBit(runEnd);
        }
    }

    /**
     * Marks pages in use without allocating them: the pages a restarted kernel's registered
     * regions already occupy.
     *
     * @throws IllegalStateException when a run is outside this kernel's blocks or overlaps another
     */
    public synchronized void reserve(Collection<PageRun> runs) {
        BitSet touched = new BitSet(blockCount);
        for (PageRun run : runs) {
            long first = run.firstPage();
            long pages = run.pages();
            for (long page = first; page < first + pages; page += pagesPerBlock - (page % pagesPerBlock)) {
                int block = (int) (page / pagesPerBlock);
                if (block >= blockCount || !owned.get(block)) {
                    throw new IllegalStateException("pages " + first + ".." + (first + pages - 1) + " (" + run + ") are not all in kernel "
                        + kernelId + "'s blocks: block " + block + " is " + (block >= blockCount ? "beyond memory" : "not its"));
                }
            }
            int clash = used.get((int) first, (int) (first + pages)).nextSetBit(0);
            if (clash >= 0) {
                throw new IllegalStateException("pages " + first + ".." + (first + pages - 1) + " overlap pages already in use (page "
                    + (first + clash) + ")");
            }
            markUsed((int) first, (int) pages);
            for (long page = first; page < first + pages; page++) {
                touched.set((int) (page / pagesPerBlock));
            }
        }
        for (int block = touched.nextSetBit(0); block >= 0; block = touched.nextSetBit(block + 1)) {
            if (!isolated.get(block)) {
                relist(block);
            }
        }
        publish();
    }

    // ------------------------------------------------------------------ what it holds

    public synchronized long freePages() {
        return freePages;
    }

    public synchronized long usedPages() {
        return usedPages;
    }

    /** Free chunks of each order (index = order), as Linux's {@code /proc/buddyinfo}. */
    public synchronized int[] freeChunks() {
        int[] chunks = new int[maxOrder + 1];
        for (int order = 0; order <= maxOrder; order++) {
            chunks[order] = free[order].size();
        }
        return chunks;
    }

    /** Pages in the largest free chunk (0 when none). */
    public synchronized int largestFreeChunk() {
        for (int order = maxOrder; order >= 0; order--) {
            if (!free[order].isEmpty()) {
                return 1 << order;
            }
        }
        return 0;
    }

    /** The longest run of adjacent wholly free (non-isolated) blocks, in blocks. */
    public synchronized int wholeFreeRunBlocks() {
        int longest = 0;
        int run = 0;
        int previous = -2;
        for (int first : free[maxOrder]) {
            int block = blockOf(first);
            run = block == previous + 1 ? run + 1 : 1;
            previous = block;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /** Whether every page of a run is allocated (a run handed out and not freed since). */
    public synchronized boolean inUse(PageRun run) {
        long first = run.firstPage();
        return first + run.pages() <= used.size() && used.get((int) first, (int) (first + run.pages())).cardinality() == run.pages();
    }

    public int kernelId() {
        return kernelId;
    }

    @Override
    public synchronized String toString() {
        return "BuddyPageAllocator[kernel " + kernelId + ", " + owned.cardinality() + " block(s), " + freePages + " free page(s), "
            + usedPages + " in use]";
    }

    // ------------------------------------------------------------------ helpers

    private void checkInUse(long first, long pages, String what) {
        if (first < 0 || first + pages > (long) blockCount * pagesPerBlock) {
            throw new IllegalArgumentException("cannot " + what + " pages " + first + ".." + (first + pages - 1) + ": beyond memory");
        }
        for (long page = first; page < first + pages; page += pagesPerBlock - (page % pagesPerBlock)) {
            int block = (int) (page / pagesPerBlock);
            if (!owned.get(block)) {
                throw new IllegalArgumentException("cannot " + what + " pages " + first + ".." + (first + pages - 1) + ": block " + block
                    + " is not in kernel " + kernelId + "'s allocator");
            }
        }
        BitSet range = used.get((int) first, (int) (first + pages));
        if (range.cardinality() != pages) {
            throw new IllegalArgumentException("cannot " + what + " pages " + first + ".." + (first + pages - 1) + ": page "
                + (first + range.nextClearBit(0)) + " is not allocated (freed twice?)");
        }
    }

    private void checkDataBlock(int block) {
        if (block < firstDataBlock || block >= blockCount) {
            throw new IndexOutOfBoundsException("block " + block + " is not a data block: data blocks are " + firstDataBlock + ".."
                + (blockCount - 1));
        }
    }

    private void checkOwned(int block) {
        checkDataBlock(block);
        if (!owned.get(block)) {
            throw new IllegalArgumentException("block " + block + " is not in kernel " + kernelId + "'s allocator");
        }
    }

    private int orderFor(int pages) {
        return pages == 1 ? 0 : 32 - Integer.numberOfLeadingZeros(pages - 1);
    }

    private int firstPage(int block) {
        return block * pagesPerBlock;
    }

    private int blockOf(int page) {
        return page / pagesPerBlock;
    }

    private void publish() {
        if (probes == null) {
            return;
        }
        for (int order = 0; order <= maxOrder; order++) {
            probes.perOrder[order].set((long) free[order].size() << order);
        }
        probes.freePages.set(freePages);
        probes.usedPages.set(usedPages);
        probes.blocks.set(owned.cardinality());
        long wholeFree = free[maxOrder].size();
        for (int block = isolated.nextSetBit(0); block >= 0; block = isolated.nextSetBit(block + 1)) {
            if (usedPerBlock[block] == 0) {
                wholeFree++;
            }
        }
        probes.freeBlocks.set(wholeFree);
    }

    /** The allocator's counters in the kernel's counters area (read by `status` and the meta-level manager). */
    private static final class Probes {
        final KernelCountersArea.Counter[] perOrder;
        final KernelCountersArea.Counter freePages;
        final KernelCountersArea.Counter usedPages;
        final KernelCountersArea.Counter blocks;
        final KernelCountersArea.Counter freeBlocks;
        final KernelCountersArea.Counter allocations;
        final KernelCountersArea.Counter frees;
        final KernelCountersArea.Counter failures;

        Probes(KernelCountersArea area, int maxOrder) {
            perOrder = new KernelCountersArea.Counter[maxOrder + 1];
            for (int order = 0; order <= maxOrder; order++) {
                perOrder[order] = area.counter(MemoryCounters.freePagesOfOrder(order));
            }
            freePages = area.counter(MemoryCounters.FREE_PAGES);
            usedPages = area.counter(MemoryCounters.USED_PAGES);
            blocks = area.counter(MemoryCounters.BLOCKS);
            freeBlocks = area.counter(MemoryCounters.FREE_BLOCKS);
            allocations = area.counter(MemoryCounters.ALLOCATIONS);
            frees = area.counter(MemoryCounters.FREES);
            failures = area.counter(MemoryCounters.FAILURES);
        }
    }
}
