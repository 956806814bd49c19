package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        JsonNode report = quickRun("tcp");
        assertThat(report.get("loop_spin_us").asInt()).as("the kernels' default loop poll window").isEqualTo(50);
        assertThat(report.get("loop_poll").asText()).isEqualTo("idle-core");
        // how many words found the loop polling depends on the host's load; never more than the words it received (and its tasks)
        assertThat(report.get("receiver_poll_hits").asLong()).isBetween(0L, pollHitsAtMost(report));
    }

    @Test
    void quickRunOverUnixSocketsWithInterruptContextsThatNeverPoll() throws Exception {
        JsonNode report = quickRun("unix", "--loop-spin-us", "0");
        assertThat(report.get("loop_spin_us").asInt()).isZero();
        assertThat(report.get("receiver_poll_hits").asLong()).as("a loop that never polls is never found polling").isZero();
        assertThat(report.get("receiver_poll_yields").asLong()).isZero();
    }

    private JsonNode quickRun(String transport, String... options) throws Exception {
        long start = System.nanoTime();
        List<String> command = new ArrayList<>(List.of("bench", "mailbox", "--quick", "--json", "--transport", transport));
        command.addAll(List.of(options));
        Cli.Result result = Cli.run(Duration.ofSeconds(150), command.toArray(String[]::new));
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertThat(result.exitCode()).as(result.toString()).isZero();
        System.out.println(String.join(" ", command) + " took " + seconds + " s:\n" + result.out());
        JsonNode report = JSON.readTree(result.out());
        assertComplete(report, transport, 20_000);
        assertThat(report.get("temporary_cluster").asBoolean()).isTrue();
        assertThat(report.get("fifo_depth").asInt()).isEqualTo(4);
        assertThat(result.err()).contains("booting a temporary cluster");
        return report;
    }

    /**
     * The most poll hits the receiving kernel can count in a run: one per word it got (both warm-ups, the round trips of both
     * kinds, the stream and its last PING), plus an allowance for its loop's own tasks (timers, hand-offs), which also end a poll.
     */
    private static long pollHitsAtMost(JsonNode report) {
        return 2L * (report.get("warmup").asLong() + 1) + 2L * report.get("round_trips").asLong() + report.get("throughput_words").asLong() + 1
            + 1000;
    }

    @Test
    void measuresARunningCluster() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(ClusterConfig.k2Default(), "bench-running")) {
            long hitsBefore = counter(cluster, "weak-0", MailboxCounter.POLL_HITS.label());
            Cli.Result result = Cli.run(Duration.ofSeconds(150), "bench", "mailbox", "--json", "--cluster",
                cluster.coordinator().config().cluster(), "--home", cluster.root().toString(), "--round-trips", "3000", "--warmup", "1000",
                "--throughput-words", "5000");
            assertThat(result.exitCode()).as(result.toString()).isZero();
            JsonNode report = JSON.readTree(result.out());
            assertComplete(report, "shm", 3000); // the default: both kernels map the cluster's memory
            assertThat(report.get("temporary_cluster").asBoolean()).isFalse();
            assertThat(report.get("cluster").asText()).isEqualTo(cluster.coordinator().config().cluster());
            // the receiver's poll hits in the run: a part of what its counter gained while the command ran (this test read it
            // before and after), and never more than the words it received (and its tasks)
            assertThat(report.get("to").asText()).isEqualTo("weak-0");
            long hitsMeanwhile = counter(cluster, "weak-0", MailboxCounter.POLL_HITS.label()) - hitsBefore;
            assertThat(report.get("receiver_poll_hits").asLong()).isBetween(0L, Math.min(hitsMeanwhile, pollHitsAtMost(report)));
            // the benchmark's words are in the kernels' own counters: 1000 warm-up + 2 x 3000 measured + the stream's final PING + ...
            assertThat(cluster.kernel("strong-0").getCountersList()).anySatisfy(c -> {
                assertThat(c.getLabel()).isEqualTo(MailboxCounter.sent(MailboxType.PING));
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

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return cluster.kernel(kernel).getCountersList().stream().filter(c -> c.getLabel().equals(label))
            .mapToLong(io.archipelago.control.proto.Counter::getValue).findFirst().orElse(0);
    }

    private static void assertComplete(JsonNode report, String transport, int roundTrips) {
        assertThat(report.get("transport").asText()).isEqualTo(transport);
        assertThat(report.get("round_trips").asInt()).isEqualTo(roundTrips);
        for (String kind : new String[] {"mailbox_rtt_us", "requester_rtt_us", "baseline_rtt_us", "polling_baseline_rtt_us", "floor_rtt_us"}) {
            JsonNode rtt = report.get(kind);
            assertThat(rtt).as(kind).isNotNull();
            assertThat(rtt.get("count").asLong()).as(kind + " count").isEqualTo(roundTrips);
            double p50 = rtt.get("p50").asDouble();
            assertThat(p50).as(kind + " p50").isPositive();
            assertThat(rtt.get("p99").asDouble()).as(kind + " p99").isGreaterThanOrEqualTo(p50);
            assertThat(rtt.get("p999").asDouble()).as(kind + " p999").isGreaterThanOrEqualTo(rtt.get("p99").asDouble());
        }
        // ratios come from the histograms' values, the printed p50s are rounded to 0.1 us: they agree within that rounding
        assertRatio(report, "ratio_p50", "mailbox_rtt_us", "baseline_rtt_us");
        assertRatio(report, "ratio_p50_vs_polling", "mailbox_rtt_us", "polling_baseline_rtt_us");
        assertRatio(report, "requester_ratio_p50", "requester_rtt_us", "baseline_rtt_us");
        assertRatio(report, "requester_ratio_p50_vs_polling", "requester_rtt_us", "polling_baseline_rtt_us");
        assertRatio(report, "mailbox_over_floor_p50", "mailbox_rtt_us", "floor_rtt_us");
        assertRatio(report, "requester_over_floor_p50", "requester_rtt_us", "floor_rtt_us");
        assertThat(report.get("floor_throughput_words_per_s").asLong()).isPositive();
        assertThat(report.get("idle_cluster_cpu_percent").asDouble()).as("the idle cluster's CPU, in % of one core")
            .isBetween(0.0, 100.0 * Runtime.getRuntime().availableProcessors());
        double vsPolling = report.get("ratio_p50_vs_polling").asDouble();
        double requester = report.get("requester_ratio_p50").asDouble();
        assertThat(report.get("polling_baseline_poll_us").asInt()).isEqualTo(report.get("loop_spin_us").asInt() > 0
            ? report.get("loop_spin_us").asInt() : 50);
        assertThat(report.get("polling_baseline_poll").asText()).as("the baseline polls under the interrupt contexts' rule")
            .isEqualTo(report.get("loop_poll").asText());
        assertThat(report.get("targets").get("interrupt_context_met").asBoolean()).isEqualTo(vsPolling <= 1.5);
        assertThat(report.get("targets").get("requester_met").asBoolean()).isEqualTo(requester <= 1.5);
        assertThat(report.get("target_met").asBoolean()).isEqualTo(vsPolling <= 1.5 && requester <= 1.5);
        assertThat(report.get("throughput_words_per_s").asLong()).isPositive();
        assertThat(report.get("baseline_throughput_words_per_s").asLong()).isPositive();
        assertThat(report.get("receiver_nop_out_of_order").asLong()).isZero();
        assertThat(report.get("receiver_drops").asLong()).isZero();
        JsonNode floor = report.get("floor_targets");
        assertThat(floor.get("applies").asBoolean()).as("judged for words in global memory only").isEqualTo(transport.equals("shm"));
        assertThat(floor.get("mailbox_over_floor_met").asBoolean()).isEqualTo(report.get("mailbox_over_floor_p50").asDouble() <= 4);
        assertThat(floor.get("requester_over_floor_met").asBoolean()).isEqualTo(report.get("requester_over_floor_p50").asDouble() <= 10);
        assertThat(floor.get("throughput_met").asBoolean()).isEqualTo(report.get("throughput_words_per_s").asLong() >= 1_000_000);
        assertThat(floor.get("idle_cluster_met").asBoolean()).isEqualTo(report.get("idle_cluster_cpu_percent").asDouble() <= 5);
        JsonNode host = report.get("host");
        assertThat(host).as("the host's own floors, calibrated before the run").isNotNull();
        assertThat(host.get("cache_line_rtt_us").get("count").asLong()).isPositive();
        assertThat(host.get("cores").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    private static double p50(JsonNode report, String kind) {
        return report.get(kind).get("p50").asDouble();
    }

    /**
     * A ratio agrees with the quotient of the printed p50s within their rounding: each printed p50 is within 0.05 us of the
     * histogram's, so n/d moves by at most 0.05 (1 + n/d) / d, plus 0.01 for the ratio's own rounding.
     */
    private static void assertRatio(JsonNode report, String ratio, String numerator, String denominator) {
        double n = p50(report, numerator);
        double d = p50(report, denominator);
        double tolerance = 0.05 * (1 + n / d) / Math.max(0.05, d - 0.05) + 0.01;
        assertThat(report.get(ratio).asDouble()).as(ratio).isCloseTo(n / d, org.assertj.core.data.Offset.offset(tolerance));
    }
}
