package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code archipelago bench migration} as a user runs it: a short run on a temporary cluster, its
 * JSON checked, and its timeline ({@code --trace}) holding the migrations it measured.
 */
@Timeout(400)
class BenchMigrationIT {

    @Test
    void aShortRunReportsBothWaysForEverySizeAndItsTimeline(@TempDir Path dir) throws Exception {
        Path timeline = dir.resolve("migration.perfetto-trace");
        Cli.Result result = Cli.run(Duration.ofSeconds(300), "bench", "migration", "--json", "--migrations", "12", "--warmup", "3",
            "--trace", timeline.toString());
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.err()).contains("timeline of 2 kernel(s) written to " + timeline);
        Trace trace = Trace.parseFrom(Files.readAllBytes(timeline));
        Map<String, Long> events = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent)
            .map(p -> p.getTrackEvent().getName()).filter(name -> !name.isEmpty())
            .collect(Collectors.groupingBy(name -> name, Collectors.counting()));
        // 2 modes x 3 sizes x (12 + 3 warm-up) migrations by shared memory at least; the rings keep the newest events of each kernel
        assertThat(events.getOrDefault("migration out", 0L)).as("migrations out in the timeline: " + events).isPositive();
        assertThat(events.getOrDefault("migration in", 0L)).as("migrations in in the timeline: " + events).isPositive();
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
            // the schedule's S S M M S M M S: half the shared-memory moves follow one by messages (a data region new to the destination)
            assertThat(size.get("shm_after_shm_us").get("count").asLong()).as("shm moves after shm").isEqualTo(6);
            assertThat(size.get("shm_after_msg_us").get("count").asLong()).as("shm moves after msg").isEqualTo(6);
            assertThat(size.get("shm_over_rtt_p50").asDouble()).isPositive();
            assertThat(size.get("shm_over_warm_rtt_p50").asDouble()).as("against the warm round trip").isGreaterThan(size.get("shm_over_rtt_p50")
                .asDouble());
            assertThat(size.get("msg_image_bytes").asLong()).as("the message carries the state").isGreaterThan(size.get("bytes").asLong());
            // every measured migration is in the figures, slow ones too, and each mode went each way equally often
            assertThat(size.get("slower_than_5s").asLong()).isBetween(0L, 24L);
            JsonNode aToB = size.get("directions").get("a_to_b");
            JsonNode bToA = size.get("directions").get("b_to_a");
            assertThat(aToB.get("from").asText()).isEqualTo(root.get("kernel_a").asText()).isEqualTo(bToA.get("to").asText());
            assertThat(aToB.get("to").asText()).isEqualTo(root.get("kernel_b").asText()).isEqualTo(bToA.get("from").asText());
            for (JsonNode direction : List.of(aToB, bToA)) {
                for (String kind : List.of("shm_us", "msg_us")) {
                    assertThat(direction.get(kind).get("count").asLong()).as(kind + " samples per direction").isEqualTo(6);
                }
                assertThat(direction.get("msg_over_shm").asDouble()).isPositive();
            }
        }
        assertThat(sizes).containsExactly(1024L, 16_384L, 262_144L);
        assertThat(root.get("migrations_per_kind_per_direction").asInt()).isEqualTo(6);
        assertThat(root.has("target_met")).isTrue();
        // both baselines, named, from the same run: 12 measured per mode = 3 blocks per size, each way after every block
        assertThat(root.get("baseline").asText()).startsWith("cold");
        assertThat(root.get("mailbox_requester_rtt_us")).isEqualTo(root.get("mailbox_requester_rtt_cold_us"));
        assertThat(root.get("mailbox_requester_rtt_cold_us").get("count").asLong()).isEqualTo(3 * 3 * 2);
        assertThat(root.get("mailbox_requester_rtt_next_us").get("count").asLong()).isEqualTo(3 * 3 * 2);
        assertThat(root.get("mailbox_requester_rtt_warm_us").get("count").asLong()).isEqualTo(3 * 3 * 2 * 32);
        assertThat(root.get("mailbox_requester_rtt_warm_us").get("p50").asDouble()).isPositive();
    }
}
