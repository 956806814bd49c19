package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.KernelMemoryInfo;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.registry.RegionRegistry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The invariant of block ownership, checked against what every kernel's page allocator really
 * holds: no block is ever owned by two kernels. The ownership table cannot say two owners (one
 * entry per block, changed by compare-and-set), so the scan checks what could go wrong around
 * it:
 *
 * <ol>
 *   <li>every block in a kernel's allocator is that kernel's in the table (a block the balloon
 *   gave away but the allocator kept would be used by two kernels);</li>
 *   <li>no block is in two kernels' allocators;</li>
 *   <li>no block is owned by a kernel that is dead or gone (its blocks were taken back);</li>
 *   <li>every registered typed region lies in blocks owned by, or retained for, the kernel that
 *   allocated it (its data is safe from reuse), and no running kernel has blocks retained for it.</li>
 * </ol>
 * Blocks that break 1 or 2 are counted as {@code double_owned_blocks}. Blocks owned by a running kernel that
 * its allocator has not taken in yet (a grant on its way), and retained blocks whose regions
 * were just released, are counted as in flight, not as violations.
 */
public final class BlockInvariantScan {

    private static final int ATTEMPTS = 10;

    private BlockInvariantScan() {
    }

    /** What a scan found. */
    public record Report(int doubleOwnedBlocks, List<String> violations, int inFlight, Map<String, Integer> census, boolean stable) {
        public boolean passed() {
            return violations.isEmpty();
        }

        @Override
        public String toString() {
            return (passed() ? "invariant holds" : violations.size() + " violation(s): " + String.join("; ", violations)) + " (census "
                + census + ", " + inFlight + " in flight" + (stable ? "" : ", snapshot not stable") + ")";
        }
    }

