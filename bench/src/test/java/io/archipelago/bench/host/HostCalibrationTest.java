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
    void aModelledCostIsWarnedAboutOnlyWhereTheHostsOwnCostOfTheSameThingIsNotSmallBesideIt() {
        // a quiet host: a mailbox word's ping-pong floor 0.3 us round trip (150 ns one way), a wake-up 40 us round trip
        double wordFloorNs = 150;
        assertThat(HostCalibration.noiseWarning(500, wordFloorNs, "mailbox word latency", "one way of the ping-pong floor"))
            .as("0.5 us: the host's own 150 ns is 30% of it").hasValueSatisfying(warning -> assertThat(warning)
                .contains("mailbox word latency").contains("500 ns").contains("one way of the ping-pong floor").contains("150 ns"));
        assertThat(HostCalibration.noiseWarning(2_500, wordFloorNs, "mailbox word latency", "one way of the ping-pong floor"))
            .as("2.5 us: well under a wake-up, but the host's own word is 6% of it").isEmpty();
        assertThat(HostCalibration.noiseWarning(750, wordFloorNs, "mailbox word latency", "floor")).as("exactly a fifth: not warned").isEmpty();
        assertThat(HostCalibration.noiseWarning(0, wordFloorNs, "mailbox word latency", "floor")).as("nothing modelled").isEmpty();

        HostCalibration host = new HostCalibration(Instant.now(), 2, 1.0, 1, new LatencySummary(1, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2),
            new LatencySummary(1, 40, 40, 40, 40, 40, 40), 200, new LatencySummary(1, 55, 55, 55, 55, 55, 55), 20, 1);
        assertThat(host.cacheLineOneWayNanos()).as("half the 200 ns cache-line round trip").isEqualTo(100);
        assertThat(HostCalibration.noiseWarning(300, host.cacheLineOneWayNanos(), "remote-line read", "cache-line one way"))
            .as("a remote line of +300 ns against the host's own 100 ns line transfer").isPresent();
        assertThat(HostCalibration.noiseWarning(1_000, host.cacheLineOneWayNanos(), "remote-line read", "cache-line one way")).isEmpty();
    }
}
