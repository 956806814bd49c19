package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code archipelago bench trace-cost} as a user runs it: a short run on a temporary cluster, the
 * rings recording in one half of each round and stopped in the other, both ways measured.
 */
@Timeout(300)
class BenchTraceCostIT {

    @Test
    void aShortRunMeasuresBothPathsWithTheRingsOnAndOff() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(240), "bench", "trace-cost", "--json", "--quick", "--rounds", "4");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(result.out());
        for (String kind : new String[] {"mailbox_rtt_us", "transfer_us"}) {
            for (String way : new String[] {"on", "off"}) {
                assertThat(root.get(kind).get(way).get("count").asLong()).as(kind + " " + way).isPositive();
                assertThat(root.get(kind).get(way).get("p50").asDouble()).as(kind + " " + way).isPositive();
            }
        }
        assertThat(root.get("mailbox_rtt_us").get("on").get("count").asLong()).isEqualTo(4_000);
        assertThat(root.get("mailbox_on_over_off").asDouble()).isPositive();
        assertThat(root.get("transfer_on_over_off").asDouble()).isPositive();
        // four word events per round trip at least, recorded only while on
        assertThat(root.get("events_recorded_on").asLong()).isGreaterThanOrEqualTo(4L * 4_000);
        assertThat(root.get("events_recorded_off").asLong()).isLessThanOrEqualTo(4);
        assertThat(root.get("rings").asInt()).as("two kernels' rings of events and of words, and the coordinator's").isEqualTo(5);
        assertThat(root.get("host")).isNotNull();
    }
}