    /**
     * Scans a running cluster: asks every RUNNING kernel which blocks its allocator holds, and
     * checks them against the ownership table and the region registry. Balloon moves may run
     * meanwhile: the scan retries until the table and the kernels' block counts were the same
     * before and after it asked (at most 10 times).
     */
    public static Report scan(GlobalMemory memory, Membership membership, RegionRegistry regions, KernelMemoryStubs channels) {
        Report report = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long[] before = fingerprint(memory, membership);
            List<KernelRecord> records = membership.all();
            Map<Integer, List<Integer>> allocators = new TreeMap<>();
            for (KernelRecord record : records) {
                if (record.getState() != KernelState.RUNNING || record.getControl().getHost().isEmpty()) {
                    continue;
                }
                KernelMemoryInfo info = channels.memory(record.getControl().getHost() + ":" + record.getControl().getPort())
                    .withDeadlineAfter(10, TimeUnit.SECONDS).memoryInfo(MemoryInfoRequest.getDefaultInstance());
                allocators.put(record.getKernelId(), info.getBlocksList());
            }
            List<Contract> contracts = regions.all();
            boolean stable = Arrays.equals(before, fingerprint(memory, membership));
            report = check(memory, records, contracts, allocators, stable);
            if (stable) {
                return report;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return report;
    }

    /** Checks one snapshot (see the class comment). */
    public static Report check(GlobalMemory memory, List<KernelRecord> records, List<Contract> contracts,
                               Map<Integer, List<Integer>> allocators, boolean stable) {
        BlockOwnershipTable table = memory.ownership();
        int[] owners = new int[table.blockCount()];
        Map<String, Integer> census = new TreeMap<>();
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            owners[block] = table.owner(block);
            census.merge(BlockOwnershipTable.describeOwner(owners[block]), 1, Integer::sum);
        }
        Map<Integer, KernelRecord> byId = new HashMap<>();
        records.forEach(r -> byId.put(r.getKernelId(), r));
        List<String> violations = new ArrayList<>();
        int doubleOwned = 0;
        int inFlight = 0;
        Map<Integer, List<Integer>> holders = new TreeMap<>();
        allocators.forEach((kernel, blocks) -> blocks.forEach(block -> holders.computeIfAbsent(block, b -> new ArrayList<>()).add(kernel)));
        Map<Integer, Integer> heldBy = new HashMap<>();
        for (Map.Entry<Integer, List<Integer>> held : holders.entrySet()) {
            int block = held.getKey();
            List<Integer> kernels = held.getValue().stream().sorted().toList();
            heldBy.put(block, kernels.getFirst());
            boolean doubled = false;
            if (kernels.size() > 1) {
                doubled = true;
                violations.add("block " + block + " is in the allocators of kernels " + kernels);
            }
            for (int kernel : kernels) {
                if (owners[block] != kernel) {
                    doubled = true;
                    violations.add("block " + block + " is in kernel " + kernel + "'s allocator but the ownership table says "
                        + BlockOwnershipTable.describeOwner(owners[block]));
                }
            }
            if (doubled) {
                doubleOwned++;
            }
        }
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            int owner = owners[block];
            if (owner >= 0) {
                KernelRecord record = byId.get(owner);
                boolean live = record != null && (record.getState() == KernelState.RUNNING || record.getState() == KernelState.BOOTING
                    || record.getState() == KernelState.STOPPING);
                if (!live) {
                    violations.add("block " + block + " is owned by kernel " + owner + ", which is " + (record == null ? "gone"
                        : record.getState()) + ": its blocks should have been taken back");
                } else if (allocators.containsKey(owner) && !heldBy.containsKey(block)) {
                    inFlight++;
                }
            } else if (BlockOwnershipTable.isRetained(owner)) {
                int kernel = BlockOwnershipTable.retainedKernel(owner);
                KernelRecord record = byId.get(kernel);
                if (record != null && record.getState() == KernelState.RUNNING) {
                    violations.add("block " + block + " is retained for kernel " + kernel + ", which runs and should have adopted it");
                }
            }
        }
        long pageSize = memory.geometry().pageSize();
        int retainedWithoutRegion = 0;
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            if (!BlockOwnershipTable.isRetained(owners[block])) {
                continue;
            }
            int kernel = BlockOwnershipTable.retainedKernel(owners[block]);
            long start = memory.geometry().blockOffset(block);
            long end = start + memory.geometry().blockSize();
            boolean holds = contracts.stream().anyMatch(c -> c.getLocation().getOwnerKernel() == kernel && c.getLocation().getPages() > 0
                && c.getLocation().getOffset() < end && c.getLocation().getOffset() + c.getLocation().getPages() * pageSize > start);
            if (!holds) {
                retainedWithoutRegion++;
            }
        }
        inFlight += retainedWithoutRegion;
        for (Contract contract : contracts) {
            if (contract.getLocation().getPages() <= 0) {
                continue;
            }
            int kernel = contract.getLocation().getOwnerKernel();
            long first = contract.getLocation().getOffset() / memory.geometry().blockSize();
            long last = (contract.getLocation().getOffset() + contract.getLocation().getPages() * pageSize - 1) / memory.geometry().blockSize();
            for (long block = first; block <= last; block++) {
                int owner = owners[(int) block];
                if (owner != kernel && owner != BlockOwnershipTable.retainedFor(kernel)) {
                    violations.add("region '" + contract.getName() + "' of kernel " + kernel + " lies in block " + block + ", which is "
                        + BlockOwnershipTable.describeOwner(owner) + ": its data could be overwritten");
                }
            }
        }
        return new Report(doubleOwned, List.copyOf(violations), inFlight, census, stable);
    }

    /** The ownership of every block and each kernel's published block count: changes when a balloon move happens. */
    private static long[] fingerprint(GlobalMemory memory, Membership membership) {
        BlockOwnershipTable table = memory.ownership();
        long[] print = new long[table.blockCount() + memory.geometry().maxKernels()];
        for (int block = 0; block < table.blockCount(); block++) {
            print[block] = table.owner(block);
        }
        for (KernelRecord record : membership.all()) {
            print[table.blockCount() + record.getKernelId()] = memory.countersArea(record.getKernelId())
                .value(io.archipelago.memory.MemoryCounters.BLOCKS) * 31 + record.getState().getNumber();
        }
        return print;
    }
}
