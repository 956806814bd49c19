package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.MarshalRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts of the report (XChart): the size sweep (latency per operation against object size,
 * log-log, one panel per operation, and marshalling) and the contention sweep (operations per
 * second against kernels x threads, one panel per operation and kind of objects), each panel
 * grid in one image.
 */
public final class ShmVsMsgCharts {

    public static final String SIZE_SWEEP = "size-sweep.png";
    public static final String CONTENTION = "contention.png";
    public static final String REMOTE_SWEEP = "remote-sweep.png";
    private static final int PANEL_WIDTH = 640;
    private static final int PANEL_HEIGHT = 420;
    private static final Map<String, Color> COLORS = Map.ofEntries(
        Map.entry("shm", new Color(0x1f77b4)), Map.entry("dsm", new Color(0x2ca02c)), Map.entry("msg", new Color(0xd62728)),
        Map.entry("urpc", new Color(0x9467bd)), Map.entry("shm after owner write", new Color(0x9ecae1)),
        Map.entry("dsm after owner write", new Color(0x98df8a)), Map.entry("msg after owner write", new Color(0xff9896)),
        Map.entry("urpc after owner write", new Color(0xc5b0d5)), Map.entry("encode + decode", new Color(0xff7f0e)),
        Map.entry("copy in place", new Color(0x1f77b4)), Map.entry("msg read_struct", new Color(0xd62728)));

    private ShmVsMsgCharts() {
    }

    /** Writes the charts the report has data for into {@code dir}; returns caption -> file name. */
    public static Map<String, String> write(ShmVsMsgReport report, Path dir) {
        System.setProperty("java.awt.headless", "true");
        Map<String, String> files = new LinkedHashMap<>();
        List<Chart<?, ?>> sizes = sizeSweep(report);
        if (!sizes.isEmpty()) {
            save(sizes, dir.resolve(SIZE_SWEEP));
            files.put("size sweep", SIZE_SWEEP);
        }
        List<Chart<?, ?>> contention = contention(report);
        if (!contention.isEmpty()) {
            save(contention, dir.resolve(CONTENTION));
            files.put("contention", CONTENTION);
        }
        return files;
    }

    static List<Chart<?, ?>> sizeSweep(ShmVsMsgReport report) {
        List<Chart<?, ?>> panels = new ArrayList<>();
        Set<String> ops = new LinkedHashSet<>();
        report.ops().forEach(r -> ops.add(r.op()));
        for (String op : ops) {
            List<OpRow> rows = report.ops().stream().filter(r -> r.op().equals(op)).toList();
            XYChart chart = xy(op + ": latency per operation", "object size (bytes)", "ns (p50)");
            series(chart, "shm", rows, ShmVsMsgReport.SHM);
            series(chart, "shm after owner write", rows, ShmVsMsgReport.SHM_COLD);
            series(chart, "dsm", rows, ShmVsMsgReport.DSM);
            series(chart, "dsm after owner write", rows, ShmVsMsgReport.DSM_COLD);
            series(chart, "msg", rows, ShmVsMsgReport.MSG);
            series(chart, "msg after owner write", rows, ShmVsMsgReport.MSG_COLD);
            series(chart, "urpc", rows, ShmVsMsgReport.URPC);
            series(chart, "urpc after owner write", rows, ShmVsMsgReport.URPC_COLD);
            if (!chart.getSeriesMap().isEmpty()) {
                panels.add(chart);
            }
        }
        if (!report.marshalling().isEmpty()) {
            XYChart chart = xy("read_struct: marshalling alone vs in place", "object size (bytes)", "ns (p50)");
            List<MarshalRow> rows = report.marshalling();
            add(chart, "encode + decode", rows.stream().map(r -> (double) r.bytes()).toList(),
                rows.stream().map(r -> r.encode().p50() + r.decode().p50()).toList());
            add(chart, "copy in place", rows.stream().map(r -> (double) r.bytes()).toList(), rows.stream().map(r -> r.copy().p50()).toList());
            List<OpRow> reads = report.ops().stream().filter(r -> r.op().equals("read_struct") && r.way(ShmVsMsgReport.MSG).isPresent()).toList();
            add(chart, "msg read_struct", reads.stream().map(r -> (double) r.bytes()).toList(),
                reads.stream().map(r -> r.way(ShmVsMsgReport.MSG).get().p50()).toList());
            panels.add(chart);
        }
        return panels;
    }

