package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteSweepTest {

    /** read_field: shared memory 5 ns + 2 lines' worth of the remote latency; urpc 1500 ns, msg 20 us, dsm 50 ns. */
    private static RemoteSweep.Point point(long remoteNs) {
        OpRow read = new OpRow("read_field", 64, Map.of(ShmVsMsgReport.SHM, Fixtures.figure(5 + 2.0 * remoteNs),
            ShmVsMsgReport.DSM, Fixtures.figure(50), ShmVsMsgReport.MSG, Fixtures.figure(20_000), ShmVsMsgReport.URPC, Fixtures.figure(1_500)));
        OpRow scan = new OpRow("scan", 4096, Map.of(ShmVsMsgReport.SHM, Fixtures.figure(100 + 0.1 * remoteNs),
            ShmVsMsgReport.URPC, Fixtures.figure(3_000), ShmVsMsgReport.MSG, Fixtures.figure(2_500)));
        return new RemoteSweep.Point(remoteNs, List.of(read, scan));
    }

    private static final RemoteSweep SWEEP = new RemoteSweep("cxl-direct", List.of(point(0), point(100), point(500), point(1000)));

    @Test
    void theCrossoverIsTheFirstLatencyWhereTheFasterMessageBeatsSharedMemoryOrNone() {
        List<RemoteSweep.Crossover> crossovers = SWEEP.crossovers();
        assertThat(crossovers).hasSize(2);
        // 5 + 2 x 500 = 1005 < 1500 (urpc), 5 + 2 x 1000 = 2005 > 1500: messages win from 1000 ns, by urpc
        assertThat(crossovers.get(0)).isEqualTo(new RemoteSweep.Crossover("read_field", 64, Optional.of(1000L), "urpc", 1000));
        assertThat(crossovers.get(0).summary()).contains("urpc").contains("1000 ns");
        // scan: 100 + 0.1 x 1000 = 200, well under the faster message (msg, 2500): none up to 1000
        assertThat(crossovers.get(1).fromNs()).isEmpty();
        assertThat(crossovers.get(1).summary()).contains("no crossover").contains("up to 1000 ns");
    }

    @Test
    void theJsonHasEveryPointAndEveryCrossover() {
        ObjectNode json = SWEEP.json();
        assertThat(json.get("platform").asText()).isEqualTo("cxl-direct");
        assertThat(json.get("remote_line_ns")).extracting(JsonNode::asLong).containsExactly(0L, 100L, 500L, 1000L);
        assertThat(json.get("points")).hasSize(8);
        JsonNode last = json.get("points").get(6);
        assertThat(last.get("remote_line_ns").asLong()).isEqualTo(1000);
        assertThat(last.get("shm_ns").asDouble()).isEqualTo(2005.0);
        assertThat(last.get("urpc_ns").asDouble()).isEqualTo(1500.0);
        assertThat(json.get("crossovers").get(0).get("messages_win_from_ns").asLong()).isEqualTo(1000);
        assertThat(json.get("crossovers").get(1).get("messages_win_from_ns").isNull()).isTrue();
    }

    @Test
    void sweptValuesAreWholeIncreasingNanoseconds() {
        assertThat(RemoteSweep.parseValues(List.of("0", "100", " 200"))).containsExactly(0L, 100L, 200L);
        assertThatThrownBy(() -> RemoteSweep.parseValues(List.of("0", "1us"))).hasMessageContaining("found '1us'");
        assertThatThrownBy(() -> RemoteSweep.parseValues(List.of("200", "100"))).hasMessageContaining("increasing");
        assertThatThrownBy(() -> RemoteSweep.parseValues(List.of("-5"))).hasMessageContaining("0 to 10000000");
    }

    @Test
    void theChartHasAPanelPerOperation(@TempDir Path dir) throws Exception {
        String file = ShmVsMsgCharts.writeRemoteSweep(SWEEP, dir);
        BufferedImage image = ImageIO.read(dir.resolve(file).toFile());
        assertThat(image.getWidth()).as("two panels side by side").isEqualTo(2 * 640);
        assertThat(image.getHeight()).isEqualTo(420);
    }
}
