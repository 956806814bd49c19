package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.Cluster;
import io.archipelago.testing.junit.ClusterExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code archipelago run / ps / migrate / kill} as a user runs them, each its own process, against a real cluster
 * (given by {@link ClusterExtension}, as users' own tests get theirs).
 */
@ExtendWith(ClusterExtension.class)
class TasksCliIT {

    private static final Duration CLI = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** K2's platform; a kernel is declared DEAD after 3 s of silence, not 1 s: other builds share this 2-core machine. */
    @Test
    @Timeout(400)
    void runPsMigrateKill(@Cluster(yaml = "heartbeat: {interval-ms: 200, dead-after-ms: 3000}") MiniCluster cluster) throws Exception {
        String name = cluster.coordinator().config().cluster();
        String[] where = {"--home", cluster.root().toString(), "--cluster", name};

        Cli.Result run = cli(where, "run", "mail-sync", "--threads", "1", "--nightwatch", "1", "--arg", "period-ms=10", "--json");
        JsonNode process = JSON.readTree(run.out());
        int pid = process.get("pid").asInt();
        List<String> kinds = new ArrayList<>();
        process.get("threads").forEach(t -> kinds.add(t.get("kind").asText() + "@" + t.get("kernel").asText()));
        assertThat(kinds).containsExactly("normal@strong-0", "nightwatch@weak-0");

        // a kernel is named by its name or by the id `status` prints
        String weakId = Integer.toString(cluster.kernelId("weak-0"));
        Cli.Result counter = cli(where, "run", "counter", "--on", weakId, "--arg", "cycles=50000", "--json");
        int tid = JSON.readTree(counter.out()).get("threads").get(0).get("tid").asInt();
        assertThat(JSON.readTree(counter.out()).get("threads").get(0).get("kernel").asText()).isEqualTo("weak-0");
        Cli.Result nowhere = Cli.run(CLI, concat(where, "run", "counter", "--on", "42"));
        assertThat(nowhere.exitCode()).as(nowhere.toString()).isEqualTo(1);
        assertThat(nowhere.err()).contains("no kernel named or numbered '42'").contains("weak-0 (" + weakId + ")");

        JsonNode ps = JSON.readTree(cli(where, "ps", "--json").out());
        assertThat(ps.get("tasks")).hasSize(3);
        for (JsonNode task : ps.get("tasks")) {
            for (String field : List.of("pid", "tid", "program", "kind", "kernel", "state", "steps")) {
                assertThat(task.has(field)).as(field + " in " + task).isTrue();
            }
            assertThat(task.get("state").asText()).isIn("RUNNING", "READY", "BLOCKED", "SUSPENDED");
        }
        assertThat(ps.get("tasks")).anySatisfy(t -> {
            assertThat(t.get("pid").asInt()).isEqualTo(pid);
            assertThat(t.get("kind").asText()).isEqualTo("nightwatch");
            assertThat(t.get("kernel").asText()).isEqualTo("weak-0");
        });
        assertThat(cli(where, "ps").out()).contains("PID").contains("mail-sync").contains("counter").contains("nightwatch");

        JsonNode moved = JSON.readTree(cli(where, "migrate", Integer.toString(tid), "--to", "strong-0", "--json").out());
        assertThat(moved.get("from").asText()).isEqualTo("weak-0");
        assertThat(moved.get("to").asText()).isEqualTo("strong-0");
        assertThat(moved.get("by").asText()).isEqualTo("shared-memory");
        Cli.Result back = cli(where, "migrate", Integer.toString(tid), "--to", "weak-0", "--by", "messages");
        assertThat(back.out()).contains("strong-0 -> weak-0 by messages");

        Cli.Result unknown = Cli.run(CLI, concat(where, "migrate", "424242", "--to", "weak-0"));
        assertThat(unknown.exitCode()).as(unknown.toString()).isEqualTo(1);
        assertThat(unknown.err()).contains("no thread 424242");
        int nightWatchTid = process.get("threads").get(1).get("tid").asInt();
        Cli.Result pinned = Cli.run(CLI, concat(where, "migrate", Integer.toString(nightWatchTid), "--to", "strong-0"));
        assertThat(pinned.exitCode()).as(pinned.toString()).isEqualTo(1);
        assertThat(pinned.err()).contains("NightWatch thread").contains("weak islands");
        Cli.Result badMode = Cli.run(CLI, concat(where, "migrate", Integer.toString(tid), "--to", "strong-0", "--by", "telepathy"));
        assertThat(badMode.err()).contains("expected shared-memory or messages");

        Cli.Result killed = cli(where, "kill", Integer.toString(tid));
        assertThat(killed.out()).contains("thread " + tid + " ended on weak-0");
        JsonNode all = JSON.readTree(cli(where, "ps", "--all", "--json").out());
        assertThat(all.get("tasks")).anySatisfy(t -> {
            assertThat(t.get("tid").asInt()).isEqualTo(tid);
            assertThat(t.get("state").asText()).isEqualTo("EXITED");
            assertThat(t.get("exit_code").asInt()).isEqualTo(143);
            assertThat(t.get("migrations").asInt()).isEqualTo(2);
        });
        Cli.Result again = Cli.run(CLI, concat(where, "kill", Integer.toString(tid)));
        assertThat(again.err()).contains("already exited");
    }

    private static Cli.Result cli(String[] where, String... args) {
        Cli.Result result = Cli.run(CLI, concat(where, args));
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result;
    }

    private static String[] concat(String[] where, String... args) {
        String[] all = new String[args.length + where.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(where, 0, all, args.length, where.length);
        return all;
    }
}
