package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.testing.MiniCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modelled platform's mailbox latency, measured between two real kernel processes whose words
 * travel in the rings of their shared global memory file: {@code bench mailbox --platform FILE}
 * reports the modelled round trip beside the measured ones, no round trip beats the model, held
 * words keep their order and none is dropped (the hold is against the send time, so the host's
 * own transit hides under it).
 */
@Timeout(400)
class BenchMailboxPlatformIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aModelledWordLatencyIsReportedAndNeverBeaten(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("platform.yaml");
        // 2.5 us one way, a 5 us round trip: several times this host's own mailbox round trip (0.7 us quiet)
        Files.writeString(yaml, """
            platform:
              preset: omap4
              between: {mailbox-word: 2.5us}
            """);
        Cli.Result result = Cli.run(Duration.ofSeconds(200), "bench", "mailbox", "--quick", "--json", "--platform", yaml.toString(),
            "--idle-s", "1");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        System.out.println("bench mailbox --platform:\n" + result.out());
        JsonNode report = JSON.readTree(result.out());
        assertThat(report.get("transport").asText()).as("words in global memory").isEqualTo("shm");
        assertThat(report.get("platform").get("name").asText()).isEqualTo("omap4+overrides");
        assertThat(report.get("platform").get("between").get("mailbox_word_ns").asLong()).isEqualTo(2500);
        assertThat(report.get("modelled_word_ns").asLong()).isEqualTo(2500);
        assertThat(report.get("modelled_rtt_us").asDouble()).isEqualTo(5.0);
        double measured = report.get("mailbox_rtt_us").get("p50").asDouble();
        assertThat(report.get("mailbox_over_modelled_p50").asDouble()).isCloseTo(measured / 5.0,
            org.assertj.core.data.Offset.offset(0.05));
        assertThat(report.get("receiver_nop_out_of_order").asLong()).as("held words keep their order").isZero();
        assertThat(report.get("receiver_drops").asLong()).isZero();
        assertThat(result.err()).contains("platform omap4+overrides");
        // a word is never delivered before its due time, whatever the host's load: no round trip beats the model
        assertThat(report.get("mailbox_rtt_min_us").asDouble()).as("the fastest round trip").isGreaterThanOrEqualTo(5.0 * 0.99);
        assertThat(report.get("requester_rtt_min_us").asDouble()).isGreaterThanOrEqualTo(5.0 * 0.99);
        // a kernel thread's round trip never beats the model either
        assertThat(report.get("requester_rtt_us").get("p50").asDouble()).as("a kernel thread's round trip: never below the model")
            .isGreaterThanOrEqualTo(5.0 * 0.99);
        // Not checked here: the p50 within 20% of the model. On this 2-core VM, quiet (load 1.7-2.3, 1-3 runnable
        // threads), the interrupt contexts' p50 falls in one of two modes from run to run: 5.7-5.9 us (within 20%), or
        // 32-42 us, where the answering kernel's interrupt context sleeps between words and every word costs a doorbell
        // and a wake-up (bench mailbox prints each warm-up batch's sleeps and doorbells). A check that fails one run in
        // three is no check; the mode is an open defect of the waiting rules (docs/results.md, "A modelled word").
    }

    @Test
    void theHostPlatformModelsNothingAndABadPlatformIsRefusedBeforeBooting() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(ClusterConfig.k2Default(), "bench-host-platform")) {
            Cli.Result result = Cli.run(Duration.ofSeconds(150), "bench", "mailbox", "--json", "--cluster",
                cluster.coordinator().config().cluster(), "--home", cluster.root().toString(), "--round-trips", "2000", "--warmup", "500",
                "--throughput-words", "2000", "--idle-s", "1");
            assertThat(result.exitCode()).as(result.toString()).isZero();
            JsonNode report = JSON.readTree(result.out());
            assertThat(report.get("platform").get("name").asText()).isEqualTo("host");
            assertThat(report.get("modelled_rtt_us").asDouble()).isZero();
            assertThat(report.has("mailbox_over_modelled_p50")).isFalse();
            assertThat(cluster.coordinator().config().platform()).isEqualTo(Platform.HOST);
        }
        Cli.Result bad = Cli.run(Duration.ofSeconds(60), "bench", "mailbox", "--platform", "omap5");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--platform: expected a preset (host, omap4, cxl-direct, cxl-switch) or a cluster YAML file",
            "found 'omap5'").doesNotContain("booting a temporary cluster");
    }
}
