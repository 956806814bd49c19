package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.trace.PerfettoTrace;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.trace.TraceRing;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The trace-event JSON export: decoded as JSON, it keeps the invariants the Perfetto trace's tests check. */
@Timeout(10)
class ChromeTraceJsonTest {

    private static final int MIGRATE = 0x0003_0011;
    private static final int REPLY = 0x0004_0011;

    /** Two kernels: steps on two cores of each, a word from 0 to 1 and its reply, a DSM page's gauges. */
    static List<TraceRing.Snapshot> twoKernels() {
        List<TraceRecord> strong = List.of(
            new TraceRecord(TraceEvent.KERNEL_RUNNING, TraceRing.KERNEL_TRACK, 0, 1_000, 1),
            new TraceRecord(TraceEvent.STEP, 0, 7, 10_000, 40_000), new TraceRecord(TraceEvent.STEP, 0, 7, 60_000, 30_000),
            new TraceRecord(TraceEvent.STEP, 1, 8, 20_000, 50_000),
            new TraceRecord(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, 55_000, MIGRATE),
            new TraceRecord(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, 1, 95_000, REPLY),
            new TraceRecord(TraceEvent.PAGES_HELD, TraceRing.KERNEL_TRACK, 0, 5_000, 2),
            new TraceRecord(TraceEvent.ENERGY, TraceRing.KERNEL_TRACK, 0, 5_000, 1_500));
        List<TraceRecord> weak = List.of(
            new TraceRecord(TraceEvent.STEP, 0, 9, 15_000, 20_000), new TraceRecord(TraceEvent.STEP, 0, 9, 70_000, 25_000),
            new TraceRecord(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, 0, 58_000, MIGRATE),
            new TraceRecord(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 0, 90_000, REPLY),
            new TraceRecord(TraceEvent.FREE_PAGES, TraceRing.KERNEL_TRACK, 0, 6_000, 4_000));
        return List.of(new TraceRing.Snapshot(0, "strong-0", 100, strong, 0), new TraceRing.Snapshot(1, "weak-1", 101, weak, 0));
    }

    @Test
    void aKernelIsAProcessEachCoreAThreadSlicesCompleteEventsAndEveryWordsArrowRunsFromItsSendToItsDelivery() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ChromeTraceJson.write(PerfettoTrace.of(twoKernels()), out);
        JsonNode root = new ObjectMapper().readTree(out.toByteArray());
        List<JsonNode> events = StreamSupport.stream(root.get("traceEvents").spliterator(), false).toList();

        // a process per kernel, a thread per core (one each)
        assertThat(events.stream().filter(e -> e.get("name").asText().equals("process_name"))
            .map(e -> e.get("pid").asInt() + "=" + e.get("args").get("name").asText())).containsExactlyInAnyOrder("0=strong-0", "1=weak-1");
        Map<String, Integer> coreThreads = new HashMap<>();
        events.stream().filter(e -> e.get("name").asText().equals("thread_name") && e.get("args").get("name").asText().matches("core \\d+"))
            .forEach(e -> assertThat(coreThreads.put(e.get("pid").asInt() + "/" + e.get("args").get("name").asText(), e.get("tid").asInt()))
                .as("one thread per core").isNull());
        assertThat(coreThreads).containsOnlyKeys("0/core 0", "0/core 1", "1/core 0");

        // the steps: complete events on their core's thread, in µs, never overlapping, in time order per thread
        List<JsonNode> steps = events.stream().filter(e -> e.get("name").asText().equals("step")).toList();
        assertThat(steps).hasSize(5).allSatisfy(e -> assertThat(e.get("ph").asText()).isEqualTo("X"));
        assertThat(steps.stream().filter(e -> e.get("pid").asInt() == 0 && e.get("tid").asInt() == coreThreads.get("0/core 0"))
            .map(e -> e.get("ts").asDouble() + "+" + e.get("dur").asDouble())).containsExactly("10.0+40.0", "60.0+30.0");
        Map<String, Double> ends = new HashMap<>();
        for (JsonNode slice : events.stream().filter(e -> e.get("ph").asText().equals("X")).toList()) {
            String thread = slice.get("pid").asInt() + "/" + slice.get("tid").asInt();
            Double previousEnd = ends.put(thread, slice.get("ts").asDouble() + slice.get("dur").asDouble());
            assertThat(slice.get("ts").asDouble()).as("thread " + thread + " in time order").isGreaterThanOrEqualTo(previousEnd == null ? 0 : previousEnd);
        }

        // every word sent: a flow from it ("s") to its delivery on the other kernel ("f"), at the words' own times
        List<JsonNode> sent = events.stream().filter(e -> e.get("name").asText().startsWith("word sent")).toList();
        assertThat(sent).hasSize(2);
        for (JsonNode send : sent) {
            JsonNode start = events.stream().filter(e -> e.get("ph").asText().equals("s") && e.get("ts").equals(send.get("ts"))
                && e.get("pid").equals(send.get("pid")) && e.get("tid").equals(send.get("tid"))).findFirst().orElseThrow();
            JsonNode end = events.stream().filter(e -> e.get("ph").asText().equals("f") && e.get("id").equals(start.get("id")))
                .findFirst().orElseThrow(() -> new AssertionError("no end of the arrow of " + send));
            JsonNode delivery = events.stream().filter(e -> e.get("name").asText().startsWith("word received") && e.get("ts").equals(end.get("ts")))
                .findFirst().orElseThrow();
            assertThat(delivery.get("pid").asInt()).isEqualTo(1 - send.get("pid").asInt());
            assertThat(delivery.get("name").asText().substring("word received".length()))
                .isEqualTo(send.get("name").asText().substring("word sent".length()));
            assertThat(end.get("bp").asText()).isEqualTo("e");
            assertThat(delivery.get("ts").asDouble()).isGreaterThan(send.get("ts").asDouble());
        }

        // counters: the gauges and each core's virtual time are "C" events of their kernel; energy in mJ
        assertThat(events.stream().filter(e -> e.get("ph").asText().equals("C")).map(e -> e.get("pid").asInt() + " " + e.get("name").asText()
            + "=" + e.get("args").get("value").asText())).contains("0 pages held=2", "0 energy (mJ)=1.5", "1 free pages=4000");
        assertThat(events.stream().filter(e -> e.get("name").asText().equals("kernel running")))
            .singleElement().satisfies(e -> assertThat(e.get("ph").asText()).isEqualTo("i"));
    }

    @Test
    void theFormatFollowsTheFilesExtensionOrItsName() {
        assertThat(TraceCommand.Format.of(Path.of("/tmp/x.json"))).isEqualTo(TraceCommand.Format.JSON);
        assertThat(TraceCommand.Format.of(Path.of("/tmp/x.JSON"))).isEqualTo(TraceCommand.Format.JSON);
        assertThat(TraceCommand.Format.of(Path.of("/tmp/x.perfetto-trace"))).isEqualTo(TraceCommand.Format.PERFETTO);
        assertThat(TraceCommand.Format.named("Perfetto")).isEqualTo(TraceCommand.Format.PERFETTO);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TraceCommand.Format.named("csv")).isInstanceOf(CliException.class)
            .hasMessage("--format: expected perfetto or json, found 'csv'");
    }
}
