package io.archipelago.bench.shmvsmsg;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of per-operation latencies in nanoseconds (one decimal), from an HdrHistogram
 * recorded in picoseconds (a batch's mean per operation can be a fraction of a nanosecond).
 */
public record Latency(long count, double p50, double p90, double p99, double p999, double max, double mean) {

    public static final Latency NONE = new Latency(0, 0, 0, 0, 0, 0, 0);

    public static Histogram picosHistogram() {
        return new Histogram(10, 60_000_000_000_000L, 3);
    }

    public static Latency ofPicos(Histogram picos) {
        if (picos.getTotalCount() == 0) {
            return NONE;
        }
        return new Latency(picos.getTotalCount(), ns(picos.getValueAtPercentile(50)), ns(picos.getValueAtPercentile(90)),
            ns(picos.getValueAtPercentile(99)), ns(picos.getValueAtPercentile(99.9)), ns(picos.getMaxValue()),
            Math.round(picos.getMean() / 100.0) / 10.0);
    }

    /** Records nanosecond samples into a picosecond histogram. */
    public static void recordNanos(Histogram picos, long[] nanos) {
        for (long sample : nanos) {
            picos.recordValue(Math.max(picos.getLowestDiscernibleValue(), Math.min(sample * 1000, picos.getHighestTrackableValue())));
        }
    }

    private static double ns(long picos) {
        return Math.round(picos / 100.0) / 10.0;
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
