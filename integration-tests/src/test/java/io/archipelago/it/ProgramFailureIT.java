package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.testing.MiniCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A user's program that throws, on a cluster started from the CLI with its jar named by the cluster YAML's
 * {@code programs} key: its thread fails (exit code -1) with the exception's message and stack trace in
 * {@code ps --all} (text and JSON) and in the kernel's log, and the kernel runs on: it then runs another
 * program to the end. After the failed thread's slot is reclaimed, {@code ps --all} still shows it (RECLAIMED) with
 * its failure, while the thread that ended well is gone.
 */
class ProgramFailureIT {

    private static final Duration CLI = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String THROWER = """
        package example;

        import io.archipelago.program.Program;
        import io.archipelago.program.ProgramArgs;
        import io.archipelago.program.Step;
        import io.archipelago.program.ThreadContext;

        /** Counts steps in register 0 and throws at step 3. */
        public final class Thrower implements Program {
            public String name() { return "thrower"; }
            public String summary() { return "throws at its third step"; }
            public void start(ThreadContext thread, ProgramArgs args) { thread.reg(0, 0); }
            public Step step(ThreadContext thread) {
                long step = thread.reg(0) + 1;
                thread.reg(0, step);
                if (step == 3) {
                    explode(thread);
                }
                return Step.next(1_000);
            }
            private static void explode(ThreadContext thread) {
                throw new IllegalStateException("list node 7 is corrupt on " + thread.kernelName());
            }
        }
        """;
    private static final String ADDER = """
        package example;

        import io.archipelago.program.Program;
        import io.archipelago.program.ProgramArgs;
        import io.archipelago.program.Step;
        import io.archipelago.program.ThreadContext;

        /** Ten steps, then exits 42. */
        public final class Adder implements Program {
            public String name() { return "adder"; }
            public String summary() { return "ten steps, then exit 42"; }
            public void start(ThreadContext thread, ProgramArgs args) { thread.reg(0, 0); }
            public Step step(ThreadContext thread) {
                long step = thread.reg(0) + 1;
                thread.reg(0, step);
                return step < 10 ? Step.next(1_000) : Step.exit(1_000, 42);
            }
        }
        """;

    private Path home;
    private String[] where;

    @BeforeEach
    void home() {
        home = MiniCluster.newRoot();
        where = new String[] {"--home", home.toString(), "--cluster", "failures"};
    }

    @AfterEach
    void down() {
        Cli.run(CLI, concat(where, "down"));
        MiniCluster.deleteRecursively(home);
    }

    @Test
    @Timeout(300)
    void aProgramThatThrowsFailsItsThreadWithItsStackTraceAndTheKernelRunsOn() throws Exception {
        Path config = home.resolve("conf/cluster.yaml");
        ProgramJars.build(home.resolve("conf"), "lib/my-programs.jar", Map.of("example.Thrower", THROWER, "example.Adder", ADDER));
        Files.writeString(config, """
            heartbeat: {interval-ms: 200, dead-after-ms: 3000}
            programs: [lib/]
            """);
        cli("up", "--detach", "-c", config.toString(), "--boot-timeout-s", "180");

        int tid = JSON.readTree(cli("run", "thrower", "--on", "strong-0", "--json").out()).get("threads").get(0).get("tid").asInt();
        JsonNode failed = awaitExited(tid, Duration.ofSeconds(60));
        assertThat(failed.get("exit_code").asInt()).isEqualTo(-1);
        assertThat(failed.get("failure").asText()).as("ps --all --json: " + failed)
            .startsWith("java.lang.IllegalStateException: list node 7 is corrupt on strong-0")
            .contains("example.Thrower.explode(Thrower.java:").contains("example.Thrower.step(Thrower.java:");
        String table = cli("ps", "--all").out();
        assertThat(table).contains("thread " + tid + " (thrower) failed on strong-0, exit code -1:")
            .contains("  java.lang.IllegalStateException: list node 7 is corrupt on strong-0")
            .contains("example.Thrower.explode(Thrower.java:");

        String log = Files.readString(kernelLog("strong-0"));
        assertThat(log).contains("thread " + tid).contains("(thrower) failed, exit code -1; the kernel carries on")
            .contains("java.lang.IllegalStateException: list node 7 is corrupt on strong-0")
            .contains("example.Thrower.explode(Thrower.java:");

        assertThat(JSON.readTree(cli("status", "--json").out()).get("kernels")).allSatisfy(k ->
            assertThat(k.get("state").asText()).as(k.toString()).isEqualTo("RUNNING"));
        int next = JSON.readTree(cli("run", "adder", "--on", "strong-0", "--json").out()).get("threads").get(0).get("tid").asInt();
        JsonNode done = awaitExited(next, Duration.ofSeconds(60));
        assertThat(done.get("exit_code").asInt()).as("the kernel ran another program after the failure: " + done).isEqualTo(42);
        assertThat(done.has("failure")).isFalse();

        // The failed thread's slot is reclaimed a few seconds after its process ended: its failure stays in ps --all.
        JsonNode reclaimed = awaitState(tid, List.of("RECLAIMED"), Duration.ofSeconds(60));
        assertThat(List.of(reclaimed.get("program").asText(), reclaimed.get("kernel").asText())).containsExactly("thrower", "strong-0");
        assertThat(reclaimed.get("exit_code").asInt()).isEqualTo(-1);
        assertThat(reclaimed.get("failure").asText()).as("ps --all --json after the reclaim: " + reclaimed)
            .startsWith("java.lang.IllegalStateException: list node 7 is corrupt on strong-0")
            .contains("example.Thrower.explode(Thrower.java:");
        assertThat(cli("ps", "--all").out()).contains("RECLAIMED (-1)")
            .contains("thread " + tid + " (thrower) failed on strong-0, exit code -1:")
            .contains("  java.lang.IllegalStateException: list node 7 is corrupt on strong-0");
        // The thread that ended well goes with its slot: only failures are kept.
        awaitGone(next, Duration.ofSeconds(60));
    }

    private Path kernelLog(String kernel) throws Exception {
        try (Stream<Path> files = Files.walk(home)) {
            return files.filter(p -> p.getFileName().toString().equals(kernel + ".log")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kernel + ".log under " + home));
        }
    }

    /** Exited: EXITED while its slot is in the table, RECLAIMED (failed threads only) once it is freed. */
    private JsonNode awaitExited(int tid, Duration timeout) throws Exception {
        return awaitState(tid, List.of("EXITED", "RECLAIMED"), timeout);
    }

    private void awaitGone(int tid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() - deadline < 0) {
            last = null;
            for (JsonNode task : JSON.readTree(cli("ps", "--all", "--json").out()).get("tasks")) {
                if (task.get("tid").asInt() == tid) {
                    last = task;
                }
            }
            if (last == null) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new AssertionError("thread " + tid + " was still in ps --all " + timeout.toSeconds() + " s on: " + last);
    }

    private JsonNode awaitState(int tid, List<String> states, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() - deadline < 0) {
            for (JsonNode task : JSON.readTree(cli("ps", "--all", "--json").out()).get("tasks")) {
                if (task.get("tid").asInt() == tid) {
                    last = task;
                    if (states.contains(task.get("state").asText())) {
                        return task;
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new AssertionError("thread " + tid + " was not " + String.join(" or ", states) + " within " + timeout.toSeconds()
            + " s; last seen: " + last);
    }

    private Cli.Result cli(String... args) {
        Cli.Result result = Cli.run(CLI, concat(where, args));
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result;
    }

    private static String[] concat(String[] where, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(List.of(where));
        return all.toArray(String[]::new);
    }
}
