package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The quick fault campaign, as CI runs it: at least 100 faults of every kind it has (link faults, cuts, a kernel crashed
 * mid write-back and restarted), no invariant violated.
 */
class BenchFaultsIT {

    @Test
    @Timeout(420)
    void theQuickCampaignInjectsAHundredFaultsAndViolatesNothing() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(400), "bench", "faults", "--quick", "--json", "--seed", "7");
        System.out.println("bench faults --quick:\n" + result);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(result.out());
        assertThat(root.get("invariant_violations").asInt()).as(root.get("violations").toString()).isZero();
        assertThat(root.get("lost_updates").asLong()).isZero();
        assertThat(root.get("stuck_waits").asLong()).isZero();
        JsonNode injected = root.get("faults_injected");
        assertThat(injected.get("total").asLong()).isGreaterThanOrEqualTo(100);
        for (String kind : new String[] {"dropped", "duplicated", "reordered", "delayed", "cut", "crash"}) {
            assertThat(injected.get(kind).asLong()).as("faults of kind " + kind).isPositive();
        }
        assertThat(root.get("increments_acknowledged").asLong()).as("the workload ran").isPositive();
        assertThat(root.get("counter_final").asLong()).isGreaterThanOrEqualTo(root.get("increments_acknowledged").asLong());
        assertThat(root.get("recovery_ms").get("count").asInt()).as("2 cuts healed and 2 crashed kernels restarted").isEqualTo(4);
        assertThat(root.get("elapsed_s").asDouble()).as("a CI campaign stays within 5 minutes").isLessThan(300);
    }
}
