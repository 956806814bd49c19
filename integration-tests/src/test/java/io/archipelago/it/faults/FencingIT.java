package io.archipelago.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmHoldRequest;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A kernel declared DEAD that was not killed (the coordinator did not launch it, as a container
 * kernel; stopped with SIGSTOP, as a starved process) and then resumes: it must do no harm and
 * exit non-zero, so that compose's {@code restart: on-failure} starts a new incarnation.
 */
@Timeout(300)
class FencingIT {

    private static DsmControlGrpc.DsmControlBlockingStub dsm(MiniCluster cluster, String kernel) {
        return DsmControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    private static long value(MiniCluster cluster, String kernel, String region, long cell) {
        return TypedMemoryControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .readFields(FieldsRequest.newBuilder().setRegion(region).setView(DsmCell.class.getName()).setIndex(cell)
                .addFields(FieldValue.newBuilder().setPath("value")).build()).getFields(0).getInteger();
    }

    @Test
    void aHolderDeclaredDeadThatResumesWritesNothingBackAndExitsNonZero() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(patientCluster(), "fencing");
             UnsupervisedKernel rogue = UnsupervisedKernel.join(cluster, "rogue-0", MiniCluster.BOOT_TIMEOUT)) {
            dsm(cluster, "strong-0").open(DsmOpenRequest.newBuilder().setRegion("fence").setCount(8).setCreate(true).build());
            dsm(cluster, "weak-0").open(DsmOpenRequest.newBuilder().setRegion("fence").build());
            dsm(cluster, "rogue-0").open(DsmOpenRequest.newBuilder().setRegion("fence").build());
            assertThat(dsm(cluster, "strong-0").increment(DsmIncrementRequest.newBuilder().setRegion("fence").addCells(2).setThreads(1)
                .setIncrements(200).build()).getError()).isEmpty();

            // rogue-0 takes the page, adds 1000 in its private copy and holds it; then it is stopped mid-hold.
            DsmControlGrpc.DsmControlBlockingStub rogueDsm = dsm(cluster, "rogue-0");
            CompletableFuture<DsmWorkloadReply> hold = CompletableFuture.supplyAsync(() -> rogueDsm.hold(DsmHoldRequest.newBuilder()
                .setRegion("fence").setCell(2).setAdd(1000).setHoldMs(2_000).build()), r -> Thread.ofPlatform().daemon().start(r));
            awaitCounter(cluster, "rogue-0", KernelCounter.DSM_HOLDING.label(), 1, Duration.ofSeconds(30));
            rogue.signal("STOP");
            rogue.awaitState(cluster, KernelState.DEAD, Duration.ofSeconds(30));

            // The survivors recover the page from global memory (200) and carry on: 300, written back when weak-0 takes it.
            DsmWorkloadReply strong = dsm(cluster, "strong-0").increment(DsmIncrementRequest.newBuilder().setRegion("fence").addCells(2)
                .setThreads(1).setIncrements(100).build());
            assertThat(strong.getError()).isEmpty();
            assertThat(strong.getRegionPagesRecovered()).as("strong-0 recovered the stopped holder's page").isEqualTo(1);
            assertThat(value(cluster, "weak-0", "fence", 2)).isEqualTo(300);

            // rogue-0 resumes: its hold ends, requests queued while it was stopped reach its handler, and it learns it is DEAD.
            rogue.signal("CONT");
            int exit = rogue.awaitExit(Duration.ofSeconds(60));
            hold.handle((reply, error) -> null).get(60, TimeUnit.SECONDS);

            // What global memory holds for the page is what weak-0's predecessor wrote back (300), not the fenced kernel's
            // stale 1200: kill weak-0, which never changed the page, and strong-0 recovers exactly 300 from global memory.
            cluster.kill9("weak-0");
            cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
            assertThat(value(cluster, "strong-0", "fence", 2)).as("the page in global memory after the fenced kernel resumed")
                .isEqualTo(300);
            assertThat(exit).as("a kernel declared DEAD exits non-zero (restart: on-failure restarts it)").isEqualTo(4);
        }
    }

    /**
     * Two launched kernels, declared DEAD after 4 s of silence (not the default 1 s): on a loaded 2-core host a kernel that
     * is only starved must not be taken for the stopped one.
     */
    static ClusterConfig patientCluster() {
        ClusterConfig base = ClusterConfig.k2Default().withIslands(List.of(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1)));
        return base.toBuilder().deadAfter(Duration.ofSeconds(4)).build();
    }

    private static void awaitCounter(MiniCluster cluster, String kernel, String label, long value, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean reached = cluster.kernelControl(kernel).describe(DescribeRequest.getDefaultInstance()).getCountersList().stream()
                .anyMatch(c -> c.getLabel().equals(label) && c.getValue() == value);
            if (reached) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("kernel " + kernel + ": counter " + label + " did not reach " + value + " within "
                    + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
