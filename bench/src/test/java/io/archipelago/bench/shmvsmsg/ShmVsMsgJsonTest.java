package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ShmVsMsgJsonTest {

    private final JsonNode json = new ObjectMapper().valueToTree(ShmVsMsgJson.of(Fixtures.report()));

    @Test
    void everyOpRowHasTheFiguresAndRatiosOfTheIssue() {
        assertThat(json.get("ops")).hasSize(15);
        for (JsonNode row : json.get("ops")) {
            assertThat(row.has("op") && row.has("bytes") && row.has("shm_ns") && row.has("dsm_ns") && row.has("msg_ns")
                && row.has("msg_over_shm")).as(row.toString()).isTrue();
            for (String way : new String[] {"shm", "dsm", "msg", "urpc", "shm_cold", "dsm_cold", "msg_cold", "urpc_cold"}) {
                assertThat(row.get(way).get("p50").asDouble()).isEqualTo(row.get(way + "_ns").asDouble());
                assertThat(row.get(way).get("p99").asDouble()).isGreaterThan(row.get(way).get("p50").asDouble());
            }
            assertThat(row.get("msg_over_shm").asDouble()).isEqualTo(quotient(row, "msg_ns", "shm_ns"));
            assertThat(row.get("msg_over_dsm").asDouble()).isEqualTo(quotient(row, "msg_ns", "dsm_ns"));
            assertThat(row.get("dsm_over_shm").asDouble()).isEqualTo(quotient(row, "dsm_ns", "shm_ns"));
            assertThat(row.get("msg_cold_over_dsm_cold").asDouble()).isEqualTo(quotient(row, "msg_cold_ns", "dsm_cold_ns"));
            assertThat(row.get("msg_urpc_over_shm").asDouble()).isEqualTo(quotient(row, "urpc_ns", "shm_ns"));
            assertThat(row.get("msg_urpc_over_dsm").asDouble()).isEqualTo(quotient(row, "urpc_ns", "dsm_ns"));
            assertThat(row.get("msg_grpc_over_msg_urpc").asDouble()).isEqualTo(quotient(row, "msg_ns", "urpc_ns"));
            assertThat(row.get("urpc_cold_over_shm_cold").asDouble()).isEqualTo(quotient(row, "urpc_cold_ns", "shm_cold_ns"));
        }
        JsonNode readField = json.get("ops").get(0);
        assertThat(readField.get("op").asText()).isEqualTo("read_field");
        assertThat(readField.get("msg_over_shm").asDouble()).isEqualTo(4000.0);
    }

    @Test
    void contentionRowsCarryLatenciesThroughputsAndTheirRatios() {
        assertThat(json.get("contention")).hasSize(8);
        for (JsonNode row : json.get("contention")) {
            assertThat(row.get("kernels").asInt()).isBetween(1, 2);
            assertThat(row.get("threads").asInt()).isBetween(1, 2);
            assertThat(row.get("msg_over_shm").asDouble()).isEqualTo(quotient(row, "msg_ns", "shm_ns"));
            assertThat(row.get("shm_throughput_over_msg").asDouble()).isEqualTo(quotient(row, "shm_ops_per_s", "msg_ops_per_s"));
            assertThat(row.get("msg").get("ops_per_s").asDouble()).isEqualTo(row.get("msg_ops_per_s").asDouble());
            assertThat(row.get("msg_urpc_over_shm").asDouble()).isEqualTo(quotient(row, "urpc_ns", "shm_ns"));
            assertThat(row.get("msg_urpc_throughput_over_msg_grpc").asDouble()).isEqualTo(quotient(row, "urpc_ops_per_s", "msg_ops_per_s"));
        }
    }

    @Test
    void theTargetTheCrossoverAndTheUnifiedFormatAreReported() {
        assertThat(json.get("targets").get("read_field_msg_over_shm").get("met").asBoolean()).isTrue();
        assertThat(json.get("targets").get("read_field_msg_over_shm").get("value").asDouble()).isEqualTo(4000.0);
        JsonNode same = null;
        for (JsonNode crossover : json.get("crossover")) {
            if (crossover.get("objects").asText().equals("same") && crossover.get("versus").asText().equals("shm")) {
                same = crossover;
            }
        }
        assertThat(same).isNotNull();
        assertThat(same.get("crosses").asBoolean()).isTrue();
        assertThat(same.get("at").asText()).isEqualTo("2x2");
        assertThat(json.get("unified_format").get("max_overhead_percent").asDouble()).isEqualTo(77.8);
        assertThat(json.get("unified_format").get("paper_overhead_percent").asDouble()).isEqualTo(55.0);
        assertThat(json.get("marshalling").get(0).get("marshal_ns").asDouble()).isEqualTo(500.0);
        assertThat(json.get("marshalling").get(0).get("marshal_over_copy").asDouble()).isEqualTo(Math.round(500.0 / 30 * 100) / 100.0);
        assertThat(json.get("transport").get("stream_over_socket").asDouble()).isEqualTo(1.8);
        assertThat(json.get("headline").get("read_field_msg_over_shm").asDouble()).isEqualTo(4000.0);
        assertThat(json.get("headline").get("read_field_msg_urpc_over_shm").asDouble()).isEqualTo(400.0);
        assertThat(json.get("headline").get("read_field_urpc_ns").asDouble()).isEqualTo(2000.0);
        assertThat(json.get("targets").get("read_field_urpc_p50_ns").get("target").asDouble()).isEqualTo(3000.0);
        assertThat(json.get("targets").get("read_field_urpc_p50_ns").get("met").asBoolean()).isTrue();
    }

    private static double quotient(JsonNode row, String numerator, String denominator) {
        return Math.round(row.get(numerator).asDouble() / row.get(denominator).asDouble() * 100) / 100.0;
    }
}
