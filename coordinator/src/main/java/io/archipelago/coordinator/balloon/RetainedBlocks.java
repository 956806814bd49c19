package io.archipelago.coordinator.balloon;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.registry.RegionRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blocks of dead kernels: taken back when a kernel dies, except those in which its registered
 * typed regions live, which become {@link BlockOwnershipTable#retainedFor RETAINED(k)} (other
 * kernels may be using that data in place: the block goes to no other kernel). A retained block
 * leaves that state by a compare-and-set either way: kernel k restarts and adopts it, or its
 * regions are released and it returns to the pool ({@link #releaseUnheld}). Used by the
 * meta-level manager on its thread.
 */
final class RetainedBlocks {

    private static final Logger LOG = LoggerFactory.getLogger(RetainedBlocks.class);

    private final GlobalMemory memory;
    private final BlockOwnershipTable table;
    private final Membership membership;
    private final RegionRegistry regions;
    private final ManagerStats stats;

    RetainedBlocks(GlobalMemory memory, Membership membership, RegionRegistry regions, ManagerStats stats) {
        this.memory = memory;
        this.table = memory.ownership();
        this.membership = membership;
        this.regions = regions;
        this.stats = stats;
    }

    /**
     * Takes back the blocks of a dead kernel: blocks without a registered region of the kernel go
     * to the pool; blocks with one become RETAINED(kernel).
     *
     * @return blocks returned to the pool
     */
    int takeBack(KernelRecord record) {
        int kernel = record.getKernelId();
        // only this incarnation's blocks: a new incarnation of the same id may already hold blocks of its own
        int owner = BlockOwnershipTable.ownerCode(kernel, record.getIncarnation());
        List<long[]> regionsOfKernel = regionExtents(kernel);
        int returned = 0;
        int retained = 0;
        for (int block : table.blocksHeldBy(owner)) {
            if (holdsRegion(block, regionsOfKernel)) {
                if (table.transfer(block, owner, BlockOwnershipTable.retainedFor(kernel))) {
                    retained++;
                }
            } else if (table.transfer(block, owner, BlockOwnershipTable.FREE)) {
                returned++;
            }
        }
        if (returned + retained > 0) {
            stats.deadKernels.incrementAndGet();
            stats.deadBlocksReturned.addAndGet(returned);
            stats.deadBlocksRetained.addAndGet(retained);
            LOG.info("balloon manager: kernel {} died holding {} block(s): {} returned to the pool, {} retained for its {} registered "
                + "region(s)", record.getName(), returned + retained, returned, retained, regionsOfKernel.size());
        }
        return returned;
    }

    /** Returns to the pool every retained block in which no registered region of its kernel lies any more. */
    int releaseUnheld() {
        Map<Integer, List<long[]>> extents = new HashMap<>();
        int released = 0;
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            int owner = table.owner(block);
            if (!BlockOwnershipTable.isRetained(owner)) {
                continue;
            }
            int kernel = BlockOwnershipTable.retainedKernel(owner);
            List<long[]> regionsOfKernel = extents.computeIfAbsent(kernel, this::regionExtents);
            if (!holdsRegion(block, regionsOfKernel) && table.transfer(block, owner, BlockOwnershipTable.FREE)) {
                released++;
                LOG.info("balloon manager: block {} retained for kernel {} holds none of its regions any more: back to the pool", block, kernel);
            }
        }
        stats.retainedReleased.addAndGet(released);
        return released;
    }

    /**
     * Removes a region whose owner kernel is dead and which no live kernel has attached, then
     * returns the blocks retained for it to the pool.
     *
     * @return blocks returned to the pool
     * @throws RegionStillInUseException when its owner lives or a live kernel has it attached
     * @throws java.util.NoSuchElementException when there is no such region
     */
    int releaseRegion(String name) {
        Contract contract = regions.get(name).orElseThrow(() -> new java.util.NoSuchElementException("no region '" + name
            + "' in the registry"));
        int owner = contract.getLocation().getOwnerKernel();
        Optional<KernelRecord> ownerRecord = membership.get(owner);
        if (ownerRecord.isPresent() && alive(ownerRecord.get())) {
            throw new RegionStillInUseException("region '" + name + "' lives in the blocks of kernel " + ownerRecord.get().getName()
                + " (id " + owner + "), which is " + ownerRecord.get().getState() + ": only it frees its pages");
        }
        List<String> attached = new ArrayList<>();
        for (Attachment attachment : contract.getAttachmentsList()) {
            if (attachment.getKernelId() == owner) {
                continue;
            }
            membership.get(attachment.getKernelId()).filter(r -> alive(r) && r.getIncarnation() == attachment.getIncarnation())
                .ifPresent(r -> attached.add(r.getName() + " (id " + r.getKernelId() + ")"));
        }
        if (!attached.isEmpty()) {
            throw new RegionStillInUseException("region '" + name + "' is attached by live kernel(s) " + String.join(", ", attached)
                + ": its data is still in use; it stays, and so do its blocks");
        }
        if (!regions.remove(name, contract)) {
            throw new RegionStillInUseException("region '" + name + "' changed while it was being released; try again");
        }
        LOG.info("balloon manager: region '{}' of dead kernel {} released", name, owner);
        return releaseUnheld();
    }

    private static boolean alive(KernelRecord record) {
        return record.getState() == KernelState.RUNNING || record.getState() == KernelState.BOOTING
            || record.getState() == KernelState.STOPPING;
    }

    /** [first byte, end byte) of every registered region (any state) whose pages a kernel allocated. */
    private List<long[]> regionExtents(int kernel) {
        long pageSize = memory.geometry().pageSize();
        List<long[]> extents = new ArrayList<>();
        for (Contract contract : regions.all()) {
            if (contract.getLocation().getOwnerKernel() == kernel && contract.getLocation().getPages() > 0) {
                long offset = contract.getLocation().getOffset();
                extents.add(new long[] {offset, offset + contract.getLocation().getPages() * pageSize});
            }
        }
        return extents;
    }

    private boolean holdsRegion(int block, List<long[]> extents) {
        long start = memory.geometry().blockOffset(block);
        long end = start + memory.geometry().blockSize();
        for (long[] extent : extents) {
            if (extent[0] < end && extent[1] > start) {
                return true;
            }
        }
        return false;
    }
}
