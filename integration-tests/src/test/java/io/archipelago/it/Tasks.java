package io.archipelago.it;

import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SchedEventsReply;
import io.archipelago.task.proto.SchedEventsRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.ThreadKind;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/** Tasks of a {@link MiniCluster}, through its kernels' task control APIs, with a deadline on every wait. */
final class Tasks {

    static final Duration CALL = Duration.ofSeconds(30);

    private final MiniCluster cluster;

    /**
     * K2's defaults with these islands, and a kernel declared DEAD after 3 s of silence rather than 1 s: these tests start
     * three kernel processes at once on a 2-core machine that other builds share.
     */
    static io.archipelago.coordinator.config.ClusterConfig config(List<io.archipelago.coordinator.config.IslandConfig> islands) {
        return io.archipelago.coordinator.config.ClusterConfig.builder().islands(islands).deadAfter(Duration.ofSeconds(3)).build();
    }

    Tasks(MiniCluster cluster) {
        this.cluster = cluster;
    }

    SpawnReply spawn(String kernel, String program, int threads, boolean nightWatch, int pid, Map<String, String> args) {
        return cluster.tasks(kernel, CALL).spawn(SpawnRequest.newBuilder().setProgram(program).setThreads(threads)
            .setKind(nightWatch ? ThreadKind.NIGHTWATCH : ThreadKind.NORMAL).setPid(pid).putAllArgs(args).build());
    }

    List<TaskInfo> list(String via) {
        return cluster.tasks(via, CALL).listTasks(ListTasksRequest.newBuilder().setAll(true).build()).getTasksList();
    }

    Optional<TaskInfo> task(String via, int tid) {
        return list(via).stream().filter(t -> t.getTid() == tid).findFirst();
    }

    /** Waits until thread {@code tid}, as kernel {@code via} reads it, satisfies {@code condition}. */
    TaskInfo await(String via, int tid, Predicate<TaskInfo> condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<TaskInfo> last = Optional.empty();
        while (true) {
            last = task(via, tid);
            if (last.isPresent() && condition.test(last.get())) {
                return last.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + tid + " was not " + what + " within " + timeout.toSeconds() + " s; it is "
                    + last.map(t -> t.getState() + " on " + t.getKernel() + " after " + t.getSteps() + " steps").orElse("gone")
                    + "; the cluster:\n" + cluster.describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    MigrateReply migrate(String via, int tid, String to, MigrationMode mode) {
        return cluster.tasks(via, Duration.ofSeconds(60)).migrate(MigrateRequest.newBuilder().setTid(tid).setTo(to).setMode(mode).setHops(3)
            .build());
    }

    /** Ends a thread at its next step boundary (forwarded to the kernel that runs it). */
    io.archipelago.task.proto.KillReply kill(String via, int tid) {
        return cluster.tasks(via, Duration.ofSeconds(60)).kill(io.archipelago.task.proto.KillRequest.newBuilder().setTid(tid).setHops(3)
            .build());
    }

    SchedEventsReply events(String kernel, long since, boolean intervals) {
        return cluster.tasks(kernel, CALL).schedEvents(SchedEventsRequest.newBuilder().setSince(since).setCoreIntervals(intervals).build());
    }
}
