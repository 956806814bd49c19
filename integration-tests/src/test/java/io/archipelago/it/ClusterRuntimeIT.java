package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.ClusterEvent;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cluster runtime with real kernel processes: boot, liveness, kill -9, restart. */
@Timeout(240)
class ClusterRuntimeIT {

    @Test
    void bootsTwoKernelsRunningWithDistinctLivePids() {
        try (MiniCluster cluster = MiniCluster.startDefault("boot-two")) {
            KernelStatus strong = cluster.kernel("strong-0");
            KernelStatus weak = cluster.kernel("weak-0");
            assertThat(strong.getState()).isEqualTo("RUNNING");
            assertThat(weak.getState()).isEqualTo("RUNNING");
            assertThat(strong.getPid()).isNotEqualTo(weak.getPid()).isNotEqualTo(ProcessHandle.current().pid());
            assertThat(ProcessHandle.of(strong.getPid())).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(ProcessHandle.of(weak.getPid())).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(strong.getDataModel()).isEqualTo("x86_64");
            assertThat(strong.getDomain()).isEqualTo("a");
            assertThat(strong.getCores()).isEqualTo(2);
            assertThat(weak.getDataModel()).isEqualTo("armv7");
            assertThat(weak.getDomain()).isEqualTo("b");
            assertThat(weak.getSpeed()).isEqualTo(0.25);

            // Blocks were split evenly and no block has two owners (the table has one entry per block).
            Map<Integer, Integer> census = cluster.coordinator().memory().ownership().census();
            int share = cluster.coordinator().memory().initialShare();
            assertThat(census).containsEntry(strong.getId(), share).containsEntry(weak.getId(), share);
            assertThat(strong.getBlocks()).isEqualTo(share);
            assertThat(census.values().stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(cluster.coordinator().memory().geometry().dataBlocks());
            assertThat(census.getOrDefault(BlockOwnershipTable.FREE, 0)).isEqualTo(
                cluster.coordinator().memory().geometry().dataBlocks() - 2 * share);

            // Heartbeats advance in global memory, written by the kernel processes themselves: well after boot, a heartbeat
            // younger than the silence that makes a kernel DEAD (waited for, so a loaded host's slow poll cannot fail it).
            Duration deadAfter = cluster.coordinator().config().deadAfter();
            KernelStatus beating = cluster.awaitKernel("weak-0", k -> k.getUptimeMs() > 3 * deadAfter.toMillis()
                && k.getHeartbeatAgeMs() >= 0 && k.getHeartbeatAgeMs() < deadAfter.toMillis(), "heartbeating well after boot",
                Duration.ofSeconds(30));
            assertThat(beating.getState()).isEqualTo("RUNNING");

            // Each kernel serves its control API, only to callers who know the secret.
            KernelStatus described = cluster.kernelControl("weak-0").describe(DescribeRequest.getDefaultInstance());
            assertThat(described.getPid()).isEqualTo(weak.getPid());
            assertThat(described.getName()).isEqualTo("weak-0");
        }
    }

    @Test
    void aKilledKernelIsDeadWithinItsSilenceBoundWhileTheOtherRunsAndItCanBeRestarted() {
        try (MiniCluster cluster = MiniCluster.startDefault("kill-restart")) {
            KernelStatus before = cluster.kernel("weak-0");
            // the bound is the behaviour: DEAD at the latest once the heartbeat has been silent for dead-after (1 s), plus the
            // coordinator's next check; 3 s more is the margin for a loaded 2-core host
            long boundMs = cluster.coordinator().config().deadAfter().toMillis() + 3000;
            long killedAt = System.nanoTime();
            cluster.kill9("weak-0");
            KernelStatus dead = cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
            long detectedMs = (System.nanoTime() - killedAt) / 1_000_000;
            assertThat(detectedMs).as("declared DEAD after the kill").isLessThanOrEqualTo(boundMs);
            assertThat(dead.getReason()).contains("SIGKILL");
            assertThat(cluster.events()).anyMatch(e -> e.kind() == ClusterEvent.Kind.DEAD && e.kernelName().equals("weak-0"));

            // The other kernel keeps running and heartbeating.
            KernelStatus strong = cluster.awaitKernel("strong-0", k -> k.getState().equals("RUNNING") && k.getHeartbeatAgeMs() < 1000,
                "RUNNING with a fresh heartbeat", Duration.ofSeconds(5));
            assertThat(ProcessHandle.of(strong.getPid()).map(ProcessHandle::isAlive)).hasValue(true);

            KernelStatus restarted = cluster.kernel(cluster.restart("weak-0"));
            assertThat(restarted.getState()).isEqualTo("RUNNING");
            assertThat(restarted.getPid()).isNotEqualTo(before.getPid());
            assertThat(restarted.getReason()).isEmpty();
            // Its blocks went back to the pool when it died (no typed region lived there); restarted, it claimed its share again.
            assertThat(restarted.getBlocks()).isEqualTo(before.getBlocks());
            assertThat(cluster.kernelControl("weak-0").describe(DescribeRequest.getDefaultInstance()).getPid())
                .isEqualTo(restarted.getPid());
        }
    }

    @Test
    void aKernelThatStopsHeartbeatingIsDeclaredDeadAndFenced() throws Exception {
        try (MiniCluster cluster = MiniCluster.startDefault("stalled")) {
            KernelStatus weak = cluster.kernel("weak-0");
            ProcessHandle process = ProcessHandle.of(weak.getPid()).orElseThrow();
            // SIGSTOP freezes the kernel: alive as a process, silent as a member.
            Duration deadAfter = cluster.coordinator().config().deadAfter();
            long stoppedAt = System.nanoTime();
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(weak.getPid())).start();
            assertThat(stop.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("kill -STOP finished").isTrue();
            assertThat(stop.exitValue()).as("kill -STOP exit status").isZero();
            KernelStatus dead = cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
            long declaredMs = (System.nanoTime() - stoppedAt) / 1_000_000;
            assertThat(dead.getReason()).contains("no heartbeat");
            // not before dead-after of silence (a heartbeat may have been written just before the stop), and not long after:
            // the coordinator checks every heartbeat interval; 3 s of margin for a loaded 2-core host
            assertThat(declaredMs).as("declared DEAD after the stop").isBetween(deadAfter.toMillis() - 300, deadAfter.toMillis() + 3000);
            // A kernel declared dead is killed so that it cannot come back by itself.
            process.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(process.isAlive()).isFalse();
            assertThat(cluster.kernel("strong-0").getState()).isEqualTo("RUNNING");
        }
    }
}
