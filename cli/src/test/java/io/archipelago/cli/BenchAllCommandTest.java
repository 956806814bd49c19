package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench all} in process, with a stand-in suite added beside the real ones: what a suite
 * prints on its command's stdout is its result, captured into {@code <suite>.json} and the index,
 * however the command line was set up (its writers left to picocli's defaults, as
 * {@code archipelago} runs, or set by the caller).
 */
@Timeout(60)
class BenchAllCommandTest {

    /** A suite that prints one JSON object, as the real suites do with --json. */
    @Command(name = "echo", header = "A stand-in suite.")
    static final class EchoSuite implements Callable<Integer> {
        @Option(names = "--json")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(json ? "{\"suite\": \"echo\", \"ratio_p50\": 1.25}" : "echo: ratio 1.25");
            return 0;
        }
    }

    private static CommandLine cliWithEcho() {
        CommandLine cli = Archipelago.commandLine();
        cli.getSubcommands().get("bench").addSubcommand("echo", new EchoSuite());
        return cli;
    }

    @Test
    void capturesASuitesJsonWhenTheWritersAreLeftToPicocli(@TempDir Path out) throws Exception {
        // as `archipelago` runs: nobody set the writers, picocli makes them from System.out on first use
        int exit = cliWithEcho().execute("bench", "all", "--suites", "echo", "--out", out.toString());
        assertThat(exit).isZero();
        assertCaptured(out);
    }

    @Test
    void capturesASuitesJsonWhenTheCallerSetTheWriters(@TempDir Path out) throws Exception {
        CommandLine cli = cliWithEcho();
        StringWriter stdout = new StringWriter();
        cli.setOut(new PrintWriter(stdout, true));
        cli.setErr(new PrintWriter(new StringWriter(), true));
        int exit = cli.execute("bench", "all", "--suites", "echo", "--json", "--out", out.toString());
        assertThat(exit).isZero();
        assertCaptured(out);
        JsonNode index = new ObjectMapper().readTree(stdout.toString());
        assertThat(index.get("suites").get(0).get("headline").get("ratio_p50").asDouble()).isEqualTo(1.25);
        assertThat(stdout.toString()).doesNotContain("\"suite\": \"echo\"");
    }

    /** A suite that takes --trace (and bench all's --timeline-png) and prints where it was asked to write them. */
    @Command(name = "traced", header = "A stand-in suite with a timeline.")
    static final class TracedSuite implements Callable<Integer> {
        @Option(names = "--json")
        boolean json;

        @Option(names = "--trace")
        Path trace;

        @Option(names = "--timeline-png")
        Path png;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(new ObjectMapper().createObjectNode().put("trace", String.valueOf(trace))
                .put("png", String.valueOf(png)));
            return 0;
        }
    }

    @Test
    void eachSuiteGetsATimelineOfItsOwnAndDrawsItInItsDirectory(@TempDir Path out) throws Exception {
        CommandLine cli = Archipelago.commandLine();
        cli.getSubcommands().get("bench").addSubcommand("traced", new TracedSuite());
        cli.getSubcommands().get("bench").addSubcommand("echo", new EchoSuite());
        cli.setErr(new PrintWriter(new StringWriter(), true));
        Path trace = out.resolve("run.perfetto-trace");

        int exit = cli.execute("bench", "all", "--suites", "traced,echo", "--out", out.toString(), "--trace", trace.toString());

        assertThat(exit).isZero();
        JsonNode asked = new ObjectMapper().readTree(out.resolve("traced.json").toFile());
        assertThat(asked.get("trace").asText()).isEqualTo(out.resolve("run-traced.perfetto-trace").toString());
        assertThat(asked.get("png").asText()).isEqualTo(out.resolve("traced").resolve("timeline.png").toString());
        assertCaptured(out); // a suite without --trace runs as before
        assertThat(BenchAllCommand.suiteTrace(Path.of("/t/all.json"), "dsm")).isEqualTo(Path.of("/t/all-dsm.json"));
        assertThat(BenchAllCommand.suiteTrace(Path.of("trace"), "dsm")).isEqualTo(Path.of("trace-dsm"));
    }

    private static void assertCaptured(Path out) throws Exception {
        Path json = out.resolve("echo.json");
        assertThat(json).exists();
        assertThat(new ObjectMapper().readTree(json.toFile()).get("ratio_p50").asDouble()).isEqualTo(1.25);
        String md = Files.readString(out.resolve("index.md"));
        assertThat(md).contains("| [echo](echo.json) |").contains("ratio_p50 = 1.25");
    }
}
