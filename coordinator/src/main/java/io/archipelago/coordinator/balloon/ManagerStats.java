package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.memory.BlockOwnershipTable;
import java.util.concurrent.atomic.AtomicLong;

/** The meta-level manager's figures since it started ({@code MemoryManagerStatus} in control.proto). */
final class ManagerStats {
    final AtomicLong wants = new AtomicLong();
    final AtomicLong nacks = new AtomicLong();
    final AtomicLong blocksGranted = new AtomicLong();
    final AtomicLong inflateRequests = new AtomicLong();
    final AtomicLong blocksAsked = new AtomicLong();
    final AtomicLong blocksReleased = new AtomicLong();
    final AtomicLong deflateRequests = new AtomicLong();
    final AtomicLong words = new AtomicLong();
    final AtomicLong deadKernels = new AtomicLong();
    final AtomicLong deadBlocksReturned = new AtomicLong();
    final AtomicLong deadBlocksRetained = new AtomicLong();
    final AtomicLong retainedReleased = new AtomicLong();
    final AtomicLong ticks = new AtomicLong();
    final AtomicLong pressureMoves = new AtomicLong();
    final AtomicLong idleReclaims = new AtomicLong();

    MemoryManagerStatus snapshot(BlockOwnershipTable table) {
        return MemoryManagerStatus.newBuilder()
            .setWants(wants.get()).setNacks(nacks.get()).setBlocksGranted(blocksGranted.get())
            .setInflateRequests(inflateRequests.get()).setBlocksAsked(blocksAsked.get()).setBlocksReleased(blocksReleased.get())
            .setDeflateRequests(deflateRequests.get()).setWords(words.get())
            .setDeadKernels(deadKernels.get()).setDeadBlocksReturned(deadBlocksReturned.get())
            .setDeadBlocksRetained(deadBlocksRetained.get()).setRetainedBlocksReleased(retainedReleased.get())
            .setPoolFreeBlocks(table.freeBlocks()).setPoolLongestFreeRun(table.longestFreeRun())
            .setTicks(ticks.get()).setPressureMoves(pressureMoves.get()).setIdleReclaims(idleReclaims.get())
            .build();
    }
}
