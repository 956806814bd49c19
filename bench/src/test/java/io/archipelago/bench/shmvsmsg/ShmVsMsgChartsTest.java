package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShmVsMsgChartsTest {

    @Test
    void writesTheSizeSweepAndTheContentionSweepAsPngGrids(@TempDir Path dir) throws Exception {
        Map<String, String> files = ShmVsMsgCharts.write(Fixtures.report(), dir);
        assertThat(files).containsEntry("size sweep", "size-sweep.png").containsEntry("contention", "contention.png");
        BufferedImage sizes = ImageIO.read(dir.resolve("size-sweep.png").toFile());
        // five operations and the marshalling panel: three rows of two
        assertThat(sizes.getWidth()).isEqualTo(1280);
        assertThat(sizes.getHeight()).isEqualTo(3 * 420);
        BufferedImage contention = ImageIO.read(dir.resolve("contention.png").toFile());
        // update_struct on the same object and on disjoint objects: one row of two
        assertThat(contention.getWidth()).isEqualTo(1280);
        assertThat(contention.getHeight()).isEqualTo(420);
        assertThat(Files.readAllBytes(dir.resolve("contention.png"))).startsWith(0x89, 'P', 'N', 'G');
        assertThat(distinctColours(contention)).isGreaterThan(10);
    }

    @Test
    void panelsHaveOneSeriesPerWayWithData() {
        var panels = ShmVsMsgCharts.sizeSweep(Fixtures.report());
        assertThat(panels).hasSize(6);
        assertThat(((org.knowm.xchart.XYChart) panels.getFirst()).getSeriesMap().keySet())
            .containsExactlyInAnyOrder("shm", "shm after owner write", "dsm", "dsm after owner write", "msg", "msg after owner write", "urpc",
                "urpc after owner write");
        var contention = ShmVsMsgCharts.contention(Fixtures.report());
        assertThat(((org.knowm.xchart.CategoryChart) contention.getFirst()).getSeriesMap().keySet()).containsExactly("shm", "dsm", "msg", "urpc");
    }

    @Test
    void writesNoChartWithoutData(@TempDir Path dir) {
        ShmVsMsgReport full = Fixtures.report();
        ShmVsMsgReport empty = new ShmVsMsgReport(full.setup(), full.environment(), full.transport(), List.of(), List.of(), List.of(), null);
        assertThat(ShmVsMsgCharts.write(empty, dir)).isEmpty();
        assertThat(dir.resolve("size-sweep.png")).doesNotExist();
    }

    private static long distinctColours(BufferedImage image) {
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        return colours.size();
    }
}
