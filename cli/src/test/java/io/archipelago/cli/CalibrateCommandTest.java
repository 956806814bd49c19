package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

@Timeout(60)
class CalibrateCommandTest {

    @Test
    void calibrateJsonCarriesTheHostsFloors() throws Exception {
        CommandLine cli = Archipelago.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("calibrate", "--quick", "--json")).isZero();
        JsonNode host = StatusView.JSON.readTree(out.toString());
        for (String key : new String[] {"cache_line_rtt_us", "wake_up_rtt_us", "park_1us_us"}) {
            assertThat(host.get(key).get("count").asLong()).as(key).isPositive();
        }
        assertThat(host.get("syscall_ns").asDouble()).isPositive();
        assertThat(host.get("cores").asInt()).isPositive();
    }

    @Test
    void calibrateTablePrintsEveryFloor() {
        CommandLine cli = Archipelago.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute("calibrate", "--quick")).isZero();
        assertThat(out.toString()).contains("cache line round trip").contains("wake-up round trip").contains("system call")
            .contains("load average");
    }
}
