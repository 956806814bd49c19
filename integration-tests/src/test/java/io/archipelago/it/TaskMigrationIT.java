package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.MiniCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Threads migrating between kernel processes of different ABIs, by shared memory and by
 * messages, with their state checked exactly; migrations that cannot happen, and migrations
 * racing a kernel's death. Every kernel is its own JVM over one mmap'd global memory; as on K2's
 * platform, the x86_64 kernel is in coherence domain a and the others in domain b, so the task
 * regions are software-coherent and the DSM moves their pages between the kernels.
 */
class TaskMigrationIT {

    private static final IslandConfig STRONG = new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1);
    private static final IslandConfig WEAK = new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1);
    private static final IslandConfig PPC = new IslandConfig("ppc", "ppc32", 1, 0.5, "b", "", 1);

    @Test
    @Timeout(420)
    void aCounterMigratedHundredsOfTimesBetweenX86AndArmCountsExactly(TestInfo test) {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(List.of(STRONG, WEAK)), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            // No limit: however slowly the host lets the 300 migrations go, the counter is still running when they end;
            // it is then ended at a step boundary, and every count must agree exactly.
            SpawnReply spawned = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("cycles", "100000"));
            int tid = spawned.getTids(0);
            int pid = spawned.getPid();
            int migrations = 0;
            for (int i = 0; i < 300; i++) {
                String to = i % 2 == 0 ? "weak-0" : "strong-0";
                MigrationMode mode = i % 4 < 2 ? MigrationMode.SHARED_MEMORY : MigrationMode.MESSAGES;
                String via = ThreadLocalRandom.current().nextBoolean() ? "strong-0" : "weak-0";
                MigrateReply reply = tasks.migrate(via, tid, to, mode);
                assertThat(reply.getTo()).isEqualTo(to);
                assertThat(reply.getFrom()).isNotEqualTo(to);
                assertThat(reply.getMode()).as("the way the source moved it").isEqualTo(mode);
                migrations++;
            }
            TaskInfo running = tasks.task("weak-0", tid).orElseThrow();
            assertThat(running.getState()).as("it ran through all " + migrations + " migrations: " + running).isNotEqualTo("EXITED");
            assertThat(running.getMigrations()).isEqualTo(migrations);
            assertThat(running.getKernel()).isEqualTo("strong-0");
            // a few more steps on strong-0 after the last migration, then the end
            long stepsThen = running.getSteps();
            tasks.await("weak-0", tid, t -> t.getSteps() > stepsThen + 10, Duration.ofSeconds(60), "10 steps further");
            tasks.kill("weak-0", tid);

            TaskInfo done = tasks.await("weak-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");
            long count = done.getSteps();
            assertThat(count).as("it counted while migrating").isGreaterThan(migrations);
            assertThat(done.getRegs(1)).as("the thread's own count: one increment per step, none lost nor repeated").isEqualTo(count);
            assertThat(done.getRegs(2)).as("the shared counter after its last increment").isEqualTo(count);
            assertThat(done.getMigrations()).isEqualTo(migrations);
            assertThat(sharedCount(cluster, pid)).as("the shared counter, read by the armv7 kernel").isEqualTo(count);
            // what the destinations counted, not what this test asked for: every 4th migration of each kind, in each direction
            for (String kernel : List.of("weak-0", "strong-0")) {
                assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN.label())).as(kernel + ": arrivals").isEqualTo(150);
                assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN_SHARED_MEMORY.label()))
                    .as(kernel + ": arrivals in place").isEqualTo(75);
                assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_IN_MESSAGES.label()))
                    .as(kernel + ": arrivals by messages").isEqualTo(75);
                assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_OUT.label())).as(kernel + ": departures").isEqualTo(150);
                assertThat(counter(cluster, kernel, KernelCounter.MIGRATIONS_FAILED.label())).as(kernel + ": failed migrations").isZero();
            }
        }
    }

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return cluster.kernel(kernel).getCountersList().stream().filter(c -> c.getLabel().equals(label))
            .mapToLong(io.archipelago.control.proto.Counter::getValue).findFirst().orElse(0);
    }

    /** The process's shared counter, read in place by a kernel through the program's view (within the retention after exit). */
    private static long sharedCount(MiniCluster cluster, int pid) {
        var record = cluster.membership().stream().filter(r -> r.getName().equals("weak-0")).findFirst().orElseThrow();
        io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder
            .forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
            .intercept(io.archipelago.control.auth.ControlAuthentication.client(cluster.coordinator().secret(), "test")).build();
        try {
            return TypedMemoryControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .readFields(FieldsRequest.newBuilder().setRegion("proc." + pid).setView("io.archipelago.kernel.programs.Counter$Shared")
                    .addFields(FieldValue.newBuilder().setPath("count")).build()).getFields(0).getInteger();
        } finally {
            channel.shutdownNow();
        }
    }

    @Test
    @Timeout(420)
    void threadsOfOneProcessMigrateAroundThreeKernelsOfThreeAbis(TestInfo test) {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(List.of(STRONG, WEAK, PPC)), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            SpawnReply spawned = tasks.spawn("strong-0", "counter", 2, false, 0, Map.of("cycles", "400000"));
            List<String> ring = List.of("weak-0", "ppc-0", "strong-0");
            for (int round = 0; round < 30; round++) {
                for (int t = 0; t < 2; t++) {
                    int tid = spawned.getTids(t);
                    String to = ring.get((round + t) % 3);
                    TaskInfo where = tasks.task("ppc-0", tid).orElseThrow();
                    if (where.getKernel().equals(to)) {
                        to = ring.get((round + t + 1) % 3);
                    }
                    MigrationMode mode = (round + t) % 2 == 0 ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY;
                    assertThat(tasks.migrate("strong-0", tid, to, mode).getTo()).isEqualTo(to);
                }
            }
            long sum = 0;
            long total = 0;
            for (int tid : spawned.getTidsList()) {
                tasks.kill("ppc-0", tid);
                TaskInfo done = tasks.await("ppc-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");
                assertThat(done.getSteps()).as("it counted while migrating").isGreaterThan(30);
                assertThat(done.getRegs(1)).as("one increment per step").isEqualTo(done.getSteps());
                assertThat(done.getMigrations()).isEqualTo(30);
                sum += done.getRegs(1);
                total = Math.max(total, done.getRegs(2));
            }
            assertThat(total).as("the last increment of either thread saw every increment of both").isEqualTo(sum);
        }
    }

    @Test
    @Timeout(300)
    void migrationsThatCannotHappenFailClearlyAndTheThreadRunsOn(TestInfo test) throws Exception {
        List<IslandConfig> islands = List.of(STRONG, WEAK, new IslandConfig("spare", "aarch64", 1, 0.5, "b", "", 1));
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(islands), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            assertThatThrownBy(() -> tasks.migrate("strong-0", 999_999, "weak-0", MigrationMode.SHARED_MEMORY))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains("no thread 999999");
                });
            int quick = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("limit", "5")).getTids(0);
            tasks.await("weak-0", quick, t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");
            assertThatThrownBy(() -> tasks.migrate("weak-0", quick, "weak-0", MigrationMode.MESSAGES))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("exited");
                });

            int tid = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("cycles", "200000")).getTids(0);
            assertThatThrownBy(() -> tasks.migrate("strong-0", tid, "nowhere-9", MigrationMode.SHARED_MEMORY))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));

            // two migrations of one thread at once: one moves it, the other is refused ("under way"), or finds it moved
            int underWay = 0;
            String at = "strong-0";
            java.util.concurrent.ExecutorService racers = java.util.concurrent.Executors.newFixedThreadPool(2);
            for (int round = 0; round < 30 && (underWay == 0 || round < 6); round++) {
                String to = at.equals("strong-0") ? "spare-0" : "strong-0";
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<CompletableFuture<MigrateReply>> both = new java.util.ArrayList<>();
                for (MigrationMode mode : List.of(MigrationMode.MESSAGES, MigrationMode.SHARED_MEMORY)) {
                    String via = at; // both to the owner: they race for the thread's ownership word
                    both.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return tasks.migrate(via, tid, to, mode);
                    }, racers)); // two threads of their own: the common pool has one worker on a 2-core machine
                }
                go.countDown();
                int succeeded = 0;
                for (CompletableFuture<MigrateReply> attempt : both) {
                    try {
                        assertThat(attempt.get(60, TimeUnit.SECONDS).getTo()).isEqualTo(to);
                        succeeded++;
                    } catch (java.util.concurrent.ExecutionException e) {
                        StatusRuntimeException refused = (StatusRuntimeException) e.getCause();
                        String why = refused.getStatus().getDescription();
                        // refused while the other one moves it, or it found the thread moved (already there, or owned elsewhere by now)
                        assertThat(why).as(refused.toString()).containsAnyOf("already under way", "already runs on", "is now owned by");
                        if (why.contains("already under way")) {
                            assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                            underWay++;
                        }
                    }
                }
                assertThat(succeeded).as("round " + round + ": exactly one of the two moved it").isEqualTo(1);
                at = to;
                String expected = to;
                tasks.await("spare-0", tid, t -> t.getKernel().equals(expected) && t.getMigratingTo() < 0, Duration.ofSeconds(10), "on " + to);
            }
            racers.shutdownNow();
            assertThat(underWay).as("a migration refused because another one was under way").isPositive();

            // a dead destination
            if (!at.equals("strong-0")) {
                tasks.migrate("spare-0", tid, "strong-0", MigrationMode.SHARED_MEMORY);
            }
            cluster.kill9("weak-0");
            cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
            TaskInfo after = tasks.await("strong-0", tid, t -> t.getKernel().equals("strong-0"), Duration.ofSeconds(30), "on strong-0");
            TaskInfo later = tasks.await("spare-0", tid, t -> t.getSteps() > after.getSteps() + 10, Duration.ofSeconds(30), "running");
            assertThat(later.getState()).isIn("RUNNING", "READY");

            assertThatThrownBy(() -> tasks.migrate("strong-0", tid, "weak-0", MigrationMode.SHARED_MEMORY))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("DEAD");
                });
            assertThat(tasks.migrate("spare-0", tid, "spare-0", MigrationMode.MESSAGES).getTo()).isEqualTo("spare-0");
            tasks.await("strong-0", tid, t -> t.getKernel().equals("spare-0"), Duration.ofSeconds(10), "on spare-0");
        }
    }

    @Test
    @Timeout(420)
    void aMigrationRacingTheDestinationsDeathEitherCompletesOrLeavesTheThreadWhereItWas(TestInfo test) throws Exception {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(List.of(STRONG, WEAK)), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            int completed = 0;
            int failed = 0;
            for (int round = 0; round < 4; round++) {
                int tid = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("cycles", "100000")).getTids(0);
                tasks.await("strong-0", tid, t -> t.getSteps() > 5, Duration.ofSeconds(30), "running");
                MigrationMode mode = round % 2 == 0 ? MigrationMode.SHARED_MEMORY : MigrationMode.MESSAGES;
                CompletableFuture<MigrateReply> migration = CompletableFuture.supplyAsync(() -> tasks.migrate("strong-0", tid, "weak-0", mode));
                TimeUnit.MILLISECONDS.sleep(ThreadLocalRandom.current().nextInt(0, 15));
                cluster.kill9("weak-0");
                boolean reached;
                try {
                    MigrateReply reply;
                    try {
                        reply = migration.get(60, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new AssertionError("the migration neither completed nor failed within 60 s; strong-0's threads:\n"
                            + threadDump(cluster.pid("strong-0")), e);
                    }
                    assertThat(reply.getTo()).isEqualTo("weak-0");
                    reached = true;
                    completed++;
                } catch (java.util.concurrent.ExecutionException e) {
                    // strong-0 answers that the migration failed, naming the destination, and keeps the thread: refused at
                    // once for a destination already DEAD, or a hand-off that broke off (not strong-0's own failure)
                    assertThat(e.getCause()).isInstanceOfSatisfying(StatusRuntimeException.class, refused -> {
                        assertThat(refused.getStatus().getCode()).as(refused.toString())
                            .isIn(Status.Code.FAILED_PRECONDITION, Status.Code.UNAVAILABLE);
                        assertThat(refused.getStatus().getDescription()).as(refused.toString()).contains("weak-0")
                            .containsAnyOf("keeps running on strong-0", "refused thread " + tid);
                    });
                    reached = false;
                    failed++;
                }
                cluster.awaitState("weak-0", "DEAD", Duration.ofSeconds(30));
                if (reached) {
                    TaskInfo lost = tasks.await("strong-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(30),
                        "marked lost with its dead kernel");
                    assertThat(lost.getExitCode()).isEqualTo(137);
                } else {
                    TaskInfo here = tasks.await("strong-0", tid, t -> t.getKernel().equals("strong-0") && t.getMigratingTo() < 0,
                        Duration.ofSeconds(10), "back on strong-0");
                    tasks.await("strong-0", tid, t -> t.getSteps() > here.getSteps() + 5, Duration.ofSeconds(30), "running on strong-0");
                }
                cluster.restart("weak-0");
            }
            // strong-0, never restarted, counted the threads that left it: those the test saw arrive, no more
            assertThat(counter(cluster, "strong-0", KernelCounter.MIGRATIONS_OUT.label())).as(completed + " reached weak-0, " + failed + " failed")
                .isEqualTo(completed);
        }
    }

    /** The threads of a JVM (jcmd Thread.print), for a failure message. */
    static String threadDump(long pid) {
        try {
            // into a file, not a pipe read before waitFor: a jcmd that hangs cannot hang the test
            java.nio.file.Path file = java.nio.file.Files.createTempFile("thread-dump-" + pid, ".txt");
            try {
                Process jcmd = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "Thread.print").redirectErrorStream(true).redirectOutput(file.toFile()).start();
                if (!jcmd.waitFor(30, TimeUnit.SECONDS)) {
                    jcmd.destroyForcibly();
                    return "(jcmd did not finish within 30 s; what it wrote:)\n" + java.nio.file.Files.readString(file);
                }
                return java.nio.file.Files.readString(file);
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (java.io.IOException | InterruptedException e) {
            return "(no thread dump: " + e + ")";
        }
    }
}
