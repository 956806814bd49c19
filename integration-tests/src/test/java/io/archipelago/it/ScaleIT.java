package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Eight kernel processes on four islands of four data models in four coherence domains (x86_64,
 * armv7, ppc32, aarch64; two kernels each) over one mmap'd global memory: one thread migrates
 * around all of them, twice, and every kernel takes one DSM page in turn. Every task and DSM page
 * crosses a coherence domain at least once per lap, so the software DSM carries them.
 */
class ScaleIT {

    private static final List<IslandConfig> ISLANDS = List.of(
        new IslandConfig("xa", "x86_64", 2, 1.0, "a", "cortex-a9", 2),
        new IslandConfig("arm", "armv7", 1, 0.25, "b", "cortex-m3", 2),
        new IslandConfig("ppc", "ppc32", 1, 0.5, "c", "cortex-m3", 2),
        new IslandConfig("a64", "aarch64", 2, 1.0, "d", "cortex-a9", 2));
    private static final int LAPS = 2;
    private static final int INCREMENTS = 50;

    /** The islands' kernels in id order: the ring the thread and the page go around. */
    private static List<String> ring() {
        return ISLANDS.stream().flatMap(i -> java.util.stream.IntStream.range(0, i.kernels()).mapToObj(k -> i.name() + "-" + k)).toList();
    }

    @Test
    @Timeout(900)
    void oneThreadMigratesAroundEightKernelsOnFourIslandsAndEveryKernelTakesOneDsmPageInTurn(TestInfo test) {
        // eight JVMs booting at once on two cores shared with other builds: a kernel is declared dead after 10 s of silence, not 1 s
        ClusterConfig base = Tasks.config(ISLANDS);
        ClusterConfig config = base.toBuilder().heartbeatInterval(Duration.ofMillis(500)).deadAfter(Duration.ofSeconds(10)).build();
        List<String> ring = ring();
        assertThat(ring).hasSize(8);
        // in waves of two on two cores, and without the distribution's class-data archive (a test's class path has directories)
        try (MiniCluster cluster = MiniCluster.start(config, test.getTestMethod().orElseThrow().getName(), Duration.ofSeconds(240))) {
            assertThat(cluster.status().getKernelsList()).as("every kernel RUNNING").hasSize(8)
                .allSatisfy(k -> assertThat(k.getState()).as(k.getName()).isEqualTo("RUNNING"));
            migrateAroundTheRing(cluster, ring);
            takeOnePageInTurn(cluster, ring);
        }
    }

    private static void migrateAroundTheRing(MiniCluster cluster, List<String> ring) {
        Tasks tasks = new Tasks(cluster);
        SpawnReply spawned = tasks.spawn(ring.get(0), "counter", 1, false, 0, Map.of("cycles", "100000"));
        int tid = spawned.getTids(0);
        int migrations = 0;
        for (int lap = 0; lap < LAPS; lap++) {
            for (int hop = 1; hop <= ring.size(); hop++) {
                String to = ring.get(hop % ring.size());
                // both ways of moving a thread, alternating, so each kernel sees each way once over the two laps
                MigrationMode mode = (lap + hop) % 2 == 0 ? MigrationMode.SHARED_MEMORY : MigrationMode.MESSAGES;
                String via = ring.get((hop + 3) % ring.size()); // asked through a kernel that does not hold it: forwarded
                var reply = tasks.migrate(via, tid, to, mode);
                assertThat(reply.getTo()).isEqualTo(to);
                assertThat(reply.getMode()).isEqualTo(mode);
                migrations++;
            }
        }
        TaskInfo back = tasks.task(ring.get(5), tid).orElseThrow();
        assertThat(back.getKernel()).as("two laps end where they began").isEqualTo(ring.get(0));
        assertThat(back.getMigrations()).isEqualTo(migrations);
        long stepsThen = back.getSteps();
        tasks.await(ring.get(0), tid, t -> t.getSteps() > stepsThen + 10, Duration.ofSeconds(60), "10 steps further");
        tasks.kill(ring.get(3), tid);
        TaskInfo done = tasks.await(ring.get(0), tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");
        assertThat(done.getSteps()).as("it counted while migrating").isGreaterThan(migrations);
        assertThat(done.getRegs(1)).as("the thread's own count: one increment per step, none lost nor repeated").isEqualTo(done.getSteps());
        assertThat(done.getRegs(2)).as("the shared counter after its last increment").isEqualTo(done.getSteps());
        assertThat(done.getMigrations()).isEqualTo(LAPS * ring.size());
        for (String kernel : ring) {
            assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN.label())).as(kernel + ": arrivals").isEqualTo(LAPS);
            assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_OUT.label())).as(kernel + ": departures").isEqualTo(LAPS);
            assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN_SHARED_MEMORY.label())).as(kernel + ": arrivals in place").isEqualTo(1);
            assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN_MESSAGES.label())).as(kernel + ": arrivals by messages").isEqualTo(1);
            assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_FAILED.label())).as(kernel + ": failed migrations").isZero();
        }
    }

    private static void takeOnePageInTurn(MiniCluster cluster, List<String> ring) {
        dsm(cluster, ring.get(0)).open(DsmOpenRequest.newBuilder().setRegion("turns").setCount(8).setCreate(true).build());
        for (String kernel : ring.subList(1, ring.size())) {
            dsm(cluster, kernel).open(DsmOpenRequest.newBuilder().setRegion("turns").build());
        }
        for (int turn = 0; turn < ring.size(); turn++) {
            String kernel = ring.get(turn);
            DsmWorkloadReply reply = dsm(cluster, kernel).increment(DsmIncrementRequest.newBuilder().setRegion("turns").addCells(1)
                .setThreads(1).setIncrements(INCREMENTS).build());
            assertThat(reply.getError()).as(kernel).isEmpty();
            if (turn > 0) {
                assertThat(reply.getPagesReceived()).as(kernel + " took the page from " + ring.get(turn - 1)).isPositive();
            }
        }
        for (String kernel : ring) {
            assertThat(value(cluster, kernel, "turns", 1)).as("cell 1 read by " + kernel).isEqualTo((long) ring.size() * INCREMENTS);
        }
    }

    private static DsmControlGrpc.DsmControlBlockingStub dsm(MiniCluster cluster, String kernel) {
        return DsmControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    private static long value(MiniCluster cluster, String kernel, String region, long cell) {
        return TypedMemoryControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .readFields(FieldsRequest.newBuilder().setRegion(region).setView(DsmCell.class.getName()).setIndex(cell)
                .addFields(FieldValue.newBuilder().setPath("value")).build()).getFields(0).getInteger();
    }

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return cluster.kernel(kernel).getCountersList().stream().filter(c -> c.getLabel().equals(label))
            .mapToLong(io.archipelago.control.proto.Counter::getValue).findFirst().orElse(0);
    }
}
