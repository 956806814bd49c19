package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code archipelago bench memory --quick --json} as a user runs it, in its own JVM: the report
 * is complete and consistent, and the invariant holds (no block owned by two kernels). Not the
 * machine's speed.
 */
@Timeout(300)
class BenchMemoryIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void quickRunReportsBlocksMovedWordsReclaimRateContiguityAndLatency() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(240), "bench", "memory", "--quick", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        System.out.println("bench memory --quick:\n" + result.out());
        JsonNode report = JSON.readTree(result.out());
        assertThat(report.get("double_owned_blocks").asInt()).isZero();
        assertThat(report.get("invariant_violations").asInt()).as(report.get("violations").toString()).isZero();
        long moved = report.get("blocks_moved").asLong();
        assertThat(moved).as("the grower needed half its share again").isGreaterThanOrEqualTo(report.get("grower_share_blocks").asInt() / 2 - 1);
        assertThat(report.get("words_per_block").asDouble()).isCloseTo((double) report.get("mailbox_words").asLong() / moved,
            org.assertj.core.data.Offset.offset(0.01));
        assertThat(report.get("words_per_block").asDouble()).as("batched requests").isLessThanOrEqualTo(2.0);
        assertThat(report.get("reclaim_success_rate").asDouble()).isBetween(0.0, 1.0);
        assertThat(report.get("shrinker_corrupt_allocations").asInt()).isZero();
        assertThat(report.get("out_of_memory").asText()).isEmpty();
        JsonNode runs = report.get("largest_free_run_blocks");
        assertThat(runs.get("after").asInt()).as("freed, the grown memory is one run").isGreaterThan(runs.get("before").asInt());
        JsonNode latency = report.get("latency_us");
        assertThat(latency.get("without_balloon").get("count").asLong()).isPositive();
        assertThat(latency.get("with_balloon").get("count").asLong()).as("allocations that took a balloon step").isPositive();
        // the ratio comes from the histograms' values; the printed p50s are rounded to 0.1 us, so their quotient agrees with it
        // only within that rounding: each p50 within 0.05 us of the histogram's
        double with = latency.get("with_balloon").get("p50").asDouble();
        double without = latency.get("without_balloon").get("p50").asDouble();
        double printed = with / without;
        double rounding = printed * (0.05 / with + 0.05 / Math.max(0.05, without - 0.05)) * 1.01 + 0.01;
        assertThat(report.get("latency_ratio_p50").asDouble()).isPositive().isCloseTo(printed, org.assertj.core.data.Offset.offset(rounding));
        assertThat(result.err()).contains("booting a temporary cluster");
    }
}
