package io.archipelago.coordinator.balloon;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One kernel's memory-pressure probes, as the meta-level manager reads them from the kernel's
 * counters area in global memory, without asking the kernel (K2 §3.2).
 *
 * @param reclaimableBlocks blocks its balloon could give back now
 * @param blocksAsked       blocks INFLATE requests asked of it, ever; with {@code blocksReleased}: its reclaim rate
 */
record KernelProbes(int kernelId, String name, long freePages, long usedPages, long blocks, long freeBlocks, long reclaimableBlocks,
                    long allocations, long failures, long blocksAsked, long blocksReleased) {

    /** The probes of a kernel whose counters area belongs to the incarnation in its membership record; empty otherwise. */
    static Optional<KernelProbes> read(KernelCountersArea area, KernelRecord record) {
        if (area.incarnation() != record.getIncarnation()) {
            return Optional.empty();
        }
        Map<String, Long> values = area.read().stream().collect(Collectors.toMap(KernelCountersArea.CounterValue::label,
            KernelCountersArea.CounterValue::value, (a, b) -> a));
        Function<String, Long> value = label -> values.getOrDefault(label, 0L);
        if (!values.containsKey(MemoryCounters.BLOCKS)) {
            return Optional.empty(); // its page allocator has not started yet
        }
        return Optional.of(new KernelProbes(record.getKernelId(), record.getName(), value.apply(MemoryCounters.FREE_PAGES),
            value.apply(MemoryCounters.USED_PAGES), value.apply(MemoryCounters.BLOCKS), value.apply(MemoryCounters.FREE_BLOCKS),
            value.apply(MemoryCounters.RECLAIMABLE_BLOCKS), value.apply(MemoryCounters.ALLOCATIONS), value.apply(MemoryCounters.FAILURES),
            value.apply(MemoryCounters.BLOCKS_ASKED), value.apply(MemoryCounters.BLOCKS_RELEASED)));
    }

    /** Blocks released per block asked so far; 1 for a kernel never asked (no evidence against it). */
    double reclaimRate() {
        return blocksAsked == 0 ? 1.0 : (double) blocksReleased / blocksAsked;
    }

    /** Blocks it could give while keeping {@code keep} wholly free ones. */
    long spare(int keep) {
        return Math.max(0, reclaimableBlocks - keep);
    }
}
