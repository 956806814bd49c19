package io.archipelago.coordinator.balloon;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import java.util.Optional;

/**
 * One kernel's memory-pressure probes, as the meta-level manager reads them from the kernel's
 * counters area in global memory, without asking the kernel (K2 §3.2).
 *
 * @param reclaimableBlocks blocks its balloon could give back now
 * @param blocksAsked       blocks INFLATE requests asked of it, ever; with {@code blocksReleased}: its reclaim rate
 */
record KernelProbes(int kernelId, String name, long freePages, long usedPages, long blocks, long freeBlocks, long reclaimableBlocks,
                    long allocations, long frees, long failures, long blocksAsked, long blocksReleased) {

    /** Changes whenever the kernel's allocator does anything (so a donor that gave nothing is asked again only then). */
    long activity() {
        return java.util.Objects.hash(reclaimableBlocks, allocations, frees, blocks);
    }

    /** Blocks released per block asked so far; 1 for a kernel never asked (no evidence against it). */
    double reclaimRate() {
        return blocksAsked == 0 ? 1.0 : (double) blocksReleased / blocksAsked;
    }

    /** Blocks it could give while keeping {@code keep} wholly free ones. */
    long spare(int keep) {
        return Math.max(0, reclaimableBlocks - keep);
    }

    /**
     * Where one incarnation of a kernel publishes its probes: the counters, found once by label
     * (a lookup never allocates a counter in another kernel's area), then read with one volatile
     * load each.
     */
    record Source(long incarnation, KernelCountersArea.Counter freePages, KernelCountersArea.Counter usedPages,
                  KernelCountersArea.Counter blocks, KernelCountersArea.Counter freeBlocks, KernelCountersArea.Counter reclaimableBlocks,
                  KernelCountersArea.Counter allocations, KernelCountersArea.Counter frees, KernelCountersArea.Counter failures,
                  KernelCountersArea.Counter blocksAsked,
                  KernelCountersArea.Counter blocksReleased) {

        /** The probes of the incarnation in {@code record}, once its memory service has published them all. */
        static Optional<Source> find(KernelCountersArea area, KernelRecord record) {
            if (area.incarnation() != record.getIncarnation()) {
                return Optional.empty();
            }
            Optional<KernelCountersArea.Counter> free = area.find(MemoryCounters.FREE_PAGES);
            Optional<KernelCountersArea.Counter> used = area.find(MemoryCounters.USED_PAGES);
            Optional<KernelCountersArea.Counter> blocks = area.find(MemoryCounters.BLOCKS);
            Optional<KernelCountersArea.Counter> freeBlocks = area.find(MemoryCounters.FREE_BLOCKS);
            Optional<KernelCountersArea.Counter> reclaimable = area.find(MemoryCounters.RECLAIMABLE_BLOCKS);
            Optional<KernelCountersArea.Counter> allocations = area.find(MemoryCounters.ALLOCATIONS);
            Optional<KernelCountersArea.Counter> frees = area.find(MemoryCounters.FREES);
            Optional<KernelCountersArea.Counter> failures = area.find(MemoryCounters.FAILURES);
            Optional<KernelCountersArea.Counter> asked = area.find(MemoryCounters.BLOCKS_ASKED);
            Optional<KernelCountersArea.Counter> released = area.find(MemoryCounters.BLOCKS_RELEASED);
            if (free.isEmpty() || used.isEmpty() || blocks.isEmpty() || freeBlocks.isEmpty() || reclaimable.isEmpty() || allocations.isEmpty()
                || frees.isEmpty() || failures.isEmpty() || asked.isEmpty() || released.isEmpty()) {
                return Optional.empty(); // its memory service has not started yet
            }
            return Optional.of(new Source(record.getIncarnation(), free.get(), used.get(), blocks.get(), freeBlocks.get(), reclaimable.get(),
                allocations.get(), frees.get(), failures.get(), asked.get(), released.get()));
        }

        KernelProbes read(KernelRecord record) {
            return new KernelProbes(record.getKernelId(), record.getName(), freePages.get(), usedPages.get(), blocks.get(), freeBlocks.get(),
                reclaimableBlocks.get(), allocations.get(), frees.get(), failures.get(), blocksAsked.get(), blocksReleased.get());
        }
    }
}
