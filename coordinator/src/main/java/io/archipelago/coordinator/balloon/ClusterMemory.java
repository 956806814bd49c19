package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.BlockUse;
import io.archipelago.control.proto.KernelMemoryInfo;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** The memory of a whole cluster as its kernels' allocators and the ownership table see it (for the bench, the demo and tests). */
public final class ClusterMemory {

    private ClusterMemory() {
    }

    /** What every RUNNING kernel's page allocator holds, by kernel id (asked over the control API). */
    public static Map<Integer, KernelMemoryInfo> collect(Membership membership, KernelMemoryStubs channels) {
        Map<Integer, KernelMemoryInfo> infos = new TreeMap<>();
        for (KernelRecord record : membership.all()) {
            if (record.getState() == KernelState.RUNNING && !record.getControl().getHost().isEmpty()) {
                infos.put(record.getKernelId(), channels.memory(record.getControl().getHost() + ":" + record.getControl().getPort())
                    .withDeadlineAfter(10, TimeUnit.SECONDS).memoryInfo(MemoryInfoRequest.getDefaultInstance()));
            }
        }
        return infos;
    }

    /**
     * The longest run of adjacent blocks that are free for allocation, in blocks: each either in
     * the pool or wholly free in its owner's allocator (K2's "contiguous free memory").
     */
    public static int longestFreeRun(GlobalMemory memory, Collection<KernelMemoryInfo> kernels) {
        BlockOwnershipTable table = memory.ownership();
        boolean[] free = new boolean[table.blockCount()];
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            free[block] = table.owner(block) == BlockOwnershipTable.FREE;
        }
        for (KernelMemoryInfo kernel : kernels) {
            for (BlockUse use : kernel.getBlockUseList()) {
                if (use.getUsedPages() == 0) {
                    free[use.getBlock()] = true;
                }
            }
        }
        int longest = 0;
        int run = 0;
        for (boolean isFree : free) {
            run = isFree ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /** Who owns each data block, one character per block: the kernel id in base 36, '.' the pool, 'R' retained. */
    public static String layout(GlobalMemory memory) {
        BlockOwnershipTable table = memory.ownership();
        StringBuilder layout = new StringBuilder();
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            int owner = table.owner(block);
            layout.append(owner >= 0 ? owner < 36 ? Character.forDigit(owner, 36) : '#' : owner == BlockOwnershipTable.FREE ? '.' : 'R');
        }
        return layout.toString();
    }
}
