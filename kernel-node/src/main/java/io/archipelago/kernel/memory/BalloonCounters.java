package io.archipelago.kernel.memory;

import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;

/**
 * The balloon driver's counters in the kernel's counters area (global memory), where
 * {@code archipelago status} and the meta-level manager read them. Each of K2's three goals shows
 * in one of them: few messages ({@code balloon.wants} against {@code balloon.blocks_granted}),
 * contiguous memory ({@code balloon.blocks_emptied_by_moving}), and reclaims that succeed
 * ({@code balloon.blocks_released} against {@code balloon.blocks_asked}: the reclaim rate).
 * Labels in {@link MemoryCounters}.
 */
final class BalloonCounters {

    final KernelCountersArea.Counter inflateRequests;
    final KernelCountersArea.Counter blocksAsked;
    final KernelCountersArea.Counter blocksReleased;
    final KernelCountersArea.Counter blocksDeflated;
    final KernelCountersArea.Counter wants;
    final KernelCountersArea.Counter wantFailures;
    final KernelCountersArea.Counter nacks;
    final KernelCountersArea.Counter blocksGranted;
    final KernelCountersArea.Counter pagesMoved;
    final KernelCountersArea.Counter blocksEmptiedByMoving;
    final KernelCountersArea.Counter migrationFailures;
    final KernelCountersArea.Counter reclaimableBlocks;
    final KernelCountersArea.Counter ownershipConflicts;

    BalloonCounters(KernelCountersArea area) {
        inflateRequests = area.counter(MemoryCounters.INFLATE_REQUESTS);
        blocksAsked = area.counter(MemoryCounters.BLOCKS_ASKED);
        blocksReleased = area.counter(MemoryCounters.BLOCKS_RELEASED);
        blocksDeflated = area.counter(MemoryCounters.BLOCKS_DEFLATED);
        wants = area.counter(MemoryCounters.WANTS);
        wantFailures = area.counter(MemoryCounters.WANT_FAILURES);
        nacks = area.counter(MemoryCounters.NACKS);
        blocksGranted = area.counter(MemoryCounters.BLOCKS_GRANTED);
        pagesMoved = area.counter(MemoryCounters.PAGES_MOVED);
        blocksEmptiedByMoving = area.counter(MemoryCounters.BLOCKS_EMPTIED_BY_MOVING);
        migrationFailures = area.counter(MemoryCounters.MIGRATION_FAILURES);
        reclaimableBlocks = area.counter(MemoryCounters.RECLAIMABLE_BLOCKS);
        ownershipConflicts = area.counter(MemoryCounters.OWNERSHIP_CONFLICTS);
    }
}
