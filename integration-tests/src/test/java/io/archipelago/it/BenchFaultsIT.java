package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The quick fault campaign, as CI runs it: at least 100 faults, every kind injected at least once (link faults, cuts,
 * crashes at every protocol point, short and long stops) with register histories, migrations and balloon pressure in its
 * rounds, and no invariant violated.
 */
class BenchFaultsIT {

    private static final String[] KINDS = {"dropped", "duplicated", "reordered", "delayed", "cut", "crash", "stop"};
    private static final String[] POINTS = {"crash dsm.before-write-back", "crash dsm.mid-write-back", "crash dsm.after-directory-cas",
        "crash balloon.mid-inflate", "crash balloon.mid-page-move", "crash migration.marked", "short stop dsm.before-write-back",
        "long stop dsm.before-write-back", "short stop balloon.mid-page-move"};
    private static final String[] INVARIANTS = {"no_acknowledged_update_lost", "register_linearizable", "no_block_owned_twice",
        "no_thread_lost", "waits_within_deadline", "dead_kernels_fenced"};

    @Test
    @Timeout(600)
    void theQuickCampaignInjectsEveryKindOfFaultAndViolatesNothing() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(570), "bench", "faults", "--quick", "--json", "--seed", "7");
        System.out.println("bench faults --quick:\n" + result);
        JsonNode root = new ObjectMapper().readTree(result.out());
        JsonNode violations = root.get("invariant_violations");
        for (String invariant : INVARIANTS) {
            assertThat(violations.get(invariant).asInt()).as("violations of " + invariant + ": " + root.get("violations")).isZero();
        }
        assertThat(violations.get("total").asInt()).as(root.get("violations").toString()).isZero();
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(root.get("lost_updates").asLong()).isZero();
        assertThat(root.get("stuck_waits").asLong()).isZero();
        JsonNode injected = root.get("faults_injected");
        assertThat(injected.get("total").asLong()).isGreaterThanOrEqualTo(100);
        for (String kind : KINDS) {
            assertThat(injected.get(kind).asLong()).as("faults of kind " + kind + " in " + injected).isPositive();
        }
        for (String point : POINTS) {
            assertThat(injected.get("by_point").path(point).asLong()).as(point + " in " + injected.get("by_point")).isPositive();
        }
        assertThat(root.get("increments_acknowledged").asLong()).as("the counter workload ran").isPositive();
        assertThat(root.get("counter_final").asLong()).isGreaterThanOrEqualTo(root.get("increments_acknowledged").asLong());
        assertThat(root.get("register_operations").asLong()).as("register histories were checked").isPositive();
        assertThat(root.get("migrations").get("shared_memory").asLong() + root.get("migrations").get("messages").asLong())
            .as("threads migrated: " + root.get("migrations")).isPositive();
        assertThat(root.get("balloon").get("pages_allocated").asLong()).as("balloon pressure: " + root.get("balloon")).isPositive();
        assertThat(root.get("threads_started").asInt()).as("threads whose fate was checked").isGreaterThanOrEqualTo(2);
        assertThat(root.get("recovery_ms").get("count").asInt()).as("recoveries: a cut healed, seven restarts").isGreaterThanOrEqualTo(8);
    }
}
