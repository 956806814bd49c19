package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.trace.PerfettoTrace;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.trace.TraceRing;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code trace render}: a small trace drawn as a PNG, read back and checked pixel by pixel where a slice is known to be. */
@Timeout(30)
class TimelinePictureTest {

    @TempDir
    Path dir;

    @Test
    void aSmallTraceIsDrawnWithARowPerCoreAndItsStepsWhereTheyRan() throws Exception {
        Path file = dir.resolve("small.perfetto-trace");
        Files.write(file, PerfettoTrace.of(ChromeTraceJsonTest.twoKernels()).toByteArray());
        Path png = dir.resolve("timeline.png");

        int exit = Archipelago.commandLine().execute("trace", "render", file.toString(), "--png", png.toString(), "--width", "800");
        assertThat(exit).isZero();

        BufferedImage image = ImageIO.read(png.toFile());
        TimelinePicture.Picture picture = TimelinePicture.draw(PerfettoTrace.of(ChromeTraceJsonTest.twoKernels()), 800, "small");
        assertThat(image.getWidth()).isEqualTo(800);
        // rows: strong-0's own, its cores 0 and 1, its counters; weak-1's own, its core 0, its counters
        assertThat(picture.rows()).extracting(TimelinePicture.Row::name).containsExactly("strong-0", "core 0", "core 1", "counters",
            "weak-1", "core 0", "counters");
        assertThat(image.getHeight()).isEqualTo(TimelinePicture.TOP + 5 * TimelinePicture.ROW + 2 * TimelinePicture.CHART
            + TimelinePicture.BOTTOM);
        long drawn = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                drawn += image.getRGB(x, y) != TimelinePicture.BACKGROUND.getRGB() ? 1 : 0;
            }
        }
        assertThat(drawn).as("pixels drawn").isGreaterThan(2_000);

        // strong-0's core 0 ran steps at 10-50 us and 60-90 us (host time 1 us .. 95 us in the trace): along the row's middle, step
        // blue inside them, and not between them
        TimelinePicture.Row core0 = picture.row("strong-0", "core 0");
        int y = core0.top() + TimelinePicture.ROW / 2;
        for (int x = picture.x(10_000) + 1; x < picture.x(50_000); x++) {
            assertThat(image.getRGB(x, y)).as("x " + x + " inside the first step").isEqualTo(TimelinePicture.STEP.getRGB());
        }
        for (int x = picture.x(50_000) + 2; x < picture.x(60_000) - 1; x++) {
            assertThat(image.getRGB(x, y)).as("x " + x + " between the steps").isNotEqualTo(TimelinePicture.STEP.getRGB());
        }
        TimelinePicture.Row weakCore = picture.row("weak-1", "core 0");
        assertThat(image.getRGB(picture.x(20_000), weakCore.top() + TimelinePicture.ROW / 2)).isEqualTo(TimelinePicture.STEP.getRGB());
        assertThat(image.getRGB(picture.x(50_000), weakCore.top() + TimelinePicture.ROW / 2)).isNotEqualTo(TimelinePicture.STEP.getRGB());
    }

    @Test
    void theTracesJsonIsDrawnAsItsPerfettoTraceIs() throws Exception {
        Path perfetto = dir.resolve("small.perfetto-trace");
        Files.write(perfetto, PerfettoTrace.of(ChromeTraceJsonTest.twoKernels()).toByteArray());
        Path json = dir.resolve("small.json");
        try (java.io.OutputStream out = Files.newOutputStream(json)) {
            ChromeTraceJson.write(PerfettoTrace.of(ChromeTraceJsonTest.twoKernels()), out);
        }
        Path fromPerfetto = dir.resolve("perfetto.png");
        Path fromJson = dir.resolve("json.png");

        assertThat(Archipelago.commandLine().execute("trace", "render", perfetto.toString(), "--png", fromPerfetto.toString(), "--width",
            "800")).isZero();
        assertThat(Archipelago.commandLine().execute("trace", "render", json.toString(), "--png", fromJson.toString(), "--width",
            "800")).isZero();

        TimelinePicture.Picture picture = TimelinePicture.draw(TraceCommand.Render.read(json), 800, "small");
        assertThat(picture.rows()).extracting(r -> r.kernel() + "/" + r.name()).containsExactly("strong-0/strong-0", "strong-0/core 0",
            "strong-0/core 1", "strong-0/counters", "weak-1/weak-1", "weak-1/core 0", "weak-1/counters");
        BufferedImage a = ImageIO.read(fromPerfetto.toFile());
        BufferedImage b = ImageIO.read(fromJson.toFile());
        assertThat(b.getHeight()).isEqualTo(a.getHeight());
        // the same steps in the same places (the title, the file's name, differs)
        for (TimelinePicture.Row row : picture.rows()) {
            int y = row.top() + TimelinePicture.ROW / 2;
            for (int x = TimelinePicture.LABELS; x < 800 - TimelinePicture.RIGHT; x++) {
                assertThat(b.getRGB(x, y) == TimelinePicture.STEP.getRGB()).as("step colour at x %d of %s/%s", x, row.kernel(), row.name())
                    .isEqualTo(a.getRGB(x, y) == TimelinePicture.STEP.getRGB());
            }
        }
    }

    @Test
    void aKernelsCountersAreDrawnAsLinesInItsChartRow() {
        List<TraceRecord> records = List.of(
            new TraceRecord(TraceEvent.STEP, 0, 7, 10_000, 80_000),
            new TraceRecord(TraceEvent.PAGES_HELD, TraceRing.KERNEL_TRACK, 0, 5_000, 0),
            new TraceRecord(TraceEvent.PAGES_HELD, TraceRing.KERNEL_TRACK, 0, 50_000, 3));
        TimelinePicture.Picture picture = TimelinePicture.draw(PerfettoTrace.of(List.of(new TraceRing.Snapshot(0, "strong-0", 100, records,
            0))), 800, "counters");
        TimelinePicture.Row chart = picture.row("strong-0", "counters");
        assertThat(chart.height()).isEqualTo(TimelinePicture.CHART);
        BufferedImage image = picture.image();
        int line = TimelinePicture.SERIES[0].getRGB();
        // 0 pages until 50 us: the line along the row's bottom; 3 from then on: along its top (under the legend)
        assertThat(column(image, picture.x(30_000), chart)).as("rows of the line at 30 us").containsExactly(chart.top() + chart.height() - 3);
        assertThat(column(image, picture.x(70_000), chart)).as("rows of the line at 70 us").containsExactly(chart.top() + 11);
        assertThat(image.getRGB(picture.x(50_000), chart.top() + chart.height() / 2)).as("the step up at 50 us").isEqualTo(line);
    }

    /** The y of every pixel of the first counter's colour in the chart row's column {@code x}. */
    private static List<Integer> column(BufferedImage image, int x, TimelinePicture.Row chart) {
        List<Integer> ys = new java.util.ArrayList<>();
        for (int y = chart.top(); y < chart.top() + chart.height(); y++) {
            if (image.getRGB(x, y) == TimelinePicture.SERIES[0].getRGB()) {
                ys.add(y);
            }
        }
        return ys;
    }

    @Test
    void aFileThatIsNeitherAPerfettoTraceNorItsJsonIsOneClearError() throws Exception {
        Path json = dir.resolve("t.json");
        Files.writeString(json, "{\"events\": []}");
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine command = Archipelago.commandLine();
        command.setErr(new java.io.PrintWriter(err, true));
        int exit = command.execute("trace", "render", json.toString(), "--png", dir.resolve("x.png").toString());
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("expected Chrome trace-event JSON").contains("t.json").doesNotContain("Exception");
        assertThat(dir.resolve("x.png")).doesNotExist();
    }
}
