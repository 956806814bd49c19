package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.coordinator.devices.Devices;
import io.archipelago.devices.proto.KernelInterrupts;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.ClusterExtension;
import io.archipelago.trace.IrqDecision;
import io.archipelago.trace.PerfettoTrace;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
        assertThat(saved.get("coordinator").get("events").asLong()).as("the coordinator's ring is read too").isNotNegative();
        Trace trace = Trace.parseFrom(Files.readAllBytes(file));

        List<String> processes = trace.getPacketList().stream().filter(p -> p.hasTrackDescriptor() && p.getTrackDescriptor().hasProcess())
            .map(p -> p.getTrackDescriptor().getProcess().getProcessName()).toList();
        assertThat(processes).containsExactlyInAnyOrder("strong-0", "weak-0", "coordinator");
        long weakCore = PerfettoTrace.coreTrack(cluster.kernelId("weak-0"), 0);
        List<TrackEvent> steps = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent)
            .filter(e -> e.getType() == TrackEvent.Type.TYPE_SLICE_BEGIN && e.getName().equals("step")
                && e.getDebugAnnotations(0).getIntValue() == tid).toList();
        assertThat(steps).as("the counter's 200 steps, each a slice").hasSize(200);
        assertThat(steps).allSatisfy(step -> assertThat(step.getTrackUuid()).as("on the weak kernel's core").isEqualTo(weakCore));
        assertThat(trace.getPacketList().stream().filter(TracePacket::hasTrackEvent)
            .filter(p -> p.getTrackEvent().getName().equals("kernel running")).count()).isEqualTo(2);

        // the same timeline as Chrome's trace-event JSON: the counter's 200 steps complete events of weak-0's process on its core's
        // thread, every arrow that starts ends
        Path json = cluster.root().resolve("cluster.json");
        assertThat(JSON.readTree(cli(where, "trace", "save", "--out", json.toString(), "--json").out()).get("format").asText()).isEqualTo("json");
        List<JsonNode> events = new ArrayList<>();
        JSON.readTree(json.toFile()).get("traceEvents").forEach(events::add);
        int weakPid = cluster.kernelId("weak-0");
        int coreTid = events.stream().filter(e -> e.get("name").asText().equals("thread_name") && e.get("pid").asInt() == weakPid
            && e.get("args").get("name").asText().equals("core 0")).findFirst().orElseThrow().get("tid").asInt();
        assertThat(events.stream().filter(e -> e.get("name").asText().equals("step") && e.get("args").get("tid").asInt() == tid))
            .as("the counter's 200 steps in the JSON").hasSize(200).allSatisfy(e -> {
                assertThat(e.get("ph").asText()).isEqualTo("X");
                assertThat(e.get("pid").asInt()).isEqualTo(weakPid);
                assertThat(e.get("tid").asInt()).isEqualTo(coreTid);
            });
        List<String> starts = events.stream().filter(e -> e.get("ph").asText().equals("s")).map(e -> e.get("id").asText()).toList();
        assertThat(starts).as("arrows (mailbox words at least)").isNotEmpty();
        assertThat(events.stream().filter(e -> e.get("ph").asText().equals("f")).map(e -> e.get("id").asText()).toList())
            .containsExactlyInAnyOrderElementsOf(starts);

        // and as a picture
        Path png = cluster.root().resolve("timeline.png");
        Cli.Result rendered = Cli.run(CLI, "trace", "render", file.toString(), "--png", png.toString());
        assertThat(rendered.exitCode()).as(rendered.toString()).isZero();
        java.awt.image.BufferedImage picture = javax.imageio.ImageIO.read(png.toFile());
        assertThat(picture.getWidth()).isEqualTo(1600);
        long rows = trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
            .filter(d -> !d.hasParentUuid() || d.getName().matches("core \\d+|interrupts")).count();
        assertThat(picture.getHeight()).as("a row of 18 px per kernel, core and interrupt context: " + rows).isGreaterThan((int) rows * 18);
        int stepBlue = 0x3B6FB6; // TimelinePicture's colour of a step
        boolean stepsDrawn = false;
        for (int y = 0; y < picture.getHeight() && !stepsDrawn; y++) {
            for (int x = 0; x < picture.getWidth() && !stepsDrawn; x++) {
                stepsDrawn = (picture.getRGB(x, y) & 0xFFFFFF) == stepBlue;
            }
        }
        assertThat(stepsDrawn).as("the counter's steps drawn").isTrue();

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

        // its phases: stop and hand-over on weak-0, adoption and first step on strong-0, one arrow through the four
        List<TrackEvent> moverEvents = migrations.stream().map(TracePacket::getTrackEvent).toList();
        TrackEvent stop = moverEvents.stream().filter(e -> e.getName().equals("migration stop")).reduce((x, y) -> y).orElseThrow();
        assertThat(stop.getFlowIdsList()).as("the stop starts an arrow").hasSize(1);
        assertThat(moverEvents.stream().filter(e -> e.getFlowIdsList().equals(stop.getFlowIdsList()))
            .map(e -> e.getName() + "@" + e.getTrackUuid())).containsExactly(
            "migration stop@" + PerfettoTrace.kernelTrack(cluster.kernelId("weak-0")),
            "migration hand-over@" + PerfettoTrace.laneTrack(cluster.kernelId("weak-0"), TraceEvent.MIGRATION_HAND_OVER, 0),
            "migration adoption@" + PerfettoTrace.laneTrack(cluster.kernelId("strong-0"), TraceEvent.MIGRATION_ADOPTION, 0),
            "migration first step@" + PerfettoTrace.kernelTrack(cluster.kernelId("strong-0")));

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

    @Test
    @Timeout(300)
    void interruptRoutingVirtualTimeAndTheDsmFaultsPhasesAreOnTheTimeline(MiniCluster cluster) throws Exception {
        String[] where = {"--home", cluster.root().toString(), "--cluster", cluster.coordinator().config().cluster()};
        Path file = cluster.root().resolve("cluster.perfetto-trace");
        int strong = cluster.kernelId("strong-0");
        int weak = cluster.kernelId("weak-0");

        // the timer raises interrupts until twenty were delivered; the router picks a kernel for each by K2's rule
        Devices devices = cluster.coordinator().devices();
        devices.timerPeriod(2_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (devices.status().getKernelsList().stream().mapToLong(KernelInterrupts::getTimer).sum() < 20) {
            assertThat(System.nanoTime() - deadline).as("twenty timer interrupts delivered within 60 s: " + devices.status()).isNegative();
            Thread.sleep(10); // polls the coordinator's counts until the deadline above
        }
        devices.timerPeriod(0);

        // steps on both kernels' cores, and a page that moves from strong-0 to weak-0 and back through the DSM
        Tasks tasks = new Tasks(cluster);
        for (String kernel : List.of("strong-0", "weak-0")) {
            JsonNode run = JSON.readTree(cli(where, "run", "counter", "--on", kernel, "--arg", "limit=50", "--arg", "cycles=1000",
                "--json").out());
            tasks.await(kernel, run.get("threads").get(0).get("tid").asInt(), t -> t.getState().equals("EXITED"), Duration.ofSeconds(60),
                "EXITED");
        }
        dsm(cluster, "strong-0").open(DsmOpenRequest.newBuilder().setRegion("turns").setCount(8).setCreate(true).build());
        dsm(cluster, "weak-0").open(DsmOpenRequest.newBuilder().setRegion("turns").build());
        for (String kernel : List.of("strong-0", "weak-0", "strong-0", "weak-0")) {
            DsmWorkloadReply reply = dsm(cluster, kernel).increment(DsmIncrementRequest.newBuilder().setRegion("turns").addCells(1)
                .setThreads(1).setIncrements(20).build());
            assertThat(reply.getError()).as(kernel).isEmpty();
        }

        cli(where, "trace", "save", "--out", file.toString());
        Trace trace = Trace.parseFrom(Files.readAllBytes(file));
        List<TracePacket> packets = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).toList();

        // the routing decisions: on the coordinator's interrupt track, each joined to the interrupt taken on the kernel it names
        long coordinatorIrqs = PerfettoTrace.interruptTrack(MemberIds.COORDINATOR);
        List<TrackEvent> routed = packets.stream().map(TracePacket::getTrackEvent).filter(e -> e.getName().startsWith("irq routed")).toList();
        assertThat(routed).as("interrupts routed").hasSizeGreaterThanOrEqualTo(20);
        Map<Long, List<TrackEvent>> byFlow = new HashMap<>();
        packets.forEach(p -> p.getTrackEvent().getFlowIdsList().forEach(f -> byFlow.computeIfAbsent(f, k -> new ArrayList<>())
            .add(p.getTrackEvent())));
        int joined = 0;
        for (TrackEvent decision : routed) {
            assertThat(decision.getTrackUuid()).isEqualTo(coordinatorIrqs);
            long kernel = annotation(decision, "kernel");
            String rule = decision.getDebugAnnotationsList().stream().filter(a -> a.getName().equals("rule")).findFirst().orElseThrow()
                .getStringValue();
            // K2's rule from its own inputs: the weak kernel while every strong kernel sleeps, the strong one while it is awake
            if (rule.equals(IrqDecision.Rule.STRONG_ASLEEP.description())) {
                assertThat(kernel).as(decision.toString()).isEqualTo(weak);
                assertThat(annotation(decision, "strong asleep")).isEqualTo(annotation(decision, "strong kernels")).isEqualTo(1);
            } else {
                assertThat(rule).as(decision.toString()).isEqualTo(IrqDecision.Rule.STRONG_AWAKE.description());
                assertThat(kernel).as(decision.toString()).isEqualTo(strong);
                assertThat(annotation(decision, "strong asleep")).isZero();
            }
            if (decision.getFlowIdsCount() == 1) {
                List<TrackEvent> ends = byFlow.get(decision.getFlowIds(0));
                assertThat(ends).hasSize(2);
                assertThat(ends.get(1).getName()).isEqualTo("irq");
                assertThat(ends.get(1).getTrackUuid()).as("taken on the interrupt track of the kernel chosen")
                    .isEqualTo(PerfettoTrace.interruptTrack((int) kernel));
                joined++;
            }
        }
        assertThat(joined).as("routing decisions joined to their interrupt taken").isGreaterThanOrEqualTo(20);

        // one track per emulated core, each with a virtual clock that never goes back; each step carries its virtual time
        for (int kernel : List.of(strong, weak)) {
            List<TrackDescriptor> cores = trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor)
                .map(TracePacket::getTrackDescriptor).filter(d -> d.getParentUuid() == PerfettoTrace.kernelTrack(kernel)
                    && d.getName().matches("core \\d+")).toList();
            assertThat(cores).as("core tracks of kernel " + kernel).isNotEmpty().doesNotHaveDuplicates();
            assertThat(cores).allSatisfy(d -> assertThat(d.getUuid())
                .isEqualTo(PerfettoTrace.coreTrack(kernel, Integer.parseInt(d.getName().substring(5)))));
        }
        Map<Long, Long> clocks = new HashMap<>();
        int steps = 0;
        for (TracePacket packet : packets) {
            TrackEvent event = packet.getTrackEvent();
            if (event.getType() == TrackEvent.Type.TYPE_COUNTER && event.getTrackUuid() >>> 56 == 1) { // the cores' virtual clocks
                Long last = clocks.put(event.getTrackUuid(), event.getCounterValue());
                assertThat(event.getCounterValue()).as("virtual time on track " + event.getTrackUuid()).isGreaterThanOrEqualTo(
                    last == null ? 0 : last);
            } else if (event.getName().equals("step")) {
                assertThat(annotation(event, "virtual end ns")).isGreaterThanOrEqualTo(annotation(event, "virtual start ns"));
                steps++;
            }
        }
        assertThat(steps).as("the counters' steps").isGreaterThanOrEqualTo(100);
        for (int kernel : List.of(strong, weak)) {
            assertThat(clocks.keySet()).as("a virtual clock of a core of kernel " + kernel + " that ran steps")
                .anyMatch(track -> track >>> 16 << 16 == (PerfettoTrace.virtualClockTrack(kernel, 0) >>> 16 << 16));
        }

        // each kernel's gauges as counter tracks: the DSM pages it held (the page moved in), its free pages, its energy (never going back)
        for (int kernel : List.of(strong, weak)) {
            Map<TraceEvent, List<TrackEvent>> readings = new HashMap<>();
            for (TraceEvent gauge : List.of(TraceEvent.PAGES_HELD, TraceEvent.FREE_PAGES, TraceEvent.ENERGY)) {
                long track = PerfettoTrace.counterTrack(kernel, gauge);
                assertThat(trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
                    .filter(d -> d.getUuid() == track)).as(gauge + " track of kernel " + kernel).singleElement()
                    .satisfies(d -> assertThat(d.hasCounter()).isTrue());
                readings.put(gauge, packets.stream().map(TracePacket::getTrackEvent).filter(e -> e.getTrackUuid() == track).toList());
                assertThat(readings.get(gauge)).as(gauge + " readings of kernel " + kernel).isNotEmpty()
                    .allSatisfy(e -> assertThat(e.getType()).isEqualTo(TrackEvent.Type.TYPE_COUNTER));
            }
            assertThat(readings.get(TraceEvent.PAGES_HELD)).as("kernel " + kernel + " held a page of 'turns' at some time")
                .anySatisfy(e -> assertThat(e.getCounterValue()).isPositive());
            assertThat(readings.get(TraceEvent.FREE_PAGES)).allSatisfy(e -> assertThat(e.getCounterValue()).isPositive());
            List<Double> energy = readings.get(TraceEvent.ENERGY).stream().map(TrackEvent::getDoubleCounterValue).toList();
            assertThat(energy).as("energy of kernel " + kernel + " (mJ)").isSorted();
        }

        // the DSM faults of a page that came from the other kernel: their phases in order inside the fault, one arrow from the
        // fault through the holder's hand-over to the page's arrival
        Map<List<Long>, Long> sliceEnds = new HashMap<>();
        Map<Long, TracePacket> open = new HashMap<>();
        for (TracePacket packet : packets) {
            TrackEvent event = packet.getTrackEvent();
            if (event.getType() == TrackEvent.Type.TYPE_SLICE_BEGIN) {
                open.put(event.getTrackUuid(), packet);
            } else if (event.getType() == TrackEvent.Type.TYPE_SLICE_END) {
                sliceEnds.put(List.of(open.remove(event.getTrackUuid()).getTimestamp(), event.getTrackUuid()), packet.getTimestamp());
            }
        }
        int checked = 0;
        for (TracePacket arrival : packets) {
            TrackEvent received = arrival.getTrackEvent();
            if (!received.getName().equals("dsm page received") || annotation(received, "value") < 0) {
                continue;
            }
            long frame = annotation(received, "frame");
            List<TrackEvent> chain = byFlow.getOrDefault(received.getFlowIdsCount() == 1 ? received.getFlowIds(0) : -1L, List.of());
            assertThat(chain).extracting(TrackEvent::getName).as("the arrow of frame " + frame)
                .containsExactly("dsm fault", "dsm hand-over", "dsm page received");
            assertThat(chain).allSatisfy(e -> assertThat(annotation(e, "frame")).isEqualTo(frame));
            TracePacket fault = packets.stream().filter(p -> p.getTrackEvent() == chain.get(0)).findFirst().orElseThrow();
            long faultEnd = sliceEnds.get(List.of(fault.getTimestamp(), fault.getTrackEvent().getTrackUuid()));
            long requester = received.getTrackUuid();
            List<TracePacket> phases = packets.stream().filter(p -> p.getTrackEvent().getTrackUuid() == requester
                && p.getTimestamp() >= fault.getTimestamp() && p.getTimestamp() <= faultEnd
                && p.getTrackEvent().getName().startsWith("dsm ") && annotation(p.getTrackEvent(), "frame") == frame).toList();
            assertThat(phases).extracting(p -> p.getTrackEvent().getName()).as("the fault's phases, in order")
                .containsSubsequence("dsm get sent", "dsm page received", "dsm page usable");
            assertThat(annotation(phases.stream().filter(p -> p.getTrackEvent().getName().equals("dsm get sent")).findFirst().orElseThrow()
                .getTrackEvent(), "value")).as("asked of the kernel it came from").isEqualTo(annotation(received, "value"));
            checked++;
        }
        assertThat(checked).as("faults whose page came from the other kernel").isGreaterThanOrEqualTo(2);
    }

    private static long annotation(TrackEvent event, String name) {
        return event.getDebugAnnotationsList().stream().filter(a -> a.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no annotation '" + name + "' on " + event)).getIntValue();
    }

    private static DsmControlGrpc.DsmControlBlockingStub dsm(MiniCluster cluster, String kernel) {
        return DsmControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(60, TimeUnit.SECONDS);
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
