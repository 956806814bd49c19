package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.CreateRegionRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub;
import io.archipelago.control.proto.KernelMemoryInfo;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.control.proto.PageAllocation;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.control.proto.TypedMemoryControlGrpc.TypedMemoryControlBlockingStub;
import io.archipelago.control.proto.VerifyPagesReply;
import io.archipelago.control.proto.VerifyPagesRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.balloon.BlockInvariantScan;
import io.archipelago.coordinator.config.BalloonPolicy;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * K2's independent memory services across real kernel processes: each kernel's buddy allocator,
 * its balloon driver, and the coordinator's meta-level manager moving page blocks between them
 * over the mailbox, with the ownership table in global memory as the single truth. After every
 * scenario the block invariant scan asks every kernel which blocks its allocator holds and checks
 * that no block is owned by two kernels.
 */
@Timeout(300)
class BalloonIT {

    /** 48 MiB of 1 MiB blocks of 4 KiB pages: 47 data blocks, 23 for each of K2's two kernels, one in the pool. */
    private static final MemoryGeometry GEOMETRY = new MemoryGeometry(48L << 20, 4096, 1 << 20, 8);
    private static final int PAGES_PER_BLOCK = 256;

    /**
     * K2's two kernels (x86_64 and armv7), in one coherence domain here so that a typed region of one can be attached by the other
     * with hardware coherence: these tests are about blocks, not the DSM.
     */
    private static ClusterConfig config(BalloonPolicy policy) {
        return ClusterConfig.k2Default().withIslands(List.of(
                new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
                new IslandConfig("weak", "armv7", 1, 0.25, "a", "cortex-m3", 1)))
            .withMemory(GEOMETRY).withBalloon(policy);
    }

    private static KernelMemoryBlockingStub memory(MiniCluster cluster, KernelChannels channels, String kernel) {
        return channels.memory(cluster.kernel(kernel).getControl()).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    private static AllocatePagesReply allocate(MiniCluster cluster, KernelChannels channels, String kernel, long pages, int count) {
        return memory(cluster, channels, kernel).allocatePages(AllocatePagesRequest.newBuilder().setPages(pages).setCount(count).build());
    }

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return counter(cluster.kernel(kernel), label);
    }

    private static long counter(KernelStatus kernel, String label) {
        return kernel.getCountersList().stream().filter(c -> c.getLabel().equals(label)).mapToLong(c -> c.getValue()).findFirst().orElse(0);
    }

    private static BlockInvariantScan.Report scan(MiniCluster cluster, KernelChannels channels) {
        return BlockInvariantScan.scan(cluster.coordinator().memory(), cluster.coordinator().membership(), cluster.coordinator().regions(),
            channels);
    }

    private static void assertInvariant(MiniCluster cluster, KernelChannels channels) {
        BlockInvariantScan.Report report = scan(cluster, channels);
        assertThat(report.violations()).as("block invariant: %s\n%s", report, cluster.describe()).isEmpty();
        assertThat(report.doubleOwnedBlocks()).isZero();
        assertThat(report.stable()).as("the scan saw a quiet cluster").isTrue();
    }

    private static void assertIntact(MiniCluster cluster, KernelChannels channels, String kernel) {
        VerifyPagesReply verified = memory(cluster, channels, kernel).verifyPages(VerifyPagesRequest.getDefaultInstance());
        assertThat(verified.getCorruptList()).as("%s's movable pages after the balloon moved blocks", kernel).isEmpty();
    }

    private static final String VIEW = "io.archipelago.kernel.typed.views.TaskStruct";

    private static long pid(TypedMemoryControlBlockingStub kernel) {
        return kernel.readFields(FieldsRequest.newBuilder().setRegion("shared.tasks").setView(VIEW).setIndex(1)
            .addFields(FieldValue.newBuilder().setPath("pid")).build()).getFields(0).getInteger();
    }

