package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code archipelago bench migration} as a user runs it: a short run on a temporary cluster, its JSON checked. */
@Timeout(400)
class BenchMigrationIT {

    @Test
    void aShortRunReportsBothWaysForEverySize() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(300), "bench", "migration", "--json", "--migrations", "12", "--warmup", "3");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(result.out());
        assertThat(root.get("kernel_a_data_model").asText()).isNotEqualTo(root.get("kernel_b_data_model").asText());
        List<Long> sizes = new ArrayList<>();
        for (JsonNode size : root.get("sizes")) {
            sizes.add(size.get("bytes").asLong());
            for (String kind : List.of("shm_us", "msg_us")) {
                assertThat(size.get(kind).get("count").asLong()).as(kind + " samples").isEqualTo(12);
                assertThat(size.get(kind).get("p50").asDouble()).as(kind + " p50").isPositive();
            }
            assertThat(size.get("msg_over_shm").asDouble()).isPositive();
            assertThat(size.get("msg_image_bytes").asLong()).as("the message carries the state").isGreaterThan(size.get("bytes").asLong());
            assertThat(size.get("unmeasured").asLong()).isZero();
        }
        assertThat(sizes).containsExactly(1024L, 16_384L, 262_144L);
        assertThat(root.has("target_met")).isTrue();
    }
}
