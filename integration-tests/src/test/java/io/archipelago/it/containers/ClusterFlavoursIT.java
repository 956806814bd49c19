package io.archipelago.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.it.programs.MigratingSum;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.ClusterHandle;
import io.archipelago.testing.ClusterHandle.Flavour;
import io.archipelago.testing.junit.Cluster;
import io.archipelago.testing.junit.ClusterExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One test body, as a user writes it against {@link ClusterHandle}, on both flavours of the {@link ClusterExtension}:
 * kernel processes on this machine, and the compose cluster's containers. A program of this module's own class path
 * ({@link MigratingSum}: not built into the kernels; in the containers flavour it reaches them packed into the compose
 * programs volume) starts on the strong x86_64 kernel, migrates to the weak armv7 one and exits there with its known
 * code; the kernels' counters are read. The containers flavour is skipped, saying why, where no Docker engine answers
 * (and fails where containers are mandatory, as in CI).
 */
@ExtendWith(ClusterExtension.class)
@Tag("containers")
class ClusterFlavoursIT {

    private static final Duration AWAIT = Duration.ofSeconds(60);

    @Test
    @Timeout(180)
    void onKernelProcesses(ClusterHandle cluster) {
        assertThat(cluster.flavour()).isEqualTo(Flavour.PROCESSES);
        startsOnStrongMigratesToWeakAndExitsThere(cluster);
    }

    @Test
    @Timeout(300)
    void onComposeContainers(@Cluster(flavour = Flavour.CONTAINERS) ClusterHandle cluster) {
        assertThat(cluster.flavour()).isEqualTo(Flavour.CONTAINERS);
        startsOnStrongMigratesToWeakAndExitsThere(cluster);
    }

    static void startsOnStrongMigratesToWeakAndExitsThere(ClusterHandle cluster) {
        String strong = cluster.kernelOf("strong");
        String weak = cluster.kernelOf("weak");
        assertThat(cluster.kernelNames()).containsExactlyInAnyOrder(strong, weak);
        long spawned = cluster.counter(strong, KernelCounter.TASKS_SPAWNED.label());

        int tid = cluster.run(strong, MigratingSum.NAME, Map.of("n", "200"));
        TaskInfo started = cluster.awaitTask(tid, t -> t.getSteps() >= 10, "10 steps into its sum on " + strong, AWAIT);
        assertThat(started.getKernel()).isEqualTo(strong);

        cluster.migrateTo(tid, weak);
        TaskInfo done = cluster.awaitExit(tid, AWAIT);
        assertThat(done.getFailure()).as("the program threw").isEmpty();
        assertThat(done.getExitCode()).as("its sum survived x86_64 -> armv7 (2: it never saw armv7): " + done)
            .isEqualTo(MigratingSum.EXIT_OK);
        assertThat(done.getKernel()).isEqualTo(weak);
        assertThat(done.getMigrations()).isEqualTo(1);

        assertThat(cluster.counter(strong, KernelCounter.TASKS_SPAWNED.label())).isEqualTo(spawned + 1);
        assertThat(cluster.counter(weak, KernelCounter.TASKS_EXITED.label())).isGreaterThanOrEqualTo(1);
    }
}
