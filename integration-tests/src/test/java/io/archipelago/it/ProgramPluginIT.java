package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.testing.MiniCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A program written outside the repository, as a user writes one: compiled here against program-api, put in a jar with
 * its ServiceLoader entry, handed to {@code archipelago up --programs}, listed by {@code programs}, run, migrated from an
 * x86_64 kernel to an armv7 one by shared memory and back by messages, and ending with its state intact.
 */
class ProgramPluginIT {

    private static final Duration CLI = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROGRAM = """
        package example;

        import io.archipelago.program.Program;
        import io.archipelago.program.ProgramArgs;
        import io.archipelago.program.Step;
        import io.archipelago.program.ThreadContext;
        import java.util.Set;

        /** Adds 1..n, one number per step, in its registers; exits 42 if the sum is n(n+1)/2, else 1. */
        public final class TriangleSum implements Program {
            public String name() { return "triangle"; }
            public String summary() { return "adds 1..n, one number per step (n=N); exits 42 when the sum is right"; }
            public void start(ThreadContext thread, ProgramArgs args) {
                args.allowOnly(Set.of("n"));
                thread.reg(0, args.number("n", 1000));
                thread.reg(1, 0);
                thread.reg(2, 0);
            }
            public Step step(ThreadContext thread) {
                long i = thread.reg(1) + 1;
                long sum = thread.reg(2) + i;
                thread.reg(1, i);
                thread.reg(2, sum);
                long n = thread.reg(0);
                return i < n ? Step.next(1_000_000) : Step.exit(1_000, sum == n * (n + 1) / 2 ? 42 : 1);
            }
        }
        """;

    private Path home;
    private String[] where;

    @BeforeEach
    void home() {
        home = MiniCluster.newRoot();
        where = new String[] {"--home", home.toString(), "--cluster", "plugins"};
    }

    @AfterEach
    void down() {
        Cli.run(CLI, concat(where, "down"));
        MiniCluster.deleteRecursively(home);
    }

    @Test
    @Timeout(400)
    void aUsersProgramRunsAndMigratesBetweenAbisWithItsStateIntact() throws Exception {
        Path jar = buildProgramJar(home.resolve("build"));
        cli("up", "--detach", "--programs", jar.toString());

        JsonNode programs = JSON.readTree(cli("programs", "--json").out());
        assertThat(programs.get("kernels")).hasSize(2).allSatisfy(kernel -> assertThat(kernel.get("programs"))
            .anySatisfy(p -> {
                assertThat(p.get("name").asText()).isEqualTo("triangle");
                assertThat(p.get("source").asText()).isEqualTo("my-programs.jar");
            }));

        int tid = JSON.readTree(cli("run", "triangle", "--on", "strong-0", "--arg", "n=20000", "--json").out())
            .get("threads").get(0).get("tid").asInt();
        assertThat(cli("migrate", Integer.toString(tid), "--to", "weak-0").out()).contains("strong-0 -> weak-0");
        assertThat(cli("migrate", Integer.toString(tid), "--to", "strong-0", "--by", "messages").out()).contains("weak-0 -> strong-0");

        JsonNode done = awaitExited(tid, Duration.ofSeconds(120));
        assertThat(done.get("exit_code").asInt()).as("the sum survived two migrations between x86_64 and armv7: " + done).isEqualTo(42);
        assertThat(done.get("migrations").asInt()).isEqualTo(2);

        Cli.Result unknown = Cli.run(CLI, concat(where, "run", "no-such-program"));
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("no program 'no-such-program'").contains("triangle");
    }

    private JsonNode awaitExited(int tid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() - deadline < 0) {
            for (JsonNode task : JSON.readTree(cli("ps", "--all", "--json").out()).get("tasks")) {
                if (task.get("tid").asInt() == tid) {
                    last = task;
                    if (task.get("state").asText().equals("EXITED")) {
                        return task;
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        throw new AssertionError("thread " + tid + " did not exit within " + timeout.toSeconds() + " s; last seen: " + last);
    }

    /** Compiles the program against the program API (on this test's class path) and jars it with its ServiceLoader entry. */
    private static Path buildProgramJar(Path dir) throws Exception {
        return ProgramJars.build(dir, "my-programs.jar", java.util.Map.of("example.TriangleSum", PROGRAM));
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
