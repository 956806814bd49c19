package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ShmVsMsgMarkdownTest {

    @Test
    void theReportHasTheCommandTheTablesTheHeadlineAndTheCharts() {
        String md = ShmVsMsgMarkdown.of(Fixtures.report(), "archipelago bench shm-vs-msg --quick",
            Map.of("size sweep", "size-sweep.png", "contention", "contention.png"));
        assertThat(md).startsWith("# Message passing vs shared memory")
            .contains("`archipelago bench shm-vs-msg --quick` (quick run")
            .contains("## Headline")
            .contains("**msg / shm = 4,000** (target >= 100: met)")
            .contains("## The message path's floors")
            .contains("### read_field", "### update_field", "### read_struct", "### scan", "### increment")
            .contains("| 64 B | 5.0 ns (15.0 ns) | 20.0 ns (60.0 ns) | 20.0 µs (60.0 µs) | 2.0 µs (6.0 µs) | 4,000 | 400 | 1,000 | 100 | 10.00 |")
            .contains("by a message over the URPC rings: **2.0 µs** p50 (target <= 3.0 µs on a quiet host: met), msg (URPC) / shm = 400, "
                + "msg (gRPC) / msg (URPC) = 10.00")
            .contains("## Marshalling alone")
            .contains("### update_struct, same object")
            .contains("messages overtake hardware-coherent shared memory at 2 x 2")
            .contains("![size sweep](size-sweep.png)", "![contention](contention.png)")
            .contains("+77.8%");
    }

    @Test
    void durationsAndSizesReadInTheirUnit() {
        assertThat(ShmVsMsgMarkdown.time(5.25)).isEqualTo("5.3 ns");
        assertThat(ShmVsMsgMarkdown.time(20_000)).isEqualTo("20.0 µs");
        assertThat(ShmVsMsgMarkdown.time(3_500_000)).isEqualTo("3.50 ms");
        assertThat(ShmVsMsgMarkdown.bytes(64)).isEqualTo("64 B");
        assertThat(ShmVsMsgMarkdown.bytes(65536)).isEqualTo("64 KiB");
        assertThat(ShmVsMsgMarkdown.fmt(12.345)).isEqualTo("12.35");
        assertThat(ShmVsMsgMarkdown.fmt(Double.NaN)).isEqualTo("-");
    }
}
