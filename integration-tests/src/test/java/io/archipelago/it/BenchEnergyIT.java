package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code archipelago bench energy --quick} and {@code bench driver --quick} as a user runs them, on temporary clusters, their JSON checked. */
@Timeout(400)
class BenchEnergyIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void energyQuickReportsBothCasesPerRate() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(300), "bench", "energy", "--json", "--quick");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = JSON.readTree(result.out());
        assertThat(root.get("rates")).hasSize(2);
        assertThat(root.get("comparable").asBoolean()).isTrue();
        // the case that runs first alternates from rate to rate
        assertThat(root.get("rates").get(0).get("first").asText()).isEqualTo("strong");
        assertThat(root.get("rates").get(1).get("first").asText()).isEqualTo("nightwatch");
        for (JsonNode rate : root.get("rates")) {
            assertThat(rate.get("per_s").asDouble()).isPositive();
            assertThat(rate.get("strong_mj").asDouble()).isPositive();
            assertThat(rate.get("nightwatch_mj").asDouble()).isPositive();
            // the same work in both cases, within the stated tolerance, or no ratio at all
            long strongSyncs = rate.get("strong").get("syncs").asLong();
            long nightWatchSyncs = rate.get("nightwatch").get("syncs").asLong();
            assertThat(rate.get("same_work").get("strong_syncs").asLong()).isEqualTo(strongSyncs);
            assertThat(rate.get("same_work").get("nightwatch_syncs").asLong()).isEqualTo(nightWatchSyncs);
            assertThat(rate.get("same_work").get("agrees").asBoolean()).isTrue();
            assertThat(Math.abs(strongSyncs - nightWatchSyncs)).isLessThanOrEqualTo(Math.max(2, Math.max(strongSyncs, nightWatchSyncs) / 20));
            assertThat(strongSyncs).isPositive();
            assertThat(rate.get("strong_uj_per_sync").asDouble()).isCloseTo(rate.get("strong_mj").asDouble() * 1000 / strongSyncs,
                org.assertj.core.data.Offset.offset(1e-6));
            assertThat(rate.get("nightwatch_uj_per_sync").asDouble()).isCloseTo(rate.get("nightwatch_mj").asDouble() * 1000 / nightWatchSyncs,
                org.assertj.core.data.Offset.offset(1e-6));
            assertThat(rate.get("ratio").asDouble()).isCloseTo(rate.get("strong_uj_per_sync").asDouble()
                / rate.get("nightwatch_uj_per_sync").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(rate.get("platform_energy_ratio").asDouble()).isCloseTo(rate.get("strong_mj").asDouble()
                / rate.get("nightwatch_mj").asDouble(), org.assertj.core.data.Offset.offset(1e-9));
            assertThat(rate.get("nightwatch").get("strong_interrupts").asLong()).as("K2 routing: none to the sleeping strong kernel").isZero();
            assertThat(rate.get("strong").get("weak_interrupts").asLong()).isZero();
            // light work on the weak island costs less than waking the strong one for each packet
            assertThat(rate.get("ratio").asDouble()).isGreaterThan(1.0);
        }
    }

    @Test
    void driverQuickLosesNoPacketInAnyCase() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(300), "bench", "driver", "--json", "--quick");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = JSON.readTree(result.out());
        for (String c : new String[] {"private", "shared", "alternating"}) {
            JsonNode o = root.get("cases").get(c);
            assertThat(o.get("packets").asLong()).as(c + " packets").isPositive();
            assertThat(o.get("lost").asLong()).as(c + " lost").isZero();
            // percentiles over every packet, recorded by the kernels' drivers and merged by the bench
            JsonNode latency = o.get("latency_percentiles_us");
            assertThat(latency.get("count").asLong()).as(c + ": one latency per packet taken").isEqualTo(o.get("packets").asLong());
            assertThat(latency.get("p50").asDouble()).as(c + " p50").isPositive().isLessThanOrEqualTo(latency.get("p99").asDouble());
            assertThat(latency.get("max").asDouble()).as(c + " max").isGreaterThanOrEqualTo(o.get("latency_us").asDouble() - 0.1);
        }
        assertThat(root.get("cases").get("alternating").get("dsm_faults").asLong()).as("the shared state's page moved").isPositive();
        assertThat(root.get("overhead_pct").has("shared")).isTrue();
    }
}
