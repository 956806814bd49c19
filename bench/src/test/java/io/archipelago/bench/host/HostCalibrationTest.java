package io.archipelago.bench.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostCalibrationTest {

    @Test
    void theQuickCalibrationMeasuresEveryFloorAndItsJsonCarriesThem() {
        HostCalibration host = HostCalibration.quick();
        assertThat(host.cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(host.cacheLineRtt().count()).as("cache-line round trips recorded").isPositive();
        assertThat(host.cacheLineRtt().p50()).isLessThanOrEqualTo(host.cacheLineRtt().p99());
        assertThat(host.wakeUpRtt().count()).as("wake-up round trips recorded").isPositive();
        assertThat(host.syscallNs()).as("a system call costs something, and less than a millisecond").isPositive().isLessThan(1e6);
        assertThat(host.park1us().exactP50()).as("parkNanos(1 us) sleeps at least 1 us").isGreaterThanOrEqualTo(1.0);
        assertThat(host.nanoTimeStepNs()).isPositive();
        assertThat(host.tookMs()).as("a quick calibration stays short").isLessThan(20_000);

        ObjectNode json = host.json();
        assertThat(json.get("cache_line_rtt_us").get("count").asLong()).isEqualTo(host.cacheLineRtt().count());
        assertThat(json.get("syscall_ns").asDouble()).isPositive();
        assertThat(json.has("load_average_1m")).isTrue();
        assertThat(json.get("runnable_threads").asInt()).as("read from /proc/loadavg on Linux").isPositive();
        assertThat(host.line()).contains("cache line").contains("wake-up").contains("system call");
    }

    @Test
    void aModelledCostWithinTheHostsNoiseIsWarnedAboutAndOneWellAboveItIsNot() {
        // a host whose cache-line round trip is 200 ns and whose wake-up round trip is 40 us
        HostCalibration host = new HostCalibration(Instant.now(), 2, 1.0, 1, new LatencySummary(1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2),
            new LatencySummary(1, 40, 40, 40, 40, 40, 40), 200, new LatencySummary(1, 55, 55, 55, 55, 55, 55), 20, 1);
        assertThat(host.noiseWarning(500, "mailbox word latency")).as("500 ns: under ten cache-line round trips")
            .hasValueSatisfying(warning -> assertThat(warning).contains("mailbox word latency").contains("500 ns"));
        assertThat(host.noiseWarning(5_000, "mailbox word latency")).as("5 us: under a wake-up (20 us one way)").isPresent();
        assertThat(host.noiseWarning(50_000, "mailbox word latency")).as("50 us: clear of both").isEmpty();
    }
}
