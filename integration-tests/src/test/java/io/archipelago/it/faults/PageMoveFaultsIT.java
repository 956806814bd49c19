package io.archipelago.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.ArmFaultRequest;
import io.archipelago.control.proto.BlockUse;
import io.archipelago.control.proto.FaultControlGrpc;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.InflateReply;
import io.archipelago.control.proto.InflateRequest;
import io.archipelago.control.proto.KernelMemoryGrpc;
import io.archipelago.control.proto.KernelMemoryInfo;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.control.proto.PageAllocation;
import io.archipelago.control.proto.VerifyPagesReply;
import io.archipelago.control.proto.VerifyPagesRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.balloon.BlockInvariantScan;
import io.archipelago.coordinator.config.BalloonPolicy;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.kernel.faults.FaultPoints;
import io.archipelago.testing.MiniCluster;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults in the middle of a balloon page move (the fault point {@code balloon.mid-page-move}: half of a movable
 * allocation's pages copied to their new home, which the kernel's page table does not record yet). A kernel whose
 * free blocks each hold 32 movable pages, asked to give one block back, must move them. After a crash there: no block
 * owned twice, none lost, the other kernel's pages intact, the id restartable. After a short stop: the move completes and
 * every moved page holds its data. A kernel declared DEAD while stopped there that resumes (one the coordinator cannot
 * kill): it copies nothing more into the blocks taken back from it, which another kernel now fills, and exits 4.
 */
@Timeout(300)
class PageMoveFaultsIT {

    private static final String POINT = FaultPoints.Point.BALLOON_MID_PAGE_MOVE.label();
    private static final int RUN = 32;

    /** FencingIT's cluster (dead after 4 s); no blocks moved ahead of pressure, so that a kernel's blocks change only when asked. */
    private static ClusterConfig cluster() {
        return FencingIT.patientCluster().withBalloon(BalloonPolicy.defaults().withPressureFreePages(0));
    }

