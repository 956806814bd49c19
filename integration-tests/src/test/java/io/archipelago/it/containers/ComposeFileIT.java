package io.archipelago.it.containers;

import io.archipelago.testing.containers.ArchipelagoImage;
import io.archipelago.testing.containers.ComposeProject;
import io.archipelago.testing.containers.ClusterView;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.it.ProgramJars;
import io.archipelago.testing.MiniCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The repository's {@code docker-compose.yml} as a user runs it: {@code docker-compose up}, then
 * {@code docker-compose exec coordinator archipelago status}, then {@code --scale weak=2}; with
 * {@code docker/compose-programs.yml} mounting a directory of the user's program jars, whose program
 * the kernel containers run and migrate between x86_64 and armv7 with its state intact, and
 * {@code docker/compose-secret.yml} handing in the user's own cluster secret, both files at once.
 */
@ContainerSuite(compose = true)
@Timeout(360)
class ComposeFileIT {

    static final Duration BOOT = Duration.ofSeconds(150);

    /** Adds 1..n in its registers, one number per step; exits 42 when the sum is n(n+1)/2. */
    private static final String TRIANGLE = """
        package example;

        import io.archipelago.program.Program;
        import io.archipelago.program.ProgramArgs;
        import io.archipelago.program.Step;
        import io.archipelago.program.ThreadContext;

        public final class TriangleSum implements Program {
            public String name() { return "triangle"; }
            public String summary() { return "adds 1..n, one number per step; exits 42 when the sum is right"; }
            public void start(ThreadContext thread, ProgramArgs args) {
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
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void composeUpFormsK2sClusterAndScalingTheWeakIslandAddsAKernelThatJoins() throws Exception {
        Path programs = programsVolume();
        byte[] secretBytes = new byte[32];
        new SecureRandom().nextBytes(secretBytes);
        String secret = HexFormat.of().formatHex(secretBytes);
        Path secretFile = programs.getParent().resolve("archipelago.secret");
        Files.writeString(secretFile, secret + "\n");
        Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-r--r--"));
        // Both override files at once: neither replaces the coordinator's command, so they combine.
        try (ComposeProject compose = new ComposeProject("compose-up", List.of("docker/compose-programs.yml", "docker/compose-secret.yml"),
                Map.of("ARCHIPELAGO_PROGRAMS", programs.toString(), "ARCHIPELAGO_SECRET_FILE", secretFile.toString()))) {
            compose.compose("up", "-d", "--no-build");

            ClusterView up = compose.awaitView(view -> view.island("strong").size() == 1 && view.island("weak").size() == 1
                && view.kernels().stream().allMatch(ClusterView.Kernel::running), "strong and weak RUNNING", BOOT);
            ClusterView.Kernel strong = up.island("strong").getFirst();
            ClusterView.Kernel weak = up.island("weak").getFirst();
            assertThat(up.cluster()).isEqualTo("k2");
            assertThat(List.of(strong.dataModel(), strong.domain())).containsExactly("x86_64", "a");
            assertThat(List.of(weak.dataModel(), weak.domain())).containsExactly("armv7", "b");
            // Both kernels heartbeat into the one global memory on the shared tmpfs volume: younger than the silence after
            // which the coordinator would declare them DEAD (the bound that matters, whatever the host's load).
            assertThat(strong.heartbeatAgeMs()).isBetween(0L, ContainerClusterIT.DEAD_AFTER.toMillis());
            assertThat(weak.heartbeatAgeMs()).isBetween(0L, ContainerClusterIT.DEAD_AFTER.toMillis());
            // docker/cluster.yaml splits memory for 1 strong + 3 weak kernels: a quarter each, half stays free.
            int share = up.dataBlocks() / 4;
            assertThat(strong.blocks()).isEqualTo(share);
            assertThat(weak.blocks()).isEqualTo(share);
            assertThat(up.freeBlocks()).isEqualTo(up.dataBlocks() - 2 * share);
            // They are in different containers: different hosts (the containers' names on the compose network).
            assertThat(strong.host()).isNotEqualTo(weak.host());

            // The secret of compose-secret.yml is the cluster's: the coordinator adopted it, the kernels joined with it.
            assertThat(compose.compose("exec", "-T", "coordinator", "cat", "/var/lib/archipelago/k2/secret").out().strip())
                .as("the cluster secret in the cluster directory").isEqualTo(secret);

            // The human-readable status, as the README shows it.
            String table = compose.compose("exec", "-T", "coordinator", "archipelago", "status").out();
            assertThat(table).contains(strong.name(), weak.name(), "RUNNING", "x86_64", "armv7");

            // The jar of the mounted directory: every kernel container loaded it; its program migrates with its state.
            JsonNode listed = JSON.readTree(compose.compose("exec", "-T", "coordinator", "archipelago", "programs", "--json").out());
            assertThat(listed.get("kernels")).hasSize(2).allSatisfy(kernel -> assertThat(kernel.get("programs"))
                .anySatisfy(p -> assertThat(p.get("source").asText()).isEqualTo("my-programs.jar")));
            int tid = JSON.readTree(compose.compose("exec", "-T", "coordinator", "archipelago", "run", "triangle", "--on", strong.name(),
                "--arg", "n=5000", "--json").out()).get("threads").get(0).get("tid").asInt();
            assertThat(compose.compose("exec", "-T", "coordinator", "archipelago", "migrate", Integer.toString(tid), "--to", weak.name())
                .out()).contains(strong.name() + " -> " + weak.name());
            JsonNode done = awaitExited(compose, tid, BOOT);
            assertThat(done.get("exit_code").asInt()).as("the sum survived the migration x86_64 -> armv7: " + done).isEqualTo(42);
            assertThat(done.get("kernel").asText()).isEqualTo(weak.name());

            compose.compose("up", "-d", "--no-build", "--scale", "weak=2");
            ClusterView scaled = compose.awaitView(view -> view.island("weak").size() == 2
                && view.kernels().stream().allMatch(ClusterView.Kernel::running), "two weak kernels RUNNING", BOOT);
            ClusterView.Kernel joined = scaled.island("weak").stream().filter(k -> k.id() != weak.id()).findFirst().orElseThrow();
            assertThat(joined.name()).isEqualTo("weak-" + joined.id());
            assertThat(joined.blocks()).isEqualTo(share);
            assertThat(scaled.freeBlocks()).isEqualTo(up.dataBlocks() - 3 * share);
            assertThat(scaled.kernel(strong.name()).orElseThrow().running()).isTrue();
        }
    }

    /** A directory of program jars as a user keeps one, readable by the image's user (uid 10001). */
    private static Path programsVolume() throws Exception {
        Path build = ArchipelagoImage.sourceRoot().resolve("integration-tests/target/compose-programs");
        MiniCluster.deleteRecursively(build);
        Path jar = ProgramJars.build(build, "jars/my-programs.jar", Map.of("example.TriangleSum", TRIANGLE));
        Files.setPosixFilePermissions(jar.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
        return jar.getParent();
    }

    private static JsonNode awaitExited(ComposeProject compose, int tid, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() - deadline < 0) {
            for (JsonNode task : JSON.readTree(compose.compose("exec", "-T", "coordinator", "archipelago", "ps", "--all", "--json").out())
                    .get("tasks")) {
                if (task.get("tid").asInt() == tid) {
                    last = task;
                    if (task.get("state").asText().equals("EXITED")) {
                        return task;
                    }
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
        throw new AssertionError("thread " + tid + " did not exit within " + timeout.toSeconds() + " s; last seen: " + last
            + "\n" + compose.logs());
    }
}
