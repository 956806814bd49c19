package io.archipelago.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;

/**
 * A ratio measured the drift-proof way: once per round of interleaved measurements (each round
 * measures both ways under the same host conditions), then summarised by the median of the
 * rounds' ratios with their 10th and 90th percentiles. On a noisy 2-core host the pooled ratio of
 * two whole runs moves with whatever the host did during each; a round's ratio cancels the drift
 * that hits both of its halves, and the median ignores the rounds a burst of load fell into.
 *
 * @param rounds the rounds' ratios, in the order measured
 */
public record RoundRatios(double[] rounds) {

    public RoundRatios {
        if (rounds.length == 0) {
            throw new IllegalArgumentException("expected at least one round's ratio, found none");
        }
        rounds = rounds.clone();
    }

    /** The median of the rounds' ratios. */
    public double median() {
        return percentile(50);
    }

    /** The rounds' ratio at {@code p} percent (nearest rank over the sorted ratios). */
    public double percentile(int p) {
        double[] sorted = rounds.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    /** {@code {"median", "p10", "p90", "rounds": [...]}}, every ratio to three decimals. */
    public ObjectNode json() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("median", round(median()));
        node.put("p10", round(percentile(10)));
        node.put("p90", round(percentile(90)));
        var each = node.putArray("rounds");
        for (double ratio : rounds) {
            each.add(round(ratio));
        }
        return node;
    }

    private static double round(double ratio) {
        return Math.round(ratio * 1000) / 1000.0;
    }
}
