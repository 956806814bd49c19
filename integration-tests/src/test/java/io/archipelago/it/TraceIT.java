package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.ClusterExtension;
import io.archipelago.trace.PerfettoTrace;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code archipelago trace} against a real cluster: every kernel's ring merged into one Perfetto timeline. */
@ExtendWith(ClusterExtension.class)
class TraceIT {

    private static final Duration CLI = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(300)
    void aProgramsStepsAreSlicesOnTheCoresOfTheKernelItRanOn(MiniCluster cluster) throws Exception {
        String[] where = {"--home", cluster.root().toString(), "--cluster", cluster.coordinator().config().cluster()};
        Path file = cluster.root().resolve("cluster.perfetto-trace");
        JsonNode run = JSON.readTree(cli(where, "run", "counter", "--on", "weak-0", "--arg", "limit=200", "--arg", "cycles=1000",
            "--json").out());
        int tid = run.get("threads").get(0).get("tid").asInt();
        Tasks tasks = new Tasks(cluster);
        tasks.await("weak-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");

        // saved before the mover below, whose steps (as many as it runs until it is killed) may fill weak-0's ring
        JsonNode saved = JSON.readTree(cli(where, "trace", "save", "--out", file.toString(), "--json").out());
        assertThat(saved.get("kernels")).hasSize(2);
        Trace trace = Trace.parseFrom(Files.readAllBytes(file));

        List<String> processes = trace.getPacketList().stream().filter(p -> p.hasTrackDescriptor() && p.getTrackDescriptor().hasProcess())
            .map(p -> p.getTrackDescriptor().getProcess().getProcessName()).toList();
        assertThat(processes).containsExactlyInAnyOrder("strong-0", "weak-0");
        long weakCore = PerfettoTrace.coreTrack(cluster.kernelId("weak-0"), 0);
        List<TrackEvent> steps = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent)
            .filter(e -> e.getType() == TrackEvent.Type.TYPE_SLICE_BEGIN && e.getName().equals("step")
                && e.getDebugAnnotations(0).getIntValue() == tid).toList();
        assertThat(steps).as("the counter's 200 steps, each a slice").hasSize(200);
        assertThat(steps).allSatisfy(step -> assertThat(step.getTrackUuid()).as("on the weak kernel's core").isEqualTo(weakCore));
        assertThat(trace.getPacketList().stream().filter(TracePacket::hasTrackEvent)
            .filter(p -> p.getTrackEvent().getName().equals("kernel running")).count()).isEqualTo(2);

        // a migration: leaving weak-0 is a slice on its "migration out" track, arriving on strong-0 an instant on its kernel track
        // (5 ms steps: a fast mover would fill the rings with its steps before the trace is saved, overwriting its migration)
        JsonNode mover = JSON.readTree(cli(where, "run", "counter", "--on", "weak-0", "--arg", "limit=100000", "--arg", "cycles=5000000",
            "--json").out());
        int moverTid = mover.get("threads").get(0).get("tid").asInt();
        cli(where, "migrate", Integer.toString(moverTid), "--to", "strong-0");
        cli(where, "kill", Integer.toString(moverTid));
        cli(where, "trace", "save", "--out", file.toString());
        trace = Trace.parseFrom(Files.readAllBytes(file));

        List<TracePacket> migrations = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent)
            .filter(p -> p.getTrackEvent().getName().startsWith("migration")
                && p.getTrackEvent().getDebugAnnotations(0).getIntValue() == moverTid).toList();
        assertThat(migrations).extracting(p -> p.getTrackEvent().getName() + "@" + p.getTrackEvent().getTrackUuid()).contains(
            "migration out@" + PerfettoTrace.laneTrack(cluster.kernelId("weak-0"), TraceEvent.MIGRATION_OUT, 0),
            "migration in@" + PerfettoTrace.kernelTrack(cluster.kernelId("strong-0")));

        // the migration's MIGRATE word: sent on weak-0, received on strong-0, the two joined by one flow arrow
        long weakTrack = PerfettoTrace.kernelTrack(cluster.kernelId("weak-0"));
        long strongTrack = PerfettoTrace.kernelTrack(cluster.kernelId("strong-0"));
        List<TrackEvent> migrateSent = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent)
            .filter(e -> e.getName().startsWith("word sent: MIGRATE#") && e.getTrackUuid() == weakTrack).toList();
        List<TrackEvent> migrateReceived = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent)
            .filter(e -> e.getName().startsWith("word received: MIGRATE#") && e.getTrackUuid() == strongTrack).toList();
        assertThat(migrateSent).as("MIGRATE words weak-0 sent").isNotEmpty();
        assertThat(migrateReceived).as("MIGRATE words strong-0 received").isNotEmpty();
        assertThat(migrateSent.getLast().getFlowIdsList()).as("the last MIGRATE's send has a flow").hasSize(1)
            .isEqualTo(migrateReceived.getLast().getFlowIdsList());

        // every slice on a track ends before the next begins, in time order
        Map<Long, Integer> open = new HashMap<>();
        long previous = 0;
        for (TracePacket packet : trace.getPacketList()) {
            if (!packet.hasTrackEvent()) {
                continue;
            }
            assertThat(packet.getTimestamp()).isGreaterThanOrEqualTo(previous);
            previous = packet.getTimestamp();
            TrackEvent event = packet.getTrackEvent();
            int depth = open.getOrDefault(event.getTrackUuid(), 0);
            switch (event.getType()) {
                case TYPE_SLICE_BEGIN -> open.put(event.getTrackUuid(), depth + 1);
                case TYPE_SLICE_END -> open.put(event.getTrackUuid(), depth - 1);
                default -> { }
            }
            assertThat(open.getOrDefault(event.getTrackUuid(), 0)).as("slices on one core never overlap").isBetween(0, 1);
        }

        // stopped, the rings keep what they have and record nothing new
        cli(where, "trace", "stop");
        long before = JSON.readTree(cli(where, "trace", "save", "--out", file.toString(), "--json").out()).get("events").asLong();
        JsonNode again = JSON.readTree(cli(where, "run", "counter", "--on", "weak-0", "--arg", "limit=50", "--json").out());
        tasks.await("weak-0", again.get("threads").get(0).get("tid").asInt(), t -> t.getState().equals("EXITED"),
            Duration.ofSeconds(60), "EXITED");
        long after = JSON.readTree(cli(where, "trace", "save", "--out", file.toString(), "--json").out()).get("events").asLong();
        assertThat(after).isEqualTo(before);
        cli(where, "trace", "start");

        Cli.Result nowhere = Cli.run(CLI, "trace", "save", "--out", file.toString(), "--home", cluster.root().toString(), "--cluster",
            "no-such-cluster");
        assertThat(nowhere.exitCode()).isEqualTo(1);
        assertThat(nowhere.err()).contains("no cluster 'no-such-cluster'").doesNotContain("Exception");
    }

    private static Cli.Result cli(String[] where, String... args) {
        String[] all = new String[args.length + where.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(where, 0, all, args.length, where.length);
        Cli.Result result = Cli.run(CLI, all);
        assertThat(result.exitCode()).as(result.toString()).isZero();
        return result;
    }
}
