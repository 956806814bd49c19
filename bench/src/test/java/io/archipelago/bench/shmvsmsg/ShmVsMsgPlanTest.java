package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ShmVsMsgPlanTest {

    @Test
    void quickIsASubsetOfTheFullPlan() {
        ShmVsMsgPlan quick = ShmVsMsgPlan.quickPlan();
        ShmVsMsgPlan full = ShmVsMsgPlan.fullPlan();
        assertThat(full.sizes()).containsAll(quick.sizes()).startsWith(64L).endsWith(65536L);
        assertThat(quick.kernels()).isLessThan(full.kernels());
        assertThat(quick.workUnits()).isLessThan(full.workUnits());
        assertThat(full.ops()).containsExactly("read_field", "update_field", "read_struct", "scan", "increment");
    }

    @Test
    void refusesSizesThatAreNotWholeBenchItemsAndOddSweeps() {
        assertThatThrownBy(() -> ShmVsMsgPlan.quickPlan().withSizes(List.of(100L))).hasMessageContaining("multiple of 64 bytes")
            .hasMessageContaining("100");
        assertThatThrownBy(() -> ShmVsMsgPlan.quickPlan().withContention(0, List.of(1))).hasMessageContaining("1 to 8 requester kernels");
        assertThatThrownBy(() -> ShmVsMsgPlan.quickPlan().withContention(2, List.of(0))).hasMessageContaining("threads per kernel");
    }

    @Test
    void latenciesComeFromPicosecondsRoundedToATenthOfANanosecond() {
        Histogram picos = LatencySummary.picosHistogram();
        picos.recordValue(5_250);   // 5.25 ns
        picos.recordValue(20_000_000); // 20 us
        LatencySummary latency = LatencySummary.of(picos);
        assertThat(latency.count()).isEqualTo(2);
        assertThat(latency.p50()).isEqualTo(5.3);
        assertThat(latency.max()).isEqualTo(20_000.0, org.assertj.core.data.Offset.offset(20.0));
        assertThat(LatencySummary.of(LatencySummary.picosHistogram())).isEqualTo(LatencySummary.NONE);
        assertThat(Ratio.of(10, 0)).isNaN();
        assertThat(Ratio.of(20_000, 3)).isEqualTo(6666.67);
    }
}
