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
 */
public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max, double mean) {

    public static final LatencySummary NONE = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

    public static LatencySummary of(Histogram histogram) {
        if (histogram.getTotalCount() == 0) {
            return NONE;
        }
        return new LatencySummary(histogram.getTotalCount(), scaled(histogram.getValueAtPercentile(50)),
            scaled(histogram.getValueAtPercentile(90)), scaled(histogram.getValueAtPercentile(99)),
            scaled(histogram.getValueAtPercentile(99.9)), scaled(histogram.getMaxValue()), Math.round(histogram.getMean() / 100.0) / 10.0);
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
