package io.archipelago.it.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.it.Cli;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.Cluster;
import io.archipelago.testing.junit.ClusterExtension;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code archipelago faults} as a user runs it, each call its own process, against a real cluster. */
@ExtendWith(ClusterExtension.class)
class FaultsCliIT {

    private static final Duration CLI = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(400)
    void linkFaultsCutsAndArmedPointsFromTheCommandLine(@Cluster(yaml = "heartbeat: {interval-ms: 200, dead-after-ms: 3000}")
                                                        MiniCluster cluster) throws Exception {
        String[] where = {"--home", cluster.root().toString(), "--cluster", cluster.coordinator().config().cluster()};
        int weak = cluster.kernelId("weak-0");
        int strong = cluster.kernelId("strong-0");
        assertThat(ping(cluster, "strong-0", weak)).as("before any fault").isTrue();

        JsonNode link = JSON.readTree(cli(where, "faults", "link", "strong-0", "weak-0", "--drop", "1", "--seed", "7", "--json").out());
        assertThat(link.at("/kernels/0/kernel").asText()).isEqualTo("weak-0");
        assertThat(link.at("/kernels/0/rules/0/from").asText()).isEqualTo("strong-0");
        assertThat(link.at("/kernels/0/seed").asLong()).isEqualTo(7);
        assertThat(ping(cluster, "strong-0", weak)).as("every word from strong-0 to weak-0 dropped").isFalse();
        assertThat(ping(cluster, "weak-0", strong)).as("weak-0's PING arrives, strong-0's PONG is dropped").isFalse();
        cli(where, "faults", "heal", "--all");
        assertThat(ping(cluster, "strong-0", weak)).as("healed").isTrue();

        JsonNode shown = JSON.readTree(cli(where, "faults", "--json").out());
        JsonNode weakState = null;
        for (JsonNode k : shown.get("kernels")) {
            if (k.get("kernel").asText().equals("weak-0")) {
                weakState = k;
            }
        }
        assertThat(weakState).isNotNull();
        assertThat(weakState.get("words_dropped").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(weakState.get("rules")).isEmpty();

        cli(where, "faults", "cut", Integer.toString(weak));
        assertThat(ping(cluster, "strong-0", weak)).isFalse();
        assertThat(ping(cluster, "weak-0", strong)).isFalse();
        cli(where, "faults", "heal", "weak-0");
        assertThat(ping(cluster, "weak-0", strong)).as("joined again").isTrue();

        JsonNode armed = JSON.readTree(cli(where, "faults", "arm", "weak-0", "dsm.mid-write-back", "stop", "--delay-ms", "5", "--json").out());
        assertThat(armed.at("/kernels/0/armed/dsm.mid-write-back").asText()).isEqualTo("stop@5");
        Cli.Result badPoint = Cli.run(CLI, concat(where, "faults", "arm", "weak-0", "dsm.nowhere", "crash"));
        assertThat(badPoint.exitCode()).as(badPoint.toString()).isEqualTo(1);
        assertThat(badPoint.err()).contains("no fault point 'dsm.nowhere'").contains("dsm.mid-write-back");
        Cli.Result badRate = Cli.run(CLI, concat(where, "faults", "link", "weak-0", "strong-0", "--drop", "2"));
        assertThat(badRate.err()).contains("drop rate: expected 0 to 1, found 2.0");
        Cli.Result unknown = Cli.run(CLI, concat(where, "faults", "cut", "nobody"));
        assertThat(unknown.err()).contains("no running kernel 'nobody'").contains("weak-0");
        assertThat(Cli.run(CLI, "faults", "--help").out()).contains("arm KERNEL POINT ACTION").contains("cut KERNEL");
    }

    /** One mailbox round trip from {@code from} to kernel {@code to} within 500 ms. */
    private static boolean ping(MiniCluster cluster, String from, int to) {
        try {
            KernelMailboxGrpc.newBlockingStub(cluster.kernelControl(from).getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .ping(MailboxPingRequest.newBuilder().setPeer(to).setRoundTrips(1).setTimeoutMs(500).build());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    private static Cli.Result cli(String[] where, String... args) {
        Cli.Result result = Cli.run(CLI, concat(where, args));
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result;
    }

    private static String[] concat(String[] where, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(where)); // after the subcommand: each subcommand takes the cluster options itself
        return all.toArray(String[]::new);
    }
}