    private static KernelMemoryGrpc.KernelMemoryBlockingStub memory(MiniCluster cluster, String kernel) {
        return KernelMemoryGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    @Test
    void aCrashMidPageMoveLosesNoBlockAndNoOtherKernelsPage() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(cluster(), "page-move-crash");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "page-move-it")) {
            int weakId = cluster.kernelId("weak-0");
            AllocatePagesReply strongPages = memory(cluster, "strong-0").allocatePages(AllocatePagesRequest.newBuilder().setPages(64)
                .setCount(16).build());
            assertThat(strongPages.getOutOfMemory()).isEmpty();
            int kept = scatterMovablePages(cluster, "weak-0", 0);
            assertThat(kept).as("blocks of weak-0 holding 32 movable pages each").isGreaterThanOrEqualTo(2);
            FaultControlGrpc.newBlockingStub(cluster.kernelControl("weak-0").getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .arm(ArmFaultRequest.newBuilder().setPoint(POINT).setAction("crash").build());

            assertThatThrownBy(() -> memory(cluster, "weak-0").inflate(InflateRequest.newBuilder().setBlocks(1).build()))
                .as("weak-0 crashes while it moves pages out of the block it gives back").isInstanceOf(StatusRuntimeException.class);
            cluster.awaitKernelState("weak-0", "DEAD", Duration.ofSeconds(60));
            assertThat(log(cluster, "weak-0")).contains("fault injected at " + POINT);

            assertScanPasses(cluster, channels, "after weak-0 crashed mid page move");
            assertThat(cluster.coordinator().memory().ownership().blocksOwnedBy(weakId))
                .as("blocks still owned by the crashed incarnation (taken back before DEAD)").isEmpty();
            assertIntact(cluster, "strong-0", strongPages.getAllocationsCount());

            cluster.restart("weak-0");
            assertScanPasses(cluster, channels, "after weak-0 restarted");
            assertIntact(cluster, "weak-0", 0);
            assertIntact(cluster, "strong-0", strongPages.getAllocationsCount());
        }
    }

    @Test
    void aShortStopMidPageMoveCompletesTheMoveWithEveryPageIntact() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(cluster(), "page-move-stop");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "page-move-it")) {
            int kept = scatterMovablePages(cluster, "weak-0", 0);
            assertThat(kept).as("blocks of weak-0 holding 32 movable pages each").isGreaterThanOrEqualTo(2);
            KernelMemoryInfo before = memory(cluster, "weak-0").memoryInfo(MemoryInfoRequest.getDefaultInstance());
            FaultControlGrpc.newBlockingStub(cluster.kernelControl("weak-0").getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .arm(ArmFaultRequest.newBuilder().setPoint(POINT).setAction("stop").build());

            KernelMemoryGrpc.KernelMemoryBlockingStub weak = memory(cluster, "weak-0");
            CompletableFuture<InflateReply> giveBack = CompletableFuture.supplyAsync(() -> weak.inflate(InflateRequest.newBuilder()
                .setBlocks(1).build()));
            long pid = cluster.pid("weak-0");
            awaitStopped(pid, Duration.ofSeconds(60));
            // the stop is the fault: far shorter than dead-after (4 s), so the kernel must carry on
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
            signal(pid, "CONT");

            InflateReply released = giveBack.get(90, TimeUnit.SECONDS);
            assertThat(released.getReleasedList()).as("the block emptied by moving its pages").hasSize(1);
            cluster.awaitKernelState("weak-0", "RUNNING", Duration.ofSeconds(10));
            KernelMemoryInfo after = weak.memoryInfo(MemoryInfoRequest.getDefaultInstance());
            assertThat(after.getBlocksList()).doesNotContain(released.getReleased(0));
            assertThat(after.getMovableAllocations()).as("every movable allocation kept, the moved one at its new home")
                .isEqualTo(before.getMovableAllocations());
            assertThat(after.getMovablePages()).isEqualTo(before.getMovablePages());
            assertIntact(cluster, "weak-0", before.getMovableAllocations());
            assertScanPasses(cluster, channels, "after the move resumed");
        }
    }

    @Test
    void aKernelDeclaredDeadMidPageMoveThatResumesCopiesNothingMoreAndExitsFour() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(cluster(), "page-move-fenced");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "page-move-it");
             UnsupervisedKernel rogue = UnsupervisedKernel.join(cluster, "rogue-0", MiniCluster.BOOT_TIMEOUT,
                 List.of("-D" + FaultPoints.PROPERTY + "=" + POINT + "=stop"))) {
            // rogue-0 claims no share at boot (the two configured kernels split the blocks): it grows by the balloon
            int kept = scatterMovablePages(cluster, "rogue-0", 4);
            assertThat(kept).as("blocks of rogue-0 holding 32 movable pages each").isGreaterThanOrEqualTo(2);
            KernelMemoryGrpc.KernelMemoryBlockingStub rogueMemory = memory(cluster, "rogue-0");
            CompletableFuture<InflateReply> giveBack = CompletableFuture.supplyAsync(() -> rogueMemory.inflate(InflateRequest.newBuilder()
                .setBlocks(1).build()));
            awaitStopped(rogue.pid(), Duration.ofSeconds(60));
            KernelRecord dead = rogue.awaitState(cluster, KernelState.DEAD, Duration.ofSeconds(60));
            assertThat(cluster.coordinator().memory().ownership().blocksOwnedBy(dead.getKernelId()))
                .as("blocks of the fenced incarnation (taken back before DEAD)").isEmpty();

            // strong-0 takes every page it can get (each with its pattern): the blocks taken back from rogue-0, the pages the
            // move was copying into among them, are strong-0's now
            AllocatePagesReply strongPages = memory(cluster, "strong-0").allocatePages(AllocatePagesRequest.newBuilder().setPages(RUN)
                .setCount(100_000).build());
            assertThat(strongPages.getOutOfMemory()).as("strong-0 allocates until the cluster's memory is full").isNotEmpty();
            assertThat(cluster.coordinator().memory().ownership().freeBlocks()).as("blocks left in the pool").isZero();

            rogue.signal("CONT");
            int exit = rogue.awaitExit(Duration.ofSeconds(60));
            assertThat(exit).as("a kernel declared DEAD mid page move halts with exit 4; its log ends:\n" + tail(rogue.log()))
                .isEqualTo(KernelMain.EXIT_FENCED);
            // the give-back either fails (the kernel halted before its answer left) or answers that it released nothing: a
            // fenced kernel never reports a block emptied
            InflateReply answered = null;
            try {
                answered = giveBack.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException halted) {
                // no answer: the kernel halted first
            }
            if (answered != null) {
                assertThat(answered.getReleasedList()).as("blocks a kernel declared DEAD mid page move said it gave back").isEmpty();
            }
            assertIntact(cluster, "strong-0", strongPages.getAllocationsCount());
            assertScanPasses(cluster, channels, "after the fenced kernel resumed and exited");
        }
    }

    /**
     * Leaves {@value #RUN} movable pages (each with its pattern) in every block of {@code kernel} that holds nothing
     * else, and no block of it wholly free: a block it gives back must be emptied by moving them. It fills its free pages
     * (and {@code growBy} blocks more, which the balloon brings) with 32-page allocations, then frees all but the first
     * in each such block; again while blocks arrived meanwhile (the balloon grants whole batches) left some wholly free.
     *
     * @return the blocks left holding 32 movable pages
     */
    static int scatterMovablePages(MiniCluster cluster, String kernel, int growBy) {
        int pagesPerBlock = cluster.coordinator().memory().geometry().pagesPerBlock();
        long blockSize = cluster.coordinator().memory().geometry().blockSize();
        KernelMemoryInfo info = memory(cluster, kernel).memoryInfo(MemoryInfoRequest.getDefaultInstance());
        for (int pass = 0; pass < 5 && (pass == 0 || info.getBlockUseList().stream().anyMatch(use -> use.getUsedPages() == 0)); pass++) {
            Set<Integer> busy = new HashSet<>();
            for (BlockUse use : info.getBlockUseList()) {
                if (use.getUsedPages() > 0) {
                    busy.add(use.getBlock());
                }
            }
            int order = Integer.numberOfTrailingZeros(RUN);
            int chunks = 0;
            for (int larger = order; larger < info.getFreeChunksCount(); larger++) {
                chunks += info.getFreeChunks(larger) << (larger - order);
            }
            AllocatePagesReply filled = memory(cluster, kernel).allocatePages(AllocatePagesRequest.newBuilder().setPages(RUN)
                .setCount(chunks + (pass == 0 ? growBy * (pagesPerBlock / RUN) : 0)).build());
            assertThat(filled.getOutOfMemory()).as("%s fills its blocks", kernel).isEmpty();
            Set<Integer> kept = new HashSet<>();
            List<Long> toFree = new ArrayList<>();
            for (PageAllocation allocation : filled.getAllocationsList()) {
                int block = (int) (allocation.getOffset() / blockSize);
                if (busy.contains(block) || !kept.add(block)) {
                    toFree.add(allocation.getHandle());
                }
            }
            memory(cluster, kernel).freePages(FreePagesRequest.newBuilder().addAllHandles(toFree).build());
            info = memory(cluster, kernel).memoryInfo(MemoryInfoRequest.getDefaultInstance());
        }
        KernelMemoryInfo scattered = info;
        assertThat(scattered.getBlockUseList()).as("no wholly free block left in %s", kernel).noneMatch(use -> use.getUsedPages() == 0);
        return (int) scattered.getBlockUseList().stream().filter(use -> use.getMovablePages() == RUN && use.getUsedPages() == RUN).count();
    }

    private static void assertIntact(MiniCluster cluster, String kernel, int allocations) {
        VerifyPagesReply verified = memory(cluster, kernel).verifyPages(VerifyPagesRequest.getDefaultInstance());
        assertThat(verified.getCorruptList()).as("%s's movable allocations that changed under it", kernel).isEmpty();
        assertThat(verified.getAllocations()).as("%s's movable allocations", kernel).isEqualTo(allocations);
    }

    private static void assertScanPasses(MiniCluster cluster, KernelChannels channels, String when) {
        var coordinator = cluster.coordinator();
        BlockInvariantScan.Report report = BlockInvariantScan.scan(coordinator.memory(), coordinator.membership(), coordinator.regions(),
            channels);
        assertThat(report.violations()).as("the block ownership table against every kernel's allocator " + when).isEmpty();
    }

    private static String log(MiniCluster cluster, String kernel) throws java.io.IOException {
        Path log = cluster.coordinator().directory().kernelLog(kernel);
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static String tail(Path log) throws java.io.IOException {
        String text = Files.exists(log) ? Files.readString(log) : "(no log at " + log + ")";
        return text.substring(Math.max(0, text.length() - 4000));
    }

    private static void awaitStopped(long pid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!stopped(pid)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("kernel process " + pid + " did not stop itself at " + POINT + " within " + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static boolean stopped(long pid) throws java.io.IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        int close = text.lastIndexOf(')');
        return close > 0 && text.length() > close + 2 && text.charAt(close + 2) == 'T';
    }

    private static void signal(long pid, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + pid + " failed");
        }
    }
}
