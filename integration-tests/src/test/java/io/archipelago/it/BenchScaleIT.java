package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code archipelago bench scale --quick} as a user runs it: two cluster sizes (2 and 4 kernels on
 * up to four islands), each figure measured, the growth named, the report and charts written.
 */
@Timeout(420)
class BenchScaleIT {

    @Test
    void measuresTwoClusterSizesAndNamesTheGrowth(@TempDir Path out) throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(400), "bench", "scale", "--quick", "--json", "--out", out.toString());
        System.out.println("bench scale --quick:\n" + result);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        JsonNode root = new ObjectMapper().readTree(result.out());
        JsonNode sizes = root.get("sizes");
        assertThat(sizes).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode size = sizes.get(i);
            int n = size.get("kernels").asInt();
            assertThat(n).isEqualTo(i == 0 ? 2 : 4);
            assertThat(size.get("boot_s").asDouble()).isPositive();
            assertThat(size.get("rss_mib").asDouble()).as("a kernel JVM is resident").isGreaterThan(10);
            assertThat(size.get("threads").asDouble()).isPositive();
            assertThat(size.get("mailbox_matrix_p50_us")).hasSize(n);
            for (int from = 0; from < n; from++) {
                for (int to = 0; to < n; to++) {
                    double p50 = size.get("mailbox_matrix_p50_us").get(from).get(to).asDouble();
                    if (from == to) {
                        assertThat(p50).as("no round trip to itself").isZero();
                    } else {
                        assertThat(p50).as("round trip " + from + " -> " + to).isPositive();
                    }
                }
            }
            assertThat(size.get("dsm_transfer_us").get("p50").asDouble()).as("the page moved").isPositive();
            assertThat(size.get("migration_us").get("p50").asDouble()).as("the thread moved").isPositive();
            assertThat(Files.exists(out.resolve("mailbox-" + n + ".png"))).isTrue();
        }
        assertThat(root.get("growth").get("boot_s").get("name").asText()).isIn("falling", "flat", "linear", "quadratic");
        assertThat(Files.exists(out.resolve("growth.png"))).isTrue();
        assertThat(new ObjectMapper().readTree(out.resolve("scale.json").toFile())).isEqualTo(root);
        assertThat(Files.readString(out.resolve("report.md"))).startsWith("# bench scale").contains("| boot_s |");
    }
}