    @Test
    void aKernelAllocatesFarBeyondItsShareBecauseBlocksMoveToItFromAnIdleKernel() {
        try (MiniCluster cluster = MiniCluster.start(config(BalloonPolicy.defaults()), "balloon-grow");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "balloon-it")) {
            GlobalMemory global = cluster.coordinator().memory();
            int share = global.initialShare();
            int strongId = cluster.kernelId("strong-0");
            int weakId = cluster.kernelId("weak-0");
            assertThat(global.ownership().blocksOwnedBy(strongId)).hasSize(share);
            assertInvariant(cluster, channels);

            // 1.8 times its share, 64 pages (256 KiB) at a time
            int allocations = share * PAGES_PER_BLOCK * 9 / 5 / 64;
            AllocatePagesReply reply = allocate(cluster, channels, "strong-0", 64, allocations);
            assertThat(reply.getOutOfMemory()).isEmpty();
            assertThat(reply.getAllocationsCount()).isEqualTo(allocations);
            long ballooned = reply.getAllocationsList().stream().filter(PageAllocation::getBalloonStep).count();

            int strongBlocks = global.ownership().blocksOwnedBy(strongId).size();
            int weakBlocks = global.ownership().blocksOwnedBy(weakId).size();
            assertThat(strongBlocks).as("strong-0 holds far more than its share of %d blocks", share).isGreaterThanOrEqualTo(share * 9 / 5);
            assertThat(weakBlocks).as("weak-0 gave blocks back").isLessThan(share);
            assertThat(weakBlocks).as("weak-0 keeps the free blocks the policy says").isGreaterThanOrEqualTo(
                BalloonPolicy.defaults().keepFreeBlocks());

            MemoryManagerStatus manager = cluster.coordinator().manager().status();
            assertThat(manager.getBlocksGranted()).isGreaterThanOrEqualTo(strongBlocks - share);
            assertThat(manager.getBlocksReleased()).isEqualTo(share - weakBlocks);
            // few messages: one request and one answer move a batch of blocks
            double wordsPerBlock = (double) manager.getWords() / manager.getBlocksGranted();
            assertThat(wordsPerBlock).as("mailbox words per block moved (%s)", manager).isLessThanOrEqualTo(2.0);
            assertThat(counter(cluster, "strong-0", MemoryCounters.WANTS) + manager.getDeflateRequests())
                .as("batched: far fewer requests than blocks").isLessThan(strongBlocks - share);
            assertThat(ballooned).as("allocations that needed a balloon step").isEqualTo(counter(cluster, "strong-0",
                MemoryCounters.ALLOCATION_STEPS));
            assertThat(counter(cluster, "strong-0", MemoryCounters.BLOCKS)).isEqualTo(strongBlocks);
            assertThat(counter(cluster, "weak-0", MemoryCounters.BLOCKS_RELEASED)).isEqualTo(share - weakBlocks);

            assertIntact(cluster, channels, "strong-0");
            assertInvariant(cluster, channels);

            // freed, the memory can go back to an idle kernel's neighbour: free everything and the blocks are whole again
            memory(cluster, channels, "strong-0").freePages(FreePagesRequest.newBuilder().setAll(true).build());
            KernelMemoryInfo info = memory(cluster, channels, "strong-0").memoryInfo(MemoryInfoRequest.getDefaultInstance());
            assertThat(info.getUsedPages()).isZero();
            assertThat(info.getFreeChunks(info.getFreeChunksCount() - 1)).as("every block coalesced back to one free chunk")
                .isEqualTo(info.getBlocksCount());
            assertInvariant(cluster, channels);
        }
    }

    @Test
    void nearlyFreeBlocksAreEmptiedByMovingTheirMovablePagesAndNothingIsLost() {
        // no moves ahead of pressure: weak-0 filling its blocks must not bring it strong-0's
        try (MiniCluster cluster = MiniCluster.start(config(BalloonPolicy.defaults().withPressureFreePages(0)), "balloon-move");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "balloon-it")) {
            GlobalMemory global = cluster.coordinator().memory();
            int share = global.initialShare();
            int weakId = cluster.kernelId("weak-0");

            // weak-0 fills its blocks with 32-page allocations, then frees 7 in 8: every block keeps 32 movable pages in use
            AllocatePagesReply filled = allocate(cluster, channels, "weak-0", 32, share * PAGES_PER_BLOCK / 32);
            assertThat(filled.getOutOfMemory()).isEmpty();
            List<Long> toFree = new ArrayList<>();
            for (int i = 0; i < filled.getAllocationsCount(); i++) {
                if (i % 8 != 0) {
                    toFree.add(filled.getAllocations(i).getHandle());
                }
            }
            memory(cluster, channels, "weak-0").freePages(FreePagesRequest.newBuilder().addAllHandles(toFree).build());
            KernelMemoryInfo before = memory(cluster, channels, "weak-0").memoryInfo(MemoryInfoRequest.getDefaultInstance());
            assertThat(before.getBlockUseList()).as("no wholly free block left in weak-0").allSatisfy(use ->
                assertThat(use.getUsedPages()).isEqualTo(32));

            // strong-0 needs 8 blocks more than it has: only moving weak-0's pages can free blocks
            AllocatePagesReply grown = allocate(cluster, channels, "strong-0", 128, (share + 8) * 2);
            assertThat(grown.getOutOfMemory()).isEmpty();

            assertThat(counter(cluster, "weak-0", MemoryCounters.PAGES_MOVED)).isPositive();
            // its share and the pool's one block leave 7 to come from weak-0
            assertThat(counter(cluster, "weak-0", MemoryCounters.BLOCKS_EMPTIED_BY_MOVING)).isGreaterThanOrEqualTo(7);
            assertThat(global.ownership().blocksOwnedBy(weakId).size()).isLessThanOrEqualTo(share - 7);
            MemoryManagerStatus manager = cluster.coordinator().manager().status();
            assertThat(manager.getBlocksReleased()).as("reclaim success: %s", manager).isEqualTo(manager.getBlocksAsked());
            assertIntact(cluster, channels, "weak-0");
            assertIntact(cluster, channels, "strong-0");
            assertInvariant(cluster, channels);
        }
    }

    @Test
    void aKernelWhoseAllocationCannotBeSatisfiedAnywhereGetsAClearOutOfMemoryErrorAndKeepsWhatItHolds() {
        try (MiniCluster cluster = MiniCluster.start(config(BalloonPolicy.defaults().withPressureFreePages(0)), "balloon-oom");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "balloon-it")) {
            GlobalMemory global = cluster.coordinator().memory();
            int share = global.initialShare();
            // weak-0 uses all of its memory: nothing can be reclaimed from it (no free page to move anything to)
            AllocatePagesReply full = allocate(cluster, channels, "weak-0", PAGES_PER_BLOCK, share);
            assertThat(full.getOutOfMemory()).isEmpty();

            AllocatePagesReply greedy = allocate(cluster, channels, "strong-0", PAGES_PER_BLOCK, share * 3);
            assertThat(greedy.getOutOfMemory()).as("strong-0 ran out").contains("kernel strong-0 is out of memory")
                .contains("256 page(s)").contains("NACK NO_MEMORY").contains("Nothing this kernel holds was changed");
            int got = greedy.getAllocationsCount();
            int free = global.geometry().dataBlocks() - 2 * share;
            assertThat(got).as("its own blocks and the pool's, nothing of weak-0's").isEqualTo(share + free);
            assertThat(global.ownership().freeBlocks()).isZero();
            assertThat(counter(cluster, "strong-0", MemoryCounters.OUT_OF_MEMORY)).isEqualTo(1);

            // nothing it holds was touched, and it keeps working
            assertIntact(cluster, channels, "strong-0");
            assertIntact(cluster, channels, "weak-0");
            memory(cluster, channels, "strong-0").freePages(FreePagesRequest.newBuilder().addHandles(greedy.getAllocations(0).getHandle())
                .build());
            assertThat(allocate(cluster, channels, "strong-0", 16, 16).getOutOfMemory()).isEmpty();
            assertInvariant(cluster, channels);
        }
    }

    @Test
    void aKilledKernelsBlocksGoBackToThePoolExceptThoseItsRegionsLiveIn() {
        String blob = "struct blob { long long words[512]; };";
        try (MiniCluster cluster = MiniCluster.start(config(BalloonPolicy.defaults()), "balloon-kill");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "balloon-it");
             TypedSharedMemoryIT.Kernels typed = new TypedSharedMemoryIT.Kernels(cluster)) {
            GlobalMemory global = cluster.coordinator().memory();
            BlockOwnershipTable table = global.ownership();
            int share = global.initialShare();
            int weakId = cluster.kernelId("weak-0");
            int retained = BlockOwnershipTable.retainedFor(weakId);

            // weak-0: a small region strong-0 attaches, a 300-page region of its own (two adjacent blocks), movable pages
            RegionInfo shared = typed.typed("weak-0").createRegion(CreateRegionRequest.newBuilder().setName("shared.tasks").setView(VIEW)
                .setCount(2).build());
            RegionInfo big = typed.typed("weak-0").createRegion(CreateRegionRequest.newBuilder().setName("weak.big").setHeader(blob)
                .setType("blob").setCount(300).build());
            typed.typed("weak-0").writeFields(FieldsRequest.newBuilder().setRegion("shared.tasks").setView(VIEW).setIndex(1)
                .addFields(FieldValue.newBuilder().setPath("pid").setInteger(4242)).build());
            assertThat(allocate(cluster, channels, "weak-0", 64, 20).getOutOfMemory()).isEmpty();
            assertInvariant(cluster, channels);
            int sharedBlock = (int) (shared.getGlobalAddress() / GEOMETRY.blockSize());
            int bigFirst = (int) (big.getGlobalAddress() / GEOMETRY.blockSize());

            cluster.kill9("weak-0");
            cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(5));

            // blocks holding its registered regions are retained for it, every other one is back in the pool
            assertThat(table.owner(sharedBlock)).isEqualTo(retained);
            assertThat(table.owner(bigFirst)).isEqualTo(retained);
            assertThat(table.owner(bigFirst + 1)).isEqualTo(retained);
            assertThat(table.blocksOwnedBy(weakId)).isEmpty();
            int retainedBlocks = table.blocksOwnedBy(retained).size();
            assertThat(retainedBlocks).isBetween(2, 3);
            assertThat(table.freeBlocks()).isEqualTo(GEOMETRY.dataBlocks() - share - retainedBlocks);
            MemoryManagerStatus manager = cluster.coordinator().manager().status();
            assertThat(manager.getDeadBlocksReturned()).isEqualTo(share - retainedBlocks);
            assertThat(manager.getDeadBlocksRetained()).isEqualTo(retainedBlocks);
            assertInvariant(cluster, channels);
            // the pool's blocks serve the survivor; the retained ones are handed to nobody
            AllocatePagesReply grown = allocate(cluster, channels, "strong-0", PAGES_PER_BLOCK, GEOMETRY.dataBlocks());
            assertThat(grown.getOutOfMemory()).contains("out of memory");
            assertThat(table.blocksOwnedBy(retained)).hasSize(retainedBlocks);
            assertInvariant(cluster, channels);
            memory(cluster, channels, "strong-0").freePages(FreePagesRequest.newBuilder().setAll(true).build());

            // a region a live kernel has attached stays; one nobody uses is released with its blocks
            assertThat(pid(typed.typed("strong-0"))).as("the dead kernel's region is intact").isEqualTo(4242);
            assertThatThrownBy(() -> cluster.coordinator().manager().releaseRegion("shared.tasks"))
                .hasMessageContaining("attached by live kernel(s) strong-0");
            assertThat(cluster.coordinator().manager().releaseRegion("weak.big")).isGreaterThanOrEqualTo(1);
            assertThat(table.owner(bigFirst + 1)).isEqualTo(BlockOwnershipTable.FREE);
            assertThat(table.owner(sharedBlock)).isEqualTo(retained);
            assertInvariant(cluster, channels);

            // restarted, it adopts the block of its surviving region and never hands those pages out again
            cluster.restart("weak-0");
            assertThat(table.owner(sharedBlock)).isEqualTo(weakId);
            assertThat(table.blocksOwnedBy(retained)).isEmpty();
            KernelMemoryInfo info = memory(cluster, channels, "weak-0").memoryInfo(MemoryInfoRequest.getDefaultInstance());
            assertThat(info.getUsedPages()).as("the pages of shared.tasks").isEqualTo((shared.getBytes() + GEOMETRY.pageSize() - 1)
                / GEOMETRY.pageSize());
            assertThat(allocate(cluster, channels, "weak-0", 1, share * PAGES_PER_BLOCK / 2).getOutOfMemory()).isEmpty();
            assertThat(pid(typed.typed("weak-0"))).isEqualTo(4242);
            assertThat(pid(typed.typed("strong-0"))).isEqualTo(4242);
            assertInvariant(cluster, channels);
        }
    }

    @Test
    void theManagerMovesBlocksAheadOfPressureAndReclaimsFromIdleKernelsWhenThePoolRunsLow() {
        // keep 4: once strong-0 has its batch of 4 wholly free blocks, it has none to spare for the pool
        BalloonPolicy policy = BalloonPolicy.defaults().withPoolLowBlocks(6).withIdleAfter(Duration.ofMillis(500)).withKeepFreeBlocks(4);
        try (MiniCluster cluster = MiniCluster.start(config(policy), "balloon-probes");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "balloon-it")) {
            GlobalMemory global = cluster.coordinator().memory();
            int strongId = cluster.kernelId("strong-0");
            // both kernels idle, the pool below 6 blocks: the manager reclaims from them until it has 6
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> global.ownership().freeBlocks() >= 6);
            MemoryManagerStatus reclaimed = cluster.coordinator().manager().status();
            assertThat(reclaimed.getIdleReclaims()).isGreaterThanOrEqualTo(5);
            assertThat(global.ownership().freeBlocks()).as("no more than asked").isEqualTo(6);
            assertInvariant(cluster, channels);

            // strong-0 uses all but 32 of its free pages, below the pressure threshold of 64, without ever running out
            long free = counter(cluster, "strong-0", MemoryCounters.FREE_PAGES);
            int blocksBefore = global.ownership().blocksOwnedBy(strongId).size();
            AllocatePagesReply used = allocate(cluster, channels, "strong-0", 16, (int) ((free - 32) / 16));
            assertThat(used.getOutOfMemory()).isEmpty();
            assertThat(used.getAllocationsList()).noneMatch(PageAllocation::getBalloonStep);
            // the manager saw it in the probes and moved a batch to it: it did not have to ask
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> global.ownership().blocksOwnedBy(strongId).size() >= blocksBefore + BalloonPolicy.defaults().batchBlocks());
            MemoryManagerStatus moved = cluster.coordinator().manager().status();
            assertThat(moved.getPressureMoves()).isGreaterThanOrEqualTo(BalloonPolicy.defaults().batchBlocks());
            assertThat(moved.getDeflateRequests()).isPositive();
            assertThat(counter(cluster, "strong-0", MemoryCounters.WANTS)).as("no WANT: the blocks came ahead of need").isZero();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> counter(cluster, "strong-0", MemoryCounters.FREE_PAGES) >= 64);
            assertInvariant(cluster, channels);
        }
    }
}
