package io.archipelago.bench.shmvsmsg;

/**
 * The ratios of the report: quotients of the p50s as the JSON prints them (one decimal of a
 * nanosecond), rounded to two decimals, so that anyone can recompute them from the JSON.
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
