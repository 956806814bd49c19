package io.archipelago.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of latencies recorded in an HdrHistogram (3 significant digits) and reported in a
 * unit 1000 times larger, with one decimal: round trips recorded in nanoseconds and reported in
 * microseconds ({@link #histogram()}, {@link #record}), or per-operation latencies recorded in
 * picoseconds and reported in nanoseconds ({@link #picosHistogram()}, {@link #recordNanosAsPicos};
 * a batch's mean per operation can be a fraction of a nanosecond). The JSON keys of each bench
 * say which ({@code _us} or {@code _ns}).
 * <p>
 * The rounded figures are for reading; a ratio between two summaries is taken from the
 * histogram's own values ({@link #raw()}, {@link #p50Over}): a p50 of 0.25 µs printed as 0.2 or
 * 0.3 would move a ratio by 20% from rounding alone.
 */
public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max, double mean, Raw raw) {

    public static final LatencySummary NONE = new LatencySummary(0, 0, 0, 0, 0, 0, 0, Raw.NONE);

    /** The histogram's values in the unit it recorded (nanoseconds or picoseconds), before any rounding. */
    public record Raw(long p50, long p90, long p99, long p999, long max, double mean) {
        public static final Raw NONE = new Raw(0, 0, 0, 0, 0, 0);
    }

    /**
     * A summary given in the reported unit only (tests, fixtures): its raw values are the
     * reported ones times 1000.
     */
    public LatencySummary(long count, double p50, double p90, double p99, double p999, double max, double mean) {
        this(count, p50, p90, p99, p999, max, mean, new Raw(Math.round(p50 * 1000), Math.round(p90 * 1000), Math.round(p99 * 1000),
            Math.round(p999 * 1000), Math.round(max * 1000), mean * 1000));
    }

    public static LatencySummary of(Histogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return NONE;
        }
        Raw raw = new Raw(histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90), histogram.getValueAtPercentile(99),
            histogram.getValueAtPercentile(99.9), histogram.getMaxValue(), histogram.getMean());
        return new LatencySummary(histogram.getTotalCount(), scaled(raw.p50()), scaled(raw.p90()), scaled(raw.p99()), scaled(raw.p999()),
            scaled(raw.max()), Math.round(raw.mean() / 100.0) / 10.0, raw);
    }

    /** The p50 in the reported unit, unrounded (the histogram's value / 1000): for ratios and sums that are then rounded once. */
    public double exactP50() {
        return raw.p50() / 1000.0;
    }

    /** This p50 over {@code baseline}'s, from the raw values, rounded to two decimals; 0 when the baseline has none. */
    public double p50Over(LatencySummary baseline) {
        return ratio(raw.p50(), baseline.raw.p50());
    }

    /** This p90 over {@code baseline}'s, like {@link #p50Over}. */
    public double p90Over(LatencySummary baseline) {
        return ratio(raw.p90(), baseline.raw.p90());
    }

    /** This p99 over {@code baseline}'s, like {@link #p50Over}. */
    public double p99Over(LatencySummary baseline) {
        return ratio(raw.p99(), baseline.raw.p99());
    }

    /** {@code numerator / denominator} rounded to two decimals (the only rounding); 0 when the denominator is 0. */
    public static double ratio(double numerator, double denominator) {
        return denominator == 0 ? 0 : Math.round(numerator / denominator * 100) / 100.0;
    }

    /** For nanosecond samples (up to an hour), reported in microseconds. */
    public static Histogram histogram() {
        return new Histogram(3_600_000_000_000L, 3);
    }

    /** For picosecond samples (10 ps to a minute), reported in nanoseconds. */
    public static Histogram picosHistogram() {
        return new Histogram(10, 60_000_000_000_000L, 3);
    }

    /** Records nanosecond samples, clamped to the histogram's range. */
    public static void record(Histogram histogram, long[] nanos) {
        for (long sample : nanos) {
            histogram.recordValue(Math.max(1, Math.min(sample, histogram.getHighestTrackableValue())));
        }
    }

    /** Records nanosecond samples into a {@link #picosHistogram()}, clamped to its range. */
    public static void recordNanosAsPicos(Histogram picos, long[] nanos) {
        for (long sample : nanos) {
            picos.recordValue(Math.max(picos.getLowestDiscernibleValue(), Math.min(sample * 1000, picos.getHighestTrackableValue())));
        }
    }

    private static double scaled(long value) {
        return Math.round(value / 100.0) / 10.0;
    }

    public ObjectNode json() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("p50", p50);
        node.put("p90", p90);
        node.put("p99", p99);
        node.put("p999", p999);
        node.put("max", max);
        node.put("mean", mean);
        node.put("count", count);
        return node;
    }
}
