package io.archipelago.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LatencySummaryTest {

    @Test
    void ratioComesFromTheRawValuesNotFromTheRoundedOnes() {
        // 250 ns and 349 ns print as 0.3 µs each (ratio 1.00 from the printed figures); the histogram says 1.40
        LatencySummary fast = LatencySummary.of(histogramOf(250));
        LatencySummary slow = LatencySummary.of(histogramOf(349));
        assertThat(fast.p50()).isEqualTo(0.3);
        assertThat(slow.p50()).isEqualTo(0.3);
        assertThat(slow.p50Over(fast)).isEqualTo(1.40);
        assertThat(slow.p90Over(fast)).isEqualTo(1.40);
        assertThat(slow.p99Over(fast)).isEqualTo(1.40);
    }

    @Test
    void theExactP50IsTheHistogramsValueInTheReportedUnit() {
        LatencySummary slow = LatencySummary.of(histogramOf(349));
        assertThat(slow.exactP50()).isEqualTo(0.349);
        assertThat(slow.p50()).isEqualTo(0.3);
        assertThat(new io.archipelago.bench.shmvsmsg.Figure(slow, 1, 3, 0, 0).exactP50()).isEqualTo(0.349);
    }

    @Test
    void largeRatiosKeepTheirDigits() {
        // a balloon step of 4.5 ms against a local allocation of 0.25 µs: 18,000, not 15,000 or 22,500
        LatencySummary local = LatencySummary.of(histogramOf(250));
        LatencySummary balloon = LatencySummary.of(histogramOf(4_500_000));
        assertThat(balloon.p50Over(local)).isCloseTo(18_000, org.assertj.core.data.Percentage.withPercentage(0.2));
    }

    @Test
    void anEmptyBaselineGivesZeroNotInfinity() {
        assertThat(LatencySummary.of(histogramOf(100)).p50Over(LatencySummary.NONE)).isZero();
        assertThat(LatencySummary.ratio(3, 0)).isZero();
        assertThat(LatencySummary.ratio(1, 3)).isEqualTo(0.33);
    }

    @Test
    void aSummaryGivenInTheReportedUnitHasMatchingRawValues() {
        LatencySummary given = new LatencySummary(10, 2.5, 3, 4, 5, 6, 2.8);
        assertThat(given.raw().p50()).isEqualTo(2500);
        assertThat(given.p50Over(new LatencySummary(10, 1.25, 2, 2, 2, 2, 2))).isEqualTo(2.0);
    }

    private static Histogram histogramOf(long nanos) {
        Histogram histogram = LatencySummary.histogram();
        LatencySummary.record(histogram, new long[] {nanos, nanos, nanos});
        return histogram;
    }
}
