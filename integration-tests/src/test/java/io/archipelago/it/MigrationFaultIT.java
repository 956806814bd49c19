package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.MiniCluster;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A migration's source that dies after it marked the thread "migrating" and before it sent
 * MIGRATE (a fault injected at that point: the process halts as after kill -9), the mark
 * written back meanwhile (another kernel read it). The thread is
 * lost with its kernel, as every thread of a dead kernel is: the destination's reaper marks it
 * EXITED, and kill and migrate say so, instead of "a migration is under way" forever.
 */
@Timeout(300)
class MigrationFaultIT {

    @Test
    void aThreadWhoseSourceDiesMidMigrationIsReapedNotLeftMigratingForever() throws Exception {
        ClusterConfig base = Tasks.config(List.of(new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1)));
        List<String> jvm = new ArrayList<>(base.kernelJvmOptions());
        // the source marks the thread migrating, waits 3 s (weak-0 reads the mark meanwhile, which writes it back to global
        // memory: the task table is software-coherent), then crashes before MIGRATE
        jvm.add("-Darchipelago.faults=migration.marked=crash@3000");
        ClusterConfig config = base.toBuilder().kernelJvmOptions(jvm).build();
        try (MiniCluster cluster = MiniCluster.start(config, "migration-fault")) {
            Tasks tasks = new Tasks(cluster);
            int tid = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("cycles", "100000")).getTids(0);
            tasks.await("strong-0", tid, t -> t.getSteps() > 5, Duration.ofSeconds(30), "running");
            // read through weak-0: the task table is software-coherent, so this writes the thread's descriptor back to global
            // memory (a descriptor only ever in the dead kernel's private copy would be lost with it, thread and all)
            tasks.await("weak-0", tid, t -> t.getSteps() > 5, Duration.ofSeconds(30), "seen by weak-0");

            CompletableFuture<MigrateReply> migration = CompletableFuture.supplyAsync(
                () -> tasks.migrate("strong-0", tid, "weak-0", MigrationMode.SHARED_MEMORY), r -> Thread.ofPlatform().daemon().start(r));
            int weakId = cluster.kernelId("weak-0");
            tasks.await("weak-0", tid, t -> t.getMigratingTo() == weakId, Duration.ofSeconds(30), "seen migrating by weak-0");
            assertThatThrownBy(() -> migration.get(60, TimeUnit.SECONDS)).as("strong-0 crashed mid-migration")
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(StatusRuntimeException.class);
            cluster.awaitState("strong-0", "DEAD", Duration.ofSeconds(30));

            TaskInfo lost = tasks.await("weak-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(30),
                "marked lost by the destination's reaper");
            assertThat(lost.getExitCode()).as("lost with its kernel").isEqualTo(137);
            assertThat(lost.getMigratingTo()).as("no migration left under way").isNegative();
            assertThatThrownBy(() -> tasks.kill("weak-0", tid)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getDescription()).contains("exited").doesNotContain("migrating"));
            assertThatThrownBy(() -> tasks.migrate("weak-0", tid, "weak-0", MigrationMode.SHARED_MEMORY))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getDescription()).contains("exited").doesNotContain("under way"));
        }
    }
}
