package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.kernel.KernelCounter;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.Cluster;
import io.archipelago.testing.junit.ClusterExtension;
import io.archipelago.typed.proto.Contract;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a user's test does with the {@link ClusterExtension}'s handle, on K2's two kernels: run a program, migrate it
 * from x86_64 to armv7, await its exit, read counters, the region registry and a region in place, cut a kernel off
 * (it is declared DEAD), kill it and restart it, and run on it again.
 */
@ExtendWith(ClusterExtension.class)
class ClusterHandleIT {

    private static final Duration AWAIT = Duration.ofSeconds(60);
    private static final long LIMIT = 1500;

    @Test
    @Timeout(300)
    void theHandleRunsMigratesReadsCutsOffKillsAndRestarts(@Cluster(yaml = "heartbeat: {interval-ms: 200, dead-after-ms: 3000}")
                                                              MiniCluster cluster) {
        int tid = cluster.run("strong-0", "counter", Map.of("limit", Long.toString(LIMIT), "cycles", "1000000"));
        cluster.awaitTask(tid, t -> t.getSteps() >= 50, "50 steps in", AWAIT);
        assertThat(cluster.migrate(tid, "weak-0").getTo()).isEqualTo("weak-0");
        TaskInfo done = cluster.awaitExit(tid, AWAIT);
        assertThat(cluster.regions()).extracting(Contract::getName).contains("proc." + done.getPid());
        // The process's shared data stays readable for the retention after its end: read it in place through armv7.
        var count = cluster.readFields("weak-0", "proc." + done.getPid(), "io.archipelago.kernel.programs.Counter$Shared", 0, "count");
        assertThat(count.get("count").getInteger()).as("the shared count, read by armv7").isEqualTo(LIMIT);
        assertThat(done.getExitCode()).as(done.toString()).isZero();
        assertThat(done.getKernel()).isEqualTo("weak-0");
        assertThat(done.getMigrations()).isEqualTo(1);
        assertThat(done.getFailure()).isEmpty();

        assertThat(cluster.counter("strong-0", KernelCounter.TASKS_SPAWNED.label())).isEqualTo(1);
        assertThat(cluster.counter("weak-0", KernelCounter.TASKS_EXITED.label())).isEqualTo(1);
        assertThatThrownBy(() -> cluster.counter("weak-0", "no.such.counter")).hasMessageContaining("has no counter 'no.such.counter'")
            .hasMessageContaining(KernelCounter.TASKS_SPAWNED.label());

        cluster.freeze("weak-0");
        cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
        cluster.kill9("weak-0");
        assertThat(cluster.kernel(cluster.restart("weak-0")).getState()).isEqualTo("RUNNING");
        int again = cluster.run("weak-0", "counter", Map.of("limit", "20"));
        assertThat(cluster.awaitExit(again, AWAIT).getExitCode()).isZero();
    }
}
