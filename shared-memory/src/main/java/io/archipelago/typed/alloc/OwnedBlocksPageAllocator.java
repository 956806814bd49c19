package io.archipelago.typed.alloc;

import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;

/**
 * A simple per-kernel page allocator: first fit over the pages of the page blocks the kernel
 * owns (in the block ownership table), runs spanning adjacent owned blocks. Which pages are in
 * use is kept in this process and rebuilt, when a kernel restarts, from the regions the
 * registry says live in its blocks. Only the owning kernel allocates from its blocks, so no
 * cross-process locking is needed. (To be replaced by the buddy allocator of the
 * independent-services issue.)
 */
public final class OwnedBlocksPageAllocator implements PageAllocator {

    private final GlobalMemory memory;
    private final int kernelId;
    private final BitSet used;
    private final int pageSize;
    private final int pagesPerBlock;

    /**
     * @param inUse pages already holding regions of this kernel (from the registry)
     */
    public OwnedBlocksPageAllocator(GlobalMemory memory, int kernelId, Collection<PageRun> inUse) {
        this.memory = memory;
        this.kernelId = kernelId;
        MemoryGeometry geometry = memory.geometry();
        this.pageSize = geometry.pageSize();
        this.pagesPerBlock = geometry.pagesPerBlock();
        this.used = new BitSet((int) geometry.pageCount());
        for (PageRun run : inUse) {
            used.set((int) run.firstPage(), (int) (run.firstPage() + run.pages()));
        }
    }

    @Override
    public synchronized PageRun allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("an allocation is at least one byte, found " + bytes);
        }
        long needed = (bytes + pageSize - 1) / pageSize;
        BlockOwnershipTable ownership = memory.ownership();
        List<Integer> owned = ownership.blocksOwnedBy(kernelId);
        long runStart = -1;
        long runLength = 0;
        long largest = 0;
        long free = 0;
        int previousBlock = -2;
        for (int block : owned) {
            if (block != previousBlock + 1) {
                runStart = -1;
                runLength = 0;
            }
            previousBlock = block;
            long firstPage = (long) block * pagesPerBlock;
            for (long page = firstPage; page < firstPage + pagesPerBlock; page++) {
                if (used.get((int) page)) {
                    runStart = -1;
                    runLength = 0;
                    continue;
                }
                free++;
                if (runStart < 0) {
                    runStart = page;
                }
                runLength++;
                largest = Math.max(largest, runLength);
                if (runLength == needed) {
                    used.set((int) runStart, (int) (runStart + needed));
                    return new PageRun(runStart * pageSize, needed, pageSize);
                }
            }
        }
        throw new OutOfPagesException("kernel " + kernelId + " has no run of " + needed + " free page(s) (" + bytes + " bytes) in its "
            + owned.size() + " page block(s): " + free + " page(s) free, the longest run " + largest
            + "; more blocks come from the balloon driver");
    }

    @Override
    public synchronized void free(PageRun run) {
        used.clear((int) run.firstPage(), (int) (run.firstPage() + run.pages()));
    }

    /** Pages in use by this kernel's regions. */
    public synchronized long usedPages() {
        return used.cardinality();
    }
}
