package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.coordinator.config.ClusterConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code archipelago bench mailbox} as a user runs it, in its own JVM: the CI smoke run
 * ({@code --quick}) on a temporary cluster over each transport, and a short run against a
 * running cluster. Asserts the report is complete and consistent, not the machine's speed.
 */
@Timeout(400)
class BenchMailboxIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void quickRunOverTcpReportsRoundTripsBaselineRatioAndThroughput() throws Exception {
        quickRun("tcp");
    }

    @Test
    void quickRunOverUnixSockets() throws Exception {
        quickRun("unix");
    }

    private void quickRun(String transport) throws Exception {
        long start = System.nanoTime();
        Cli.Result result = Cli.run(Duration.ofSeconds(150), "bench", "mailbox", "--quick", "--json", "--transport", transport);
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertThat(result.exitCode()).as(result.toString()).isZero();
        System.out.println("bench mailbox --quick --transport " + transport + " took " + seconds + " s:\n" + result.out());
        JsonNode report = JSON.readTree(result.out());
        assertComplete(report, transport, 20_000);
        assertThat(report.get("temporary_cluster").asBoolean()).isTrue();
        assertThat(report.get("fifo_depth").asInt()).isEqualTo(4);
        assertThat(report.get("loop_spin_us").asInt()).as("the kernels' default loop poll window").isEqualTo(50);
        assertThat(report.get("loop_poll").asText()).isEqualTo("idle-core");
        assertThat(report.get("receiver_poll_hits").asLong()).as("a count, whatever the host's load").isNotNegative();
        assertThat(result.err()).contains("booting a temporary cluster");
    }

    @Test
    void measuresARunningCluster() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(ClusterConfig.k2Default(), "bench-running")) {
            Cli.Result result = Cli.run(Duration.ofSeconds(150), "bench", "mailbox", "--json", "--cluster",
                cluster.coordinator().config().cluster(), "--home", cluster.root().toString(), "--round-trips", "3000", "--warmup", "1000",
                "--throughput-words", "5000");
            assertThat(result.exitCode()).as(result.toString()).isZero();
            JsonNode report = JSON.readTree(result.out());
            assertComplete(report, "shm", 3000); // the default: both kernels map the cluster's memory
            assertThat(report.get("temporary_cluster").asBoolean()).isFalse();
            assertThat(report.get("cluster").asText()).isEqualTo(cluster.coordinator().config().cluster());
            // the benchmark's words are in the kernels' own counters: 1000 warm-up + 2 x 3000 measured + the stream's final PING + ...
            assertThat(cluster.kernel("strong-0").getCountersList()).anySatisfy(c -> {
                assertThat(c.getLabel()).isEqualTo("mailbox.sent.PING");
                assertThat(c.getValue()).isGreaterThanOrEqualTo(7000);
            });
            // the cluster is still there, untouched
            assertThat(cluster.kernel("weak-0").getState()).isEqualTo("RUNNING");
            Cli.Result wrongTransport = Cli.run(Duration.ofSeconds(60), "bench", "mailbox", "--cluster",
                cluster.coordinator().config().cluster(), "--home", cluster.root().toString(), "--transport", "unix", "--round-trips", "10",
                "--warmup", "0", "--rounds", "1", "--throughput-words", "10");
            assertThat(wrongTransport.exitCode()).isNotZero();
            assertThat(wrongTransport.err()).contains("runs its mailbox over shm, not unix");
        }
    }

    private static void assertComplete(JsonNode report, String transport, int roundTrips) {
        assertThat(report.get("transport").asText()).isEqualTo(transport);
        assertThat(report.get("round_trips").asInt()).isEqualTo(roundTrips);
        for (String kind : new String[] {"mailbox_rtt_us", "requester_rtt_us", "baseline_rtt_us"}) {
            JsonNode rtt = report.get(kind);
            assertThat(rtt).as(kind).isNotNull();
            assertThat(rtt.get("count").asLong()).as(kind + " count").isEqualTo(roundTrips);
            double p50 = rtt.get("p50").asDouble();
            assertThat(p50).as(kind + " p50").isPositive();
            assertThat(rtt.get("p99").asDouble()).as(kind + " p99").isGreaterThanOrEqualTo(p50);
            assertThat(rtt.get("p999").asDouble()).as(kind + " p999").isGreaterThanOrEqualTo(rtt.get("p99").asDouble());
        }
        double ratio = report.get("ratio_p50").asDouble();
        assertThat(ratio).isCloseTo(report.get("mailbox_rtt_us").get("p50").asDouble() / report.get("baseline_rtt_us").get("p50").asDouble(),
            org.assertj.core.data.Offset.offset(0.01));
        assertThat(report.get("target_met").asBoolean()).isEqualTo(ratio <= 1.5);
        assertThat(report.get("throughput_words_per_s").asLong()).isPositive();
        assertThat(report.get("baseline_throughput_words_per_s").asLong()).isPositive();
        assertThat(report.get("receiver_nop_out_of_order").asLong()).isZero();
        assertThat(report.get("receiver_drops").asLong()).isZero();
    }
}
