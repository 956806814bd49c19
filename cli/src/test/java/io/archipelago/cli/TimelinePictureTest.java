package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.trace.PerfettoTrace;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
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
        // rows: strong-0's own, its cores 0 and 1; weak-1's own, its core 0
        assertThat(picture.rows()).extracting(TimelinePicture.Row::name).containsExactly("strong-0", "core 0", "core 1", "weak-1", "core 0");
        assertThat(image.getHeight()).isEqualTo(TimelinePicture.TOP + 5 * TimelinePicture.ROW + TimelinePicture.BOTTOM);
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
    void aFileThatIsNotAPerfettoTraceIsOneClearError() throws Exception {
        Path json = dir.resolve("t.json");
        Files.writeString(json, "{\"traceEvents\": []}");
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine command = Archipelago.commandLine();
        command.setErr(new java.io.PrintWriter(err, true));
        int exit = command.execute("trace", "render", json.toString(), "--png", dir.resolve("x.png").toString());
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("expected a Perfetto trace, found JSON").doesNotContain("Exception");
        assertThat(dir.resolve("x.png")).doesNotExist();
    }
}
