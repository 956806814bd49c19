package io.archipelago.cli;

import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A compact picture of a cluster's timeline, without a browser (for reports and the README): a row
 * per emulated core of each kernel, one per interrupt context, one for the kernel's own events
 * (DSM faults, migrations, mailbox words, balloon, NightWatch: its lanes folded into one row);
 * slices as boxes coloured by kind, instants as grey ticks, flow arrows (a word's send to its
 * delivery, a fault to its page's arrival, a migration's stop to its first step, an interrupt's
 * routing to its taking) as thin translucent lines from one row to another (with heads when there
 * are at most {@value #ARROW_HEADS}), a chart row per kernel of its counters (pages held, free
 * pages, energy; not the cores' virtual clocks, which the Perfetto UI shows): each a step line
 * scaled to its own range over the picture's time, its name and last reading in the legend; and a
 * time axis in milliseconds since the first event. Drawn with Java2D from the Perfetto trace
 * {@code trace save} writes (or its JSON, read back by {@link ChromeTraceJson#read}).
 *
 * <pre>
 *  +--------------+-------------------------------------------------------------+
 *  | title                                                                      |  TOP
 *  | strong-0     |  (kernel's own row: faults, migrations, word ticks)          |  ROW each
 *  |   core 0     |  [step][step]   [step]                                     |
 *  |   interrupts |    |     |                                                 |
 *  |   counters   |  pages held __/--\__   energy ___/----                     |  CHART
 *  | weak-1 ...   |                                                             |
 *  +--------------+-------------------------------------------------------------+
 *  |              0 ms        1 ms        2 ms    (axis)                        |  BOTTOM
 * </pre>
 */
final class TimelinePicture {

    static final int LABELS = 170;
    static final int TOP = 28;
    static final int ROW = 18;
    /** The height of a kernel's counters row. */
    static final int CHART = 2 * ROW;
    /** The counters' lines, in the order of their tracks. */
    static final Color CHART_BACKGROUND = new Color(0xFBFBF7);
    static final Color[] SERIES = {new Color(0xC8553D), new Color(0x2A9D8F), new Color(0x6D597A), new Color(0xE59A2F)};
    static final int BOTTOM = 34;
    static final int RIGHT = 12;
    static final Color BACKGROUND = Color.WHITE;
    static final Color STEP = new Color(0x3B6FB6);
    static final Color NIGHTWATCH_STEP = new Color(0x4FA36B);
    static final Color DSM = new Color(0xC8553D);
    static final Color MIGRATION = new Color(0xE59A2F);
    static final Color OTHER = new Color(0x8A6BBE);
    static final Color INSTANT = new Color(0x8C8C8C);
    static final Color FLOW = new Color(0x20, 0x30, 0x60, 70);
    /** Above this many arrows (a busy mailbox) only their lines are drawn: heads would blot the rows out. */
    static final int ARROW_HEADS = 400;

    /** A row of the picture: what it shows and where. */
    record Row(String kernel, String name, int top, int height) {
    }

    /** The picture, its rows, and the mapping of host time to x. */
    record Picture(BufferedImage image, List<Row> rows, long startNs, long endNs) {

        /** The x of host time {@code ns}. */
        int x(long ns) {
            return xOf(ns, startNs, endNs, image.getWidth());
        }

        /** The row of a kernel's track, e.g. ("strong-0", "core 0"), or of its own events ("strong-0", "strong-0"). */
        Row row(String kernel, String name) {
            return rows.stream().filter(r -> r.kernel().equals(kernel) && r.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row " + name + " of " + kernel + " in " + rows));
        }
    }

    private TimelinePicture() {
    }

    /** Draws {@code trace} {@code width} pixels wide (its height follows from the rows). */
    static Picture draw(Trace trace, int width, String title) {
        Map<Long, TrackDescriptor> tracks = new LinkedHashMap<>();
        trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
            .forEach(d -> tracks.put(d.getUuid(), d));
        // rows: each kernel (a track without a parent), then its cores and interrupt context; its other tracks fold into its own row
        List<Row> rows = new ArrayList<>();
        Map<Long, Row> rowOf = new HashMap<>();
        // each kernel's chart row and the counter tracks it draws
        Map<Row, List<TrackDescriptor>> charts = new LinkedHashMap<>();
        int y = TOP;
        for (TrackDescriptor kernel : tracks.values()) {
            if (kernel.hasParentUuid()) {
                continue;
            }
            Row own = new Row(kernel.getName(), kernel.getName(), y, ROW);
            y += ROW;
            rows.add(own);
            rowOf.put(kernel.getUuid(), own);
            List<TrackDescriptor> children = tracks.values().stream().filter(t -> t.hasParentUuid() && t.getParentUuid() == kernel.getUuid()
                && !t.hasCounter()).toList();
            for (TrackDescriptor child : children) {
                if (child.getName().matches("core \\d+") || child.getName().equals("interrupts")) {
                    Row row = new Row(kernel.getName(), child.getName(), y, ROW);
                    y += ROW;
                    rows.add(row);
                    rowOf.put(child.getUuid(), row);
                } else {
                    rowOf.put(child.getUuid(), own);
                }
            }
            List<TrackDescriptor> gauges = tracks.values().stream().filter(t -> t.hasParentUuid() && t.getParentUuid() == kernel.getUuid()
                && t.hasCounter() && !t.getName().endsWith("virtual time")).toList();
            if (!gauges.isEmpty()) {
                Row chart = new Row(kernel.getName(), "counters", y, CHART);
                y += CHART;
                rows.add(chart);
                charts.put(chart, gauges);
            }
        }
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        for (TracePacket packet : trace.getPacketList()) {
            if (packet.hasTrackEvent() && rowOf.containsKey(packet.getTrackEvent().getTrackUuid())) {
                start = Math.min(start, packet.getTimestamp());
                end = Math.max(end, packet.getTimestamp());
            }
        }
        if (start == Long.MAX_VALUE) {
            throw new CliException("the trace holds no event to draw (no kernel recorded any yet?)");
        }
        end = Math.max(end, start + 1);
        int height = Math.max(y, TOP + ROW) + BOTTOM;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            FontMetrics metrics = g.getFontMetrics();
            g.setColor(Color.BLACK);
            g.drawString(title, 6, 16);
            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                if (i % 2 == 1) {
                    g.setColor(new Color(0xF3F5F8));
                    g.fillRect(LABELS, row.top(), width - LABELS - RIGHT, row.height());
                }
                g.setColor(Color.DARK_GRAY);
                boolean own = row.name().equals(row.kernel());
                g.setFont(new Font(Font.SANS_SERIF, own ? Font.BOLD : Font.PLAIN, 11));
                g.drawString(clip(own ? row.kernel() : "  " + row.name(), LABELS - 8, g.getFontMetrics()), 6,
                    row.top() + ROW - (ROW - metrics.getAscent()) / 2 - 2);
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            // slices (a begin and its end on one track), then instants above them, then the flows across rows
            Map<Long, ArrayDeque<TracePacket>> open = new HashMap<>();
            Map<Long, List<int[]>> flowPoints = new LinkedHashMap<>();
            List<int[]> ticks = new ArrayList<>();
            for (TracePacket packet : trace.getPacketList()) {
                if (!packet.hasTrackEvent()) {
                    continue;
                }
                TrackEvent event = packet.getTrackEvent();
                Row row = rowOf.get(event.getTrackUuid());
                if (row == null) {
                    continue; // a counter track
                }
                switch (event.getType()) {
                    case TYPE_SLICE_BEGIN -> open.computeIfAbsent(event.getTrackUuid(), k -> new ArrayDeque<>()).push(packet);
                    case TYPE_SLICE_END -> {
                        ArrayDeque<TracePacket> stack = open.get(event.getTrackUuid());
                        if (stack != null && !stack.isEmpty()) {
                            TracePacket begin = stack.pop();
                            int x0 = xOf(begin.getTimestamp(), start, end, width);
                            int x1 = Math.max(x0 + 1, xOf(packet.getTimestamp(), start, end, width));
                            g.setColor(colour(begin.getTrackEvent().getName()));
                            g.fillRect(x0, row.top() + 3, x1 - x0, ROW - 6);
                            for (long flow : begin.getTrackEvent().getFlowIdsList()) {
                                flowPoints.computeIfAbsent(flow, k -> new ArrayList<>()).add(new int[] {x0, row.top() + ROW / 2});
                            }
                        }
                    }
                    case TYPE_INSTANT -> {
                        int x = xOf(packet.getTimestamp(), start, end, width);
                        ticks.add(new int[] {x, row.top()});
                        for (long flow : event.getFlowIdsList()) {
                            flowPoints.computeIfAbsent(flow, k -> new ArrayList<>()).add(new int[] {x, row.top() + ROW / 2});
                        }
                    }
                    default -> { }
                }
            }
            g.setColor(INSTANT);
            for (int[] tick : ticks) {
                g.drawLine(tick[0], tick[1] + 4, tick[0], tick[1] + ROW - 5);
            }
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(FLOW);
            g.setStroke(new BasicStroke(1f));
            boolean heads = flowPoints.size() <= ARROW_HEADS;
            for (List<int[]> points : flowPoints.values()) {
                for (int i = 1; i < points.size(); i++) {
                    arrow(g, points.get(i - 1), points.get(i), heads);
                }
            }
            for (Map.Entry<Row, List<TrackDescriptor>> chart : charts.entrySet()) {
                chart(g, trace, chart.getKey(), chart.getValue(), start, end, width);
            }
            axis(g, start, end, width, y);
        } finally {
            g.dispose();
        }
        return new Picture(image, List.copyOf(rows), start, end);
    }

    /**
     * A kernel's counters in its chart row: each track's readings as a step line scaled to its own
     * range (the reading before the picture's start carried in), its name and last reading in the
     * row's legend in its colour.
     */
    private static void chart(Graphics2D g, Trace trace, Row row, List<TrackDescriptor> gauges, long start, long end, int width) {
        Font previous = g.getFont();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 9));
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF); // steps on whole pixels
        // the row hides the arrows that cross it (a busy mailbox's would blot the lines out)
        g.setColor(CHART_BACKGROUND);
        g.fillRect(LABELS, row.top() + 1, width - LABELS - RIGHT, row.height() - 2);
        int legendX = LABELS + 4;
        for (int i = 0; i < gauges.size(); i++) {
            TrackDescriptor gauge = gauges.get(i);
            List<Long> readings = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (TracePacket packet : trace.getPacketList()) {
                if (packet.hasTrackEvent() && packet.getTrackEvent().getTrackUuid() == gauge.getUuid()) {
                    TrackEvent event = packet.getTrackEvent();
                    readings.add(packet.getTimestamp());
                    values.add(event.hasDoubleCounterValue() ? event.getDoubleCounterValue() : event.getCounterValue());
                }
            }
            // the readings the picture shows: those in its time, and the last one before it (the level it starts at)
            int first = 0;
            while (first + 1 < readings.size() && readings.get(first + 1) <= start) {
                first++;
            }
            int last = readings.size();
            while (last > first + 1 && readings.get(last - 1) > end) {
                last--;
            }
            if (readings.isEmpty()) {
                continue;
            }
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (int k = first; k < last; k++) {
                min = Math.min(min, values.get(k));
                max = Math.max(max, values.get(k));
            }
            double range = max > min ? max - min : 1;
            int bottom = row.top() + row.height() - 3;
            int span = row.height() - 14; // the legend's line above
            Color colour = SERIES[i % SERIES.length];
            g.setColor(colour);
            int px = -1;
            int py = -1;
            for (int k = first; k < last; k++) {
                int x = xOf(Math.max(start, readings.get(k)), start, end, width);
                int level = bottom - (int) Math.round((values.get(k) - min) / range * span);
                if (px >= 0) {
                    g.drawLine(px, py, x, py);
                    g.drawLine(x, py, x, level);
                }
                px = x;
                py = level;
            }
            g.drawLine(px, py, width - RIGHT - 1, py);
            String legend = gauge.getName() + " " + String.format(Locale.ROOT, values.get(last - 1) % 1 == 0 ? "%.0f" : "%.1f",
                values.get(last - 1));
            g.drawString(legend, legendX, row.top() + 10);
            legendX += g.getFontMetrics().stringWidth(legend) + 12;
        }
        g.setFont(previous);
    }

    /** Writes {@code picture} as a PNG. */
    static void writePng(Picture picture, Path png) {
        try {
            if (!ImageIO.write(picture.image(), "png", png.toFile())) {
                throw new CliException("cannot write " + png + ": no PNG writer in this JVM");
            }
        } catch (IOException e) {
            throw new CliException("cannot write " + png + ": " + e.getMessage());
        }
    }

    static int xOf(long ns, long startNs, long endNs, int width) {
        double span = width - LABELS - RIGHT - 1;
        return LABELS + (int) Math.round((ns - startNs) * span / (endNs - startNs));
    }

    /** The colour of a slice of that name (its kind). */
    static Color colour(String name) {
        if (name.equals("step")) {
            return STEP;
        }
        if (name.equals("nightwatch step")) {
            return NIGHTWATCH_STEP;
        }
        if (name.startsWith("dsm")) {
            return DSM;
        }
        if (name.startsWith("migration")) {
            return MIGRATION;
        }
        return OTHER;
    }

    private static void arrow(Graphics2D g, int[] from, int[] to, boolean head) {
        g.drawLine(from[0], from[1], to[0], to[1]);
        if (!head) {
            return;
        }
        double angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
        for (double side : new double[] {-0.45, 0.45}) {
            g.drawLine(to[0], to[1], (int) Math.round(to[0] - 5 * Math.cos(angle + side)), (int) Math.round(to[1] - 5 * Math.sin(angle + side)));
        }
    }

    /** A time axis below the rows: ticks at 1, 2 or 5 times a power of ten of the span, in ms since the first event. */
    private static void axis(Graphics2D g, long start, long end, int width, int y) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
        g.setColor(Color.GRAY);
        g.drawLine(LABELS, y + 2, width - RIGHT - 1, y + 2);
        double span = end - start;
        double step = Math.pow(10, Math.floor(Math.log10(span / 6)));
        if (span / step > 30) {
            step *= 5;
        } else if (span / step > 12) {
            step *= 2;
        }
        FontMetrics metrics = g.getFontMetrics();
        for (double t = 0; t <= span; t += step) {
            int x = xOf(start + (long) t, start, end, width);
            g.drawLine(x, y + 2, x, y + 6);
            String label = String.format(Locale.ROOT, step >= 1e6 ? "%.0f ms" : step >= 1e5 ? "%.1f ms" : step >= 1e4 ? "%.2f ms" : "%.3f ms",
                t / 1e6);
            g.drawString(label, Math.min(x - metrics.stringWidth(label) / 2, width - RIGHT - metrics.stringWidth(label)), y + 18);
        }
    }

    private static String clip(String text, int width, FontMetrics metrics) {
        if (metrics.stringWidth(text) <= width) {
            return text;
        }
        String clipped = text;
        while (!clipped.isEmpty() && metrics.stringWidth(clipped + "...") > width) {
            clipped = clipped.substring(0, clipped.length() - 1);
        }
        return clipped + "...";
    }
}
