package io.archipelago.kernel.memory;

import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.OutOfPagesException;
import io.archipelago.typed.alloc.PageAllocator;
import io.archipelago.typed.alloc.PageRun;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's page allocator as its users see it (typed regions, movable pages, task structs):
 * the buddy allocator first, which takes no lock shared with another kernel; only when the
 * kernel's own blocks cannot hold a request, a <i>balloon step</i>: ask the meta-level manager
 * for blocks (one WANT word, one GRANT word back), take them in, and try again. When the
 * manager has nothing to give, a {@link KernelOutOfMemoryException} says so; nothing allocated
 * before is touched.
 */
final class KernelPageAllocator implements PageAllocator {

    /** Balloon steps for one allocation before giving up (each asks for at least what is missing). */
    static final int MAX_STEPS = 3;

    private final String kernelName;
    private final BuddyPageAllocator buddy;
    private final BalloonDriver balloon;
    private final int pageSize;
    private final int pagesPerBlock;
    /** One balloon step at a time in this kernel: the others wait, then find the blocks it brought. */
    private final Object balloonStep = new Object();
    private final KernelCountersArea.Counter steps;
    private final KernelCountersArea.Counter outOfMemory;

    KernelPageAllocator(String kernelName, BuddyPageAllocator buddy, BalloonDriver balloon, KernelCountersArea counters, int pageSize) {
        this.kernelName = kernelName;
        this.buddy = buddy;
        this.balloon = balloon;
        this.pageSize = pageSize;
        this.pagesPerBlock = buddy.pagesPerBlock();
        this.steps = counters.counter(MemoryCounters.ALLOCATION_STEPS);
        this.outOfMemory = counters.counter(MemoryCounters.OUT_OF_MEMORY);
    }

    /** Pages allocated, and whether a balloon step was needed. */
    record Allocated(PageRun run, boolean ballooned) {
    }

    @Override
    public PageRun allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("an allocation is at least one byte, found " + bytes);
        }
        return allocatePages((bytes + pageSize - 1) / pageSize).run();
    }

    Allocated allocatePages(long pages) {
        try {
            return new Allocated(buddy.allocatePages(pages), false);
        } catch (OutOfPagesException local) {
            return withBalloonStep(pages, local);
        }
    }

    private Allocated withBalloonStep(long pages, OutOfPagesException local) {
        synchronized (balloonStep) {
            steps.increment();
            List<String> answers = new ArrayList<>();
            boolean contiguous = pages > pagesPerBlock;
            int blocks = (int) Math.min(Integer.MAX_VALUE, (pages + pagesPerBlock - 1) / pagesPerBlock);
            for (int step = 0; step < MAX_STEPS; step++) {
                try {
                    return new Allocated(buddy.allocatePages(pages), true); // another thread's step may have brought blocks
                } catch (OutOfPagesException stillShort) {
                    local = stillShort;
                }
                BalloonDriver.Answer answer = balloon.requestBlocks(blocks, contiguous);
                answers.add(answer.describe());
                if (answer.refused()) {
                    break;
                }
            }
            try {
                return new Allocated(buddy.allocatePages(pages), true);
            } catch (OutOfPagesException stillShort) {
                local = stillShort;
            }
            outOfMemory.increment();
            throw new KernelOutOfMemoryException("kernel " + kernelName + " is out of memory: " + pages + " page(s) (" + pages * pageSize
                + " bytes" + (contiguous ? ", " + blocks + " adjacent blocks" : "") + ") could not be allocated anywhere. "
                + local.getMessage() + "; the meta-level manager answered " + String.join(", then ", answers)
                + ". Nothing this kernel holds was changed.");
        }
    }

    @Override
    public void free(PageRun run) {
        buddy.free(run);
    }
}
