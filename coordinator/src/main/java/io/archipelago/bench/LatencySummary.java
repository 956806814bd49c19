package io.archipelago.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of round trips recorded in nanoseconds (HdrHistogram, 3 significant digits),
 * reported in microseconds.
 */
public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max, double mean) {

    public static LatencySummary of(Histogram histogram) {
        return new LatencySummary(histogram.getTotalCount(), us(histogram.getValueAtPercentile(50)),
            us(histogram.getValueAtPercentile(90)), us(histogram.getValueAtPercentile(99)), us(histogram.getValueAtPercentile(99.9)),
            us(histogram.getMaxValue()), histogram.getMean() / 1000.0);
    }

    public static Histogram histogram() {
        return new Histogram(3_600_000_000_000L, 3);
    }

    public static void record(Histogram histogram, long[] nanos) {
        for (long sample : nanos) {
            histogram.recordValue(Math.max(1, Math.min(sample, histogram.getHighestTrackableValue())));
        }
    }

    private static double us(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }

    public ObjectNode json() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("p50", p50);
        node.put("p90", p90);
        node.put("p99", p99);
        node.put("p999", p999);
        node.put("max", max);
        node.put("mean", Math.round(mean * 10) / 10.0);
        node.put("count", count);
        return node;
    }
}
