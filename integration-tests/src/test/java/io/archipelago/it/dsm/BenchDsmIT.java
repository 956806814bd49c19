package io.archipelago.it.dsm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.it.Cli;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code archipelago bench dsm --quick} as a user runs it (the CI smoke run): the report is
 * complete and consistent, and the contended counter lost no update. Not the machine's speed.
 */
@Timeout(300)
class BenchDsmIT {

    @Test
    void quickRunReportsTransfersAgainstTheMailboxRoundTripAndLosesNoUpdate() throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(240), "bench", "dsm", "--quick", "--json");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        System.out.println("bench dsm --quick:\n" + result.out());
        JsonNode report = new ObjectMapper().readTree(result.out());
        for (String latency : new String[] {"transfer_us", "mailbox_rtt_us", "pingpong_transfer_us", "mailbox_rtt_back_to_back_us"}) {
            assertThat(report.get(latency).get("p50").asDouble()).as(latency).isPositive();
            assertThat(report.get(latency).get("p99").asDouble()).as(latency).isGreaterThanOrEqualTo(report.get(latency).get("p50").asDouble());
        }
        assertThat(report.get("transfer_us").get("count").asLong()).isGreaterThan(900);
        double ratio = report.get("transfer_over_mailbox_rtt").asDouble();
        // from the histograms' values; the printed p50s are rounded to 0.1 us, so their quotient agrees within that rounding
        double transfer = report.get("transfer_us").get("p50").asDouble();
        double mailbox = report.get("mailbox_rtt_us").get("p50").asDouble();
        double rounding = transfer / mailbox * (0.05 / transfer + 0.05 / Math.max(0.05, mailbox - 0.05)) * 1.01 + 0.01;
        assertThat(ratio).isCloseTo(transfer / mailbox, org.assertj.core.data.Offset.offset(rounding));
        assertThat(report.get("transfers_per_s").asLong()).isPositive();
        assertThat(report.get("page_transfers").asLong()).isPositive();
        assertThat(report.get("counter_failed_threads").asLong()).isZero();
        assertThat(report.get("counter_final").asLong()).isEqualTo(report.get("counter_expected").asLong());
        assertThat(report.get("lost_updates").asLong()).isZero();
        assertThat(report.get("holder").asText()).contains("domain b");
        assertThat(report.get("requester").asText()).contains("domain a");
    }
}
