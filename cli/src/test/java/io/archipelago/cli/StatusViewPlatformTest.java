package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.MemoryStatus;
import io.archipelago.interconnect.platform.Platform;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class StatusViewPlatformTest {

    @Test
    void statusShowsThePlatformInForce() {
        ClusterStatus status = ClusterStatus.newBuilder().setCluster("lab").setMemory(MemoryStatus.getDefaultInstance())
            .setPlatform(Platform.CXL_SWITCH.withPair("a", "b", new Platform.Costs(2_000, 1, 2, 3)).toFlag()).build();
        JsonNode json = StatusView.json(status);
        assertThat(json.get("platform").get("name").asText()).isEqualTo("cxl-switch");
        assertThat(json.get("platform").get("between").get("remote_line_read_ns").asLong()).isEqualTo(300);
        assertThat(json.get("platform").get("pairs").get(0).get("mailbox_word_ns").asLong()).isEqualTo(2_000);
        StringWriter table = new StringWriter();
        StatusView.printTable(status, new PrintWriter(table), false);
        assertThat(table.toString()).contains("platform cxl-switch: between domains mailbox-word 800 ns");

        ClusterStatus host = status.toBuilder().setPlatform(Platform.HOST.toFlag()).build();
        assertThat(StatusView.json(host).get("platform").get("name").asText()).isEqualTo("host");
        StringWriter quiet = new StringWriter();
        StatusView.printTable(host, new PrintWriter(quiet), false);
        assertThat(quiet.toString()).as("the host platform adds no line").doesNotContain("platform");
    }
}
