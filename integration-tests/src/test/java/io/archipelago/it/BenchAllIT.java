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
 * {@code archipelago bench all} as a user runs it, on two suites to stay short: one that exists
 * (mailbox, its quick run) and one of the catalog that may not exist yet in this build (energy):
 * the index lists both, the first with its JSON and headline, the second run if it exists or
 * reported as not available.
 */
@Timeout(300)
class BenchAllIT {

    @Test
    void runsTheChosenSuitesIntoOneDirectoryWithAnIndex(@TempDir Path out) throws Exception {
        Cli.Result result = Cli.run(Duration.ofSeconds(240), "bench", "all", "--quick", "--suites", "mailbox,energy", "--json", "--out",
            out.toString());
        System.out.println("bench all --quick --suites mailbox,energy:\n" + result);
        JsonNode index = new ObjectMapper().readTree(result.out());
        assertThat(index.get("suites")).hasSize(2);
        JsonNode mailbox = index.get("suites").get(0);
        assertThat(mailbox.get("suite").asText()).isEqualTo("mailbox");
        assertThat(mailbox.get("status").asText()).as(result.toString()).isEqualTo("ok");
        assertThat(mailbox.get("headline").get("ratio_p50").asDouble()).isPositive();
        JsonNode mailboxJson = new ObjectMapper().readTree(out.resolve("mailbox.json").toFile());
        assertThat(mailboxJson.get("ratio_p50").asDouble()).isEqualTo(mailbox.get("headline").get("ratio_p50").asDouble());
        JsonNode energy = index.get("suites").get(1);
        // `bench energy` is part of this build: it must run, not be skipped as not available
        assertThat(energy.get("suite").asText()).isEqualTo("energy");
        assertThat(energy.get("status").asText()).as(result.toString()).isEqualTo("ok");
        assertThat(Files.exists(out.resolve("energy.json"))).as("energy.json beside the index").isTrue();
        assertThat(result.exitCode()).isEqualTo(index.get("failed").asBoolean() ? 1 : 0);
        String md = Files.readString(out.resolve("index.md"));
        assertThat(md).startsWith("# Archipelago benchmarks").contains("| [mailbox](mailbox.json) |").contains("## energy");
        assertThat(new ObjectMapper().readTree(out.resolve("index.json").toFile())).isEqualTo(index);
    }
}
