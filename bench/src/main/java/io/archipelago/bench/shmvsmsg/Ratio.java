package io.archipelago.bench.shmvsmsg;

/**
 * The ratios of the report, rounded to two decimals. Callers pass the histograms' unrounded p50s
 * ({@link Figure#exactP50()}), not the figures the JSON prints to one decimal of a nanosecond: a
 * 2.5 ns p50 is ±2% from that rounding alone. A ratio recomputed from the JSON's figures agrees
 * within their rounding.
 */
public final class Ratio {

    private Ratio() {
    }

    /** {@code numerator / denominator} rounded to two decimals; NaN when the denominator is 0. */
    public static double of(double numerator, double denominator) {
        if (denominator == 0) {
            return Double.NaN;
        }
        return Math.round(numerator / denominator * 100) / 100.0;
    }
}
