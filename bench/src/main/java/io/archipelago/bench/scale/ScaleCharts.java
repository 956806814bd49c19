package io.archipelago.bench.scale;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG charts of {@code bench scale}: the all-pairs mailbox round trips of one N, and how every figure grows with N. */
public final class ScaleCharts {

    private ScaleCharts() {
    }

    /**
     * A heat map of the mailbox round-trip p50 (µs) from each kernel (row) to each other kernel
     * (column); the diagonal (a kernel to itself) is left empty.
     */
    public static void heatmap(Path png, List<String> kernels, double[][] p50Us) {
        System.setProperty("java.awt.headless", "true");
        int n = kernels.size();
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(600, 60 * n + 200)).height(Math.max(500, 50 * n + 150))
            .title("Mailbox round trip p50 (µs), " + n + " kernels: from row to column").xAxisTitle("to").yAxisTitle("from").build();
        List<Number[]> cells = new ArrayList<>();
        for (int from = 0; from < n; from++) {
            for (int to = 0; to < n; to++) {
                if (from != to) {
                    // y from the top: row 0 is drawn first
                    cells.add(new Number[] {to, n - 1 - from, Math.round(p50Us[from][to] * 10) / 10.0});
                }
            }
        }
        List<String> rows = new ArrayList<>(kernels);
        java.util.Collections.reverse(rows);
        chart.getStyler().setPlotContentSize(1);
        chart.getStyler().setShowValue(n <= 16);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setRangeColors(new Color[] {new Color(255, 255, 204), new Color(253, 141, 60), new Color(189, 0, 38)});
        chart.addSeries("rtt p50 us", kernels, rows, cells);
        save(chart, png);
    }

    /**
     * Every figure relative to its value at the smallest N, against N, on log-log axes, with the
     * lines of flat, linear and quadratic growth for reference.
     */
    public static void growth(Path png, List<Integer> kernels, Map<String, List<Double>> figures) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(600).title("Growth with the number of kernels (relative to N = "
            + kernels.get(0) + ")").xAxisTitle("kernels N").yAxisTitle("figure / figure at the smallest N").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        List<Double> xs = kernels.stream().map(Integer::doubleValue).toList();
        Map<String, List<Double>> reference = new LinkedHashMap<>();
        reference.put("flat (N^0)", xs.stream().map(x -> 1.0).toList());
        reference.put("linear (N^1)", xs.stream().map(x -> x / xs.get(0)).toList());
        reference.put("quadratic (N^2)", xs.stream().map(x -> (x / xs.get(0)) * (x / xs.get(0))).toList());
        for (Map.Entry<String, List<Double>> line : reference.entrySet()) {
            var series = chart.addSeries(line.getKey(), xs, line.getValue());
            series.setMarker(SeriesMarkers.NONE);
            series.setLineColor(Color.LIGHT_GRAY);
        }
        for (Map.Entry<String, List<Double>> figure : figures.entrySet()) {
            List<Double> values = figure.getValue();
            double first = values.get(0);
            if (!(first > 0) || values.stream().anyMatch(v -> !(v > 0))) {
                continue; // a zero cannot be drawn on a log axis
            }
            chart.addSeries(figure.getKey(), xs, values.stream().map(v -> v / first).toList());
        }
        save(chart, png);
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path png) {
        try {
            BitmapEncoder.saveBitmap(chart, png.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }
}