    /**
     * Writes the remote-latency sweep's chart into {@code dir}: one panel per operation, p50 against
     * the modelled remote line latency, a line per way and object size (colour: the way; marker:
     * the size). Returns its file name.
     */
    public static String writeRemoteSweep(RemoteSweep sweep, Path dir) {
        System.setProperty("java.awt.headless", "true");
        Set<String> ops = new LinkedHashSet<>();
        Set<Long> sizes = new java.util.TreeSet<>();
        sweep.points().forEach(p -> p.ops().forEach(r -> {
            ops.add(r.op());
            sizes.add(r.bytes());
        }));
        List<org.knowm.xchart.style.markers.Marker> markers = List.of(SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
            SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS);
        List<Chart<?, ?>> panels = new ArrayList<>();
        for (String op : ops) {
            XYChart chart = xy(op + ": p50 against the remote line latency (" + sweep.platform() + ")", "remote cache line (ns, modelled)",
                "ns per operation (p50)");
            chart.getStyler().setXAxisLogarithmic(false);
            int size = 0;
            for (long bytes : sizes) {
                for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                    List<Double> xs = new ArrayList<>();
                    List<Double> ys = new ArrayList<>();
                    for (RemoteSweep.Point point : sweep.points()) {
                        point.row(op, bytes).flatMap(r -> r.way(way)).filter(f -> f.p50() > 0).ifPresent(f -> {
                            xs.add((double) point.remoteNs());
                            ys.add(f.p50());
                        });
                    }
                    if (!xs.isEmpty()) {
                        XYSeries series = chart.addSeries(way + " " + bytes + " B", xs, ys);
                        series.setLineColor(COLORS.get(way));
                        series.setMarkerColor(COLORS.get(way));
                        series.setMarker(markers.get(size % markers.size()));
                    }
                }
                size++;
            }
            if (!chart.getSeriesMap().isEmpty()) {
                panels.add(chart);
            }
        }
        save(panels, dir.resolve(REMOTE_SWEEP));
        return REMOTE_SWEEP;
    }

    static List<Chart<?, ?>> contention(ShmVsMsgReport report) {
        Map<String, List<ContentionRow>> series = new LinkedHashMap<>();
        report.contention().forEach(r -> series.computeIfAbsent(r.op() + ", " + r.objects() + (r.objects().equals("same") ? " object" : " objects"),
            k -> new ArrayList<>()).add(r));
        List<Chart<?, ?>> panels = new ArrayList<>();
        for (var entry : series.entrySet()) {
            CategoryChart chart = new CategoryChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(entry.getKey() + " (higher is better)")
                .xAxisTitle("kernels x threads").yAxisTitle("operations / s").build();
            chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
            chart.getStyler().setYAxisLogarithmic(true);
            chart.getStyler().setOverlapped(true);
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
            chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
            chart.getStyler().setChartBackgroundColor(Color.WHITE);
            List<String> points = entry.getValue().stream().map(r -> r.kernels() + "x" + r.threads()).toList();
            for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                if (entry.getValue().stream().allMatch(r -> r.way(way).map(f -> f.opsPerSecond() > 0).orElse(false))) {
                    CategorySeries line = chart.addSeries(way, points, entry.getValue().stream()
                        .map(r -> (Number) r.way(way).get().opsPerSecond()).toList());
                    line.setLineColor(COLORS.get(way));
                    line.setMarkerColor(COLORS.get(way));
                    line.setMarker(SeriesMarkers.CIRCLE);
                }
            }
            if (!chart.getSeriesMap().isEmpty()) {
                panels.add(chart);
            }
        }
        return panels;
    }

    private static XYChart xy(String title, String x, String y) {
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(7);
        return chart;
    }

    private static void series(XYChart chart, String name, List<OpRow> rows, String way) {
        List<OpRow> present = rows.stream().filter(r -> r.way(way).map(f -> f.p50() > 0).orElse(false)).toList();
        add(chart, name, present.stream().map(r -> (double) r.bytes()).toList(), present.stream().map(r -> r.way(way).get().p50()).toList());
    }

    private static void add(XYChart chart, String name, List<Double> x, List<Double> y) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (y.get(i) > 0 && x.get(i) > 0) {
                xs.add(x.get(i));
                ys.add(y.get(i));
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        XYSeries series = chart.addSeries(name, xs, ys);
        Color color = COLORS.getOrDefault(name, Color.DARK_GRAY);
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setMarker(SeriesMarkers.CIRCLE);
    }

    /** Renders the panels two per row into one PNG. */
    private static void save(List<Chart<?, ?>> panels, Path file) {
        int columns = panels.size() == 1 ? 1 : 2;
        int rows = (panels.size() + columns - 1) / columns;
        BufferedImage image = new BufferedImage(columns * PANEL_WIDTH, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        try {
            graphics.setColor(Color.WHITE);
            graphics.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < panels.size(); i++) {
                BufferedImage panel = render(panels.get(i));
                graphics.drawImage(panel, (i % columns) * PANEL_WIDTH, (i / columns) * PANEL_HEIGHT, null);
            }
        } finally {
            graphics.dispose();
        }
        try {
            if (!ImageIO.write(image, "png", file.toFile())) {
                throw new IOException("no PNG writer in this runtime");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the chart " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static BufferedImage render(Chart<?, ?> chart) {
        Function<Chart, BufferedImage> renderer = BitmapEncoder::getBufferedImage;
        return renderer.apply(chart);
    }
}
