package io.archipelago.bench.scale;

import java.util.List;

/**
 * How a figure grows with the number of kernels N: the exponent b of the least-squares fit of
 * {@code figure ~ N^b} over the measured N (log-log), named falling (b <= -0.3), flat
 * (|b| < 0.3), linear (0.3 <= b < 1.5) or quadratic (b >= 1.5, the exponent says how much worse).
 * Two measured N are the least that can be named.
 *
 * @param exponent b, NaN when it cannot be fitted (fewer than two N, or a figure of zero)
 */
public record Growth(double exponent, String name) {

    public static final double FLAT_BELOW = 0.3;
    public static final double QUADRATIC_FROM = 1.5;

    public static Growth of(List<Integer> kernels, List<Double> figures) {
        if (kernels.size() != figures.size()) {
            throw new IllegalArgumentException("expected one figure per N: " + kernels.size() + " N, " + figures.size() + " figures");
        }
        double n = 0;
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (int i = 0; i < kernels.size(); i++) {
            double figure = figures.get(i);
            if (!(figure > 0) || kernels.get(i) < 1) {
                continue;
            }
            double x = Math.log(kernels.get(i));
            double y = Math.log(figure);
            n++;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
        double denominator = n * sxx - sx * sx;
        if (n < 2 || denominator <= 0) {
            return new Growth(Double.NaN, "unknown");
        }
        double b = (n * sxy - sx * sy) / denominator;
        String name = b <= -FLAT_BELOW ? "falling" : b < FLAT_BELOW ? "flat" : b < QUADRATIC_FROM ? "linear" : "quadratic";
        return new Growth(b, name);
    }
}
