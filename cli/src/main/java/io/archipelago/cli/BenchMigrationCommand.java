package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.migration.MigrationSchedule;
import io.archipelago.bench.migration.MigrationSchedule.Direction;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationEvent;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SchedEventsRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.ThreadKind;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench migration}: the latency of a thread migration between two kernel
 * processes of different ABIs, by shared memory against by messages, for task states of several
 * sizes, in the same run: each mode goes each way equally often, after each mode equally often
 * ({@link MigrationSchedule}), and the sizes take turns block by block, so that neither the
 * direction nor the machine's drifting load favours a mode or a size.
 */
@Command(name = "migration", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Thread migration latency by shared memory vs by messages, for task states of 1 KiB, 16 KiB and 256 KiB.",
    description = {
        "Boots a temporary cluster (K2's platform: an x86_64 kernel a in coherence domain a, an armv7 kernel b in domain b) unless "
            + "--cluster names a running one, and migrates `memwalk` threads with a typed state of each size between the two "
            + "kernels, in both modes and both directions:",
        "  shared memory  the state stays in place; the destination attaches it (a morphed accessor: the other ABI's layout) and "
            + "takes ownership after a MIGRATE word over the mailbox; the DSM brings the pages the thread touches, lazily;",
        "  messages       the state is serialized with Protocol Buffers, sent over the control channel (gRPC) and rebuilt in a new "
            + "region in the destination's layout.",
        "Order: per size, blocks of a fresh thread on kernel a: two unmeasured moves (to b by messages, back by shared memory), then "
            + "eight measured ones, S S M M S M M S, alternating a->b and b->a: each mode goes each way twice per block, and each "
            + "(mode, direction, previous mode) occurs once. The sizes take turns block by block.",
        "Latency = from the moment the source stopped the thread (at a step boundary) to the start of its first step at the "
            + "destination, both read from the host's monotonic clock by the kernels; a slow migration is waited for (up to 60 s) "
            + "and counted in (slower_than_5s says how many took more than 5 s). Percentiles from HdrHistogram, for both directions "
            + "together and for each; msg_over_shm = messages p50 / shared memory p50 from the histograms' values (target >= 3 at "
            + "256 KiB, in each direction).",
        "Also, by shared memory, stop -> ACK at the source (shm_stop_to_ack_us: the MIGRATE word's round trip and the adoption "
            + "it waits for), and two baselines, both mailbox round trips from a kernel thread (a control thread of the kernel, as "
            + "the one that sends MIGRATE) measured in the same run, each way after every block:",
        "  cold  mailbox_requester_rtt_cold_us: the first round trip after the kernels sat idle, one at a time, as a migration's "
            + "MIGRATE word is sent: the peer's interrupt context and the requester are blocked and both must be woken (on a "
            + "quiet virtual machine, a halted vCPU each); mailbox_requester_rtt_next_us is the round trip right after it, both "
            + "ends still awake;",
        "  warm  mailbox_requester_rtt_warm_us: round trips in a series after a warm-up series in the same call (both interrupt "
            + "contexts polling, the requester watching its ring): what `bench mailbox` reports as requester_rtt_us.",
        "The target is judged against the cold one (mailbox_requester_rtt_us repeats it, baseline says which): a migration is "
            + "one request on kernels that were idle, never the tenth word of a series, so its words cost what a cold round trip "
            + "costs; against the warm one the ratio (shm_over_warm_rtt_p50) says how far a migration is from the words at their "
            + "fastest. shm_over_rtt_p50 = shared memory p50 / cold round trip p50 (target <= 3 at every size: a migration by "
            + "shared memory costs a few words, whatever the state's size)."})
final class BenchMigrationCommand extends BenchSuite {

    static final double TARGET_RATIO_AT_256K = 3.0;
    static final long[] SIZES = {1024, 16 * 1024, 256 * 1024};
    /** Migrations slower than this are counted in the figures and also reported apart ({@code slower_than_5s}). */
    static final long SLOW_NS = TimeUnit.SECONDS.toNanos(5);
    static final long ARRIVAL_DEADLINE_S = 60;
    /** Target: by shared memory, stop to first step p50 within this many mailbox round trips, at every size. */
    static final double TARGET_SHM_OVER_RTT = 3.0;
    /** The warm baseline: round trips measured per direction after every block, after as many again unmeasured in the same call. */
    static final int WARM_ROUND_TRIPS = 32;
    static final int WARM_UP_ROUND_TRIPS = 256;
    static final String BASELINE = "cold: the first mailbox round trip from a kernel thread after the kernels sat idle, one at a time, "
        + "as a migration's MIGRATE word is sent (mailbox_requester_rtt_cold_us)";

    @Option(names = "--json", description = "Print JSON: {\"sizes\": [{\"bytes\", \"shm_us\": {\"p50\", \"p90\", \"p99\", ...}, \"msg_us\": "
        + "{...}, \"msg_over_shm\", \"msg_image_bytes\", \"slower_than_5s\", \"directions\": {\"a_to_b\": {\"shm_us\", \"msg_us\", "
        + "\"msg_over_shm\", ...}, \"b_to_a\": {...}}, \"shm_stop_to_ack_us\", \"shm_over_rtt_p50\", \"shm_over_warm_rtt_p50\"}], "
        + "\"mailbox_requester_rtt_us\" (the baseline the target is judged against: the cold one), \"baseline\", "
        + "\"mailbox_requester_rtt_cold_us\", \"mailbox_requester_rtt_next_us\", \"mailbox_requester_rtt_warm_us\", \"target_met\", "
        + "\"shm_target_met\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--migrations", paramLabel = "N", description = "Measured migrations of each mode per size, both directions together, rounded up to a multiple "
        + "of 4 (default: 200; --quick: 40).")
    Integer migrations;

    @Option(names = "--warmup", paramLabel = "N", description = "Migrations of each mode per size made first and not measured, rounded up to a "
        + "multiple of 4 (default: 40; --quick: 15).")
    Integer warmup;

    @Option(names = "--quick", description = "Fewer migrations (a CI smoke run, well under a minute).")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    @Override
    String suite() {
        return "migration";
    }

    @Override
    ObjectNode measure() {
        int measured = migrations != null ? migrations : quick ? 40 : 200;
        int warm = warmup != null ? warmup : quick ? 15 : 40;
        if (measured < 1 || warm < 0) {
            throw new CliException("expected --migrations >= 1 and --warmup >= 0; found " + measured + " and " + warm);
        }
        // K2's platform: strong x86_64 in coherence domain a, weak armv7 in domain b; the task regions are software-coherent
        try (BenchTarget target = measured(clusterOption.target(ClusterConfig.k2Default().withCluster("bench-migration"),
            "K2's platform: x86_64 in coherence domain a, armv7 in domain b", this::say))) {
            return measure(target, measured, warm);
        }
    }


    private ObjectNode measure(BenchTarget target, int measured, int warm) {
        List<KernelStatus> running = runningKernels(target, 2);
        KernelStatus a = running.get(0);
        KernelStatus b = running.get(1);
        int blocks = MigrationSchedule.blocksFor(measured);
        int warmBlocks = MigrationSchedule.blocksFor(warm);
        ObjectNode root = newFigures(target);
        root.put("kernel_a", a.getName());
        root.put("kernel_a_data_model", a.getDataModel());
        root.put("kernel_b", b.getName());
        root.put("kernel_b_data_model", b.getDataModel());
        root.put("migrations_per_kind", blocks * MigrationSchedule.PER_MODE_PER_BLOCK);
        root.put("migrations_per_kind_per_direction", blocks * MigrationSchedule.PER_MODE_PER_BLOCK / 2);
        root.put("warmup_per_kind", warmBlocks * MigrationSchedule.PER_MODE_PER_BLOCK);
        root.put("order", "per size, blocks of a fresh thread: 2 unmeasured moves (a->b by messages, b->a by shared memory), then "
            + "S S M M S M M S alternating a->b and b->a; sizes interleaved block by block");
        Histogram rtt = LatencySummary.histogram();
        Histogram next = LatencySummary.histogram();
        Histogram warmRtt = LatencySummary.histogram();
        List<SizeFigures> figures = new ArrayList<>();
        for (long bytes : SIZES) {
            figures.add(new SizeFigures(bytes));
        }
        try (KernelChannels kernels = kernelChannels(target)) {
            for (int block = 0; block < warmBlocks + blocks; block++) {
                boolean counted = block >= warmBlocks;
                say(String.format(Locale.ROOT, "%s block %d of %d (%d moves per size, sizes interleaved)", counted ? "measured" : "warm-up",
                    counted ? block - warmBlocks + 1 : block + 1, counted ? blocks : warmBlocks, MigrationSchedule.block().size()));
                for (int index : MigrationSchedule.sizeOrder(block, SIZES.length)) {
                    runBlock(kernels, a, b, figures.get(index), counted);
                    // the baselines, in the same run: from a kernel thread each way, the first round trip after the block (cold,
                    // as a MIGRATE word), the one right after it, then a series after a warm-up series (warm, as bench mailbox's)
                    for (KernelStatus[] pair : new KernelStatus[][] {{a, b}, {b, a}}) {
                        MailboxPingReply cold = ping(kernels, pair[0], pair[1], 2, false);
                        MailboxPingReply warmed = call(pair[0], () -> kernels.mailbox(pair[0].getControl()).withDeadlineAfter(60,
                            TimeUnit.SECONDS).ping(MailboxPingRequest.newBuilder().setPeer(pair[1].getId()).setRoundTrips(WARM_ROUND_TRIPS)
                            .setWarmup(WARM_UP_ROUND_TRIPS).setTimeoutMs(10_000).build()));
                        if (counted) {
                            LatencySummary.record(rtt, new long[] {cold.getRttNs(0)});
                            LatencySummary.record(next, new long[] {cold.getRttNs(1)});
                            LatencySummary.record(warmRtt, warmed.getRttNsList().stream().mapToLong(Long::longValue).toArray());
                        }
                    }
                }
            }
        }
        LatencySummary rttSummary = LatencySummary.of(rtt);
        LatencySummary warmSummary = LatencySummary.of(warmRtt);
        root.put("baseline", BASELINE);
        root.set("mailbox_requester_rtt_us", rttSummary.json());
        root.set("mailbox_requester_rtt_cold_us", rttSummary.json());
        root.set("mailbox_requester_rtt_next_us", LatencySummary.of(next).json());
        root.set("mailbox_requester_rtt_warm_us", warmSummary.json());
        root.put("cold_over_warm_rtt_p50", rttSummary.p50Over(warmSummary));
        ArrayNode sizes = root.putArray("sizes");
        boolean targetMet = true;
        boolean shmTargetMet = true;
        for (SizeFigures size : figures) {
            ObjectNode node = size.json(a, b, rttSummary, warmSummary);
            sizes.add(node);
            shmTargetMet &= node.get("shm_over_rtt_p50").asDouble() <= TARGET_SHM_OVER_RTT;
            if (size.bytes == 256 * 1024) {
                for (Direction direction : Direction.values()) {
                    targetMet &= node.get("directions").get(direction.key()).get("msg_over_shm").asDouble() >= TARGET_RATIO_AT_256K;
                }
            }
        }
        root.put("target_msg_over_shm_at_256KiB", TARGET_RATIO_AT_256K);
        root.put("target", "msg_over_shm >= " + TARGET_RATIO_AT_256K + " at 256 KiB in each direction");
        root.put("target_met", targetMet);
        root.put("target_shm_over_rtt_p50", TARGET_SHM_OVER_RTT);
        root.put("shm_target", "shm_over_rtt_p50 <= " + TARGET_SHM_OVER_RTT + " at every size, against the cold round trip (baseline)");
        root.put("shm_target_met", shmTargetMet);
        return root;
    }

    /** One block of {@link MigrationSchedule} for one size: a fresh thread on kernel a, its moves, then it is ended. */
    private void runBlock(KernelChannels kernels, KernelStatus a, KernelStatus b, SizeFigures figures, boolean counted) {
        long bytes = figures.bytes;
        SpawnReply spawned = call(a, () -> kernels.tasks(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).spawn(SpawnRequest
            .newBuilder().setProgram("memwalk").setThreads(1).setKind(ThreadKind.NORMAL).putArgs("bytes", Long.toString(bytes))
            .putArgs("cycles", "20000").build()));
        int tid = spawned.getTids(0);
        KernelStatus here = a;
        MigrationSchedule.Mode previous = null;
        try {
            for (MigrationSchedule.Move move : MigrationSchedule.block()) {
                KernelStatus source = move.direction() == Direction.A_TO_B ? a : b;
                KernelStatus there = source == a ? b : a;
                if (source != here) {
                    throw new IllegalStateException("thread " + tid + " is on " + here.getName() + ", the schedule moves it from " + source.getName());
                }
                boolean byMessages = move.mode() == MigrationSchedule.Mode.MESSAGES;
                MigrateReply reply = call(source, () -> kernels.tasks(source.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .migrate(MigrateRequest.newBuilder().setTid(tid).setToId(there.getId()).setHops(1)
                        .setMode(byMessages ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY).build()));
                MigrationEvent arrival = awaitFirstStep(kernels, there, tid, reply.getStoppedNs());
                here = there;
                if (counted && move.measured()) {
                    figures.record(move, previous, arrival.getFirstStepNs() - arrival.getStoppedNs(), arrival.getAdoptedNs()
                        - arrival.getStoppedNs(), byMessages ? reply.getStateBytes() : -1, byMessages ? -1 : reply.getAdoptedNs() - reply.getStoppedNs());
                }
                previous = move.mode();
            }
        } finally {
            KernelStatus owner = here;
            call(owner, () -> kernels.tasks(owner.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .kill(io.archipelago.task.proto.KillRequest.newBuilder().setTid(tid).setHops(1).build()));
        }
    }

    /** What one size measured: latencies and hand-offs per mode, pooled and per direction. */
    private static final class SizeFigures {
        final long bytes;
        final Map<String, Histogram> latency = new HashMap<>();
        final Map<String, Histogram> handoff = new HashMap<>();
        /** By shared memory, at the source: stop to the destination's ACK. */
        final Map<String, Histogram> stopToAck = new HashMap<>();
        long imageBytes;
        long slow;

        SizeFigures(long bytes) {
            this.bytes = bytes;
        }

        void record(MigrationSchedule.Move move, MigrationSchedule.Mode previous, long latencyNs, long handoffNs, long stateBytes,
                    long stopToAckNs) {
            String mode = move.mode() == MigrationSchedule.Mode.MESSAGES ? "msg" : "shm";
            // after a move by messages the thread's data is a new region the destination has never attached
            String after = mode + (previous == MigrationSchedule.Mode.MESSAGES ? " after msg" : " after shm");
            for (String key : List.of(mode, mode + " " + move.direction().key(), after)) {
                LatencySummary.record(latency.computeIfAbsent(key, k -> LatencySummary.histogram()), new long[] {latencyNs});
                LatencySummary.record(handoff.computeIfAbsent(key, k -> LatencySummary.histogram()), new long[] {handoffNs});
                if (stopToAckNs >= 0) {
                    LatencySummary.record(stopToAck.computeIfAbsent(key, k -> LatencySummary.histogram()), new long[] {stopToAckNs});
                }
            }
            if (latencyNs > SLOW_NS) {
                slow++;
            }
            if (stateBytes >= 0) {
                imageBytes = stateBytes;
            }
        }

        private LatencySummary summary(Map<String, Histogram> histograms, String key) {
            Histogram histogram = histograms.get(key);
            return histogram == null ? LatencySummary.NONE : LatencySummary.of(histogram);
        }

        ObjectNode json(KernelStatus a, KernelStatus b, LatencySummary rtt, LatencySummary warmRtt) {
            ObjectNode size = StatusView.JSON.createObjectNode();
            size.put("bytes", bytes);
            LatencySummary shm = summary(latency, "shm");
            LatencySummary msg = summary(latency, "msg");
            size.set("shm_us", shm.json());
            size.set("msg_us", msg.json());
            // both directions alike (the schedule balances them): the headline; per direction below
            size.put("msg_over_shm", msg.p50Over(shm));
            size.put("msg_over_shm_p90", msg.p90Over(shm));
            size.set("shm_handoff_us", summary(handoff, "shm").json());
            size.set("msg_handoff_us", summary(handoff, "msg").json());
            size.set("shm_stop_to_ack_us", summary(stopToAck, "shm").json());
            // by what the move before left: the same data region, attached here before (after shm), or a new one (after msg)
            size.set("shm_after_shm_us", summary(latency, "shm after shm").json());
            size.set("shm_after_msg_us", summary(latency, "shm after msg").json());
            size.set("shm_handoff_after_shm_us", summary(handoff, "shm after shm").json());
            size.set("shm_handoff_after_msg_us", summary(handoff, "shm after msg").json());
            size.put("shm_over_rtt_p50", shm.p50Over(rtt));
            size.put("shm_over_warm_rtt_p50", shm.p50Over(warmRtt));
            size.put("msg_image_bytes", imageBytes);
            size.put("slower_than_5s", slow);
            ObjectNode directions = size.putObject("directions");
            for (Direction direction : Direction.values()) {
                ObjectNode d = directions.putObject(direction.key());
                d.put("from", direction == Direction.A_TO_B ? a.getName() : b.getName());
                d.put("to", direction == Direction.A_TO_B ? b.getName() : a.getName());
                LatencySummary dShm = summary(latency, "shm " + direction.key());
                LatencySummary dMsg = summary(latency, "msg " + direction.key());
                d.set("shm_us", dShm.json());
                d.set("msg_us", dMsg.json());
                d.put("msg_over_shm", dMsg.p50Over(dShm));
                d.put("msg_over_shm_p90", dMsg.p90Over(dShm));
                d.set("shm_handoff_us", summary(handoff, "shm " + direction.key()).json());
                d.set("msg_handoff_us", summary(handoff, "msg " + direction.key()).json());
                d.set("shm_stop_to_ack_us", summary(stopToAck, "shm " + direction.key()).json());
                d.put("shm_over_rtt_p50", dShm.p50Over(rtt));
            }
            return size;
        }
    }

    /**
     * The destination's record of the migration, once the thread ran its first step there. A slow
     * migration is waited for and counted in (up to {@link #ARRIVAL_DEADLINE_S} s; past that the
     * bench fails, naming the destination, rather than drop it from the figures).
     */
    static MigrationEvent awaitFirstStep(KernelChannels kernels, KernelStatus destination, int tid, long stoppedNs) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ARRIVAL_DEADLINE_S);
        long pause = TimeUnit.MICROSECONDS.toNanos(200);
        while (System.nanoTime() - deadline < 0) {
            var events = call(destination, () -> kernels.tasks(destination.getControl()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .schedEvents(SchedEventsRequest.newBuilder().setSkipSteps(true).setMigrationsAfterNs(stoppedNs).build()));
            for (MigrationEvent event : events.getMigrationsList()) {
                if (event.getTid() == tid && event.getStoppedNs() == stoppedNs) {
                    return event;
                }
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new CliException("thread " + tid + " did not run its first step on " + destination.getName() + " (control "
            + destination.getControl() + ") within " + ARRIVAL_DEADLINE_S + " s of being stopped at the source");
    }


    private static String human(long bytes) {
        return bytes >= 1024 * 1024 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
    }

    @Override
    void printTable(ObjectNode result, PrintWriter out) {
        out.printf(Locale.ROOT, "thread migration %s (%s) <-> %s (%s), cluster '%s'%s; %d migrations of each mode per size (%d each way) "
                + "after %d of warm-up, sizes and modes interleaved; stop at the source -> first step at the destination, microseconds:%n",
            result.get("kernel_a").asText(), result.get("kernel_a_data_model").asText(), result.get("kernel_b").asText(),
            result.get("kernel_b_data_model").asText(), result.get("cluster").asText(),
            temporaryMark(result), result.get("migrations_per_kind").asInt(),
            result.get("migrations_per_kind_per_direction").asInt(), result.get("warmup_per_kind").asInt());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"state", "direction", "shm p50", "shm p90", "shm p99", "msg p50", "msg p90", "msg p99", "msg/shm p50",
            "msg image", "> 5 s"});
        for (var size : result.get("sizes")) {
            String state = human(size.get("bytes").asLong());
            rows.add(row(state, "both", size, size.get("msg_image_bytes").asLong() + " B", Long.toString(size.get("slower_than_5s").asLong())));
            for (Direction direction : Direction.values()) {
                var d = size.get("directions").get(direction.key());
                rows.add(row("", d.get("from").asText() + " -> " + d.get("to").asText(), d, "", ""));
            }
        }
        StatusView.printRows(rows, out);
        out.printf(Locale.ROOT, "target msg/shm >= %.1f at 256 KiB in each direction: %s%n", TARGET_RATIO_AT_256K,
            result.get("target_met").asBoolean() ? "met" : "NOT met");
        var rtt = result.get("mailbox_requester_rtt_cold_us");
        var warmRtt = result.get("mailbox_requester_rtt_warm_us");
        out.printf(Locale.ROOT, "mailbox round trip from a kernel thread, same run: cold (the first after idle, as a MIGRATE word) p50 %s, "
                + "p90 %s, p99 %s us; the next one p50 %s us; warm (in a series, as bench mailbox) p50 %s, p90 %s us%n",
            fmt(rtt.get("p50").asDouble()), fmt(rtt.get("p90").asDouble()), fmt(rtt.get("p99").asDouble()),
            fmt(result.get("mailbox_requester_rtt_next_us").get("p50").asDouble()), fmt(warmRtt.get("p50").asDouble()),
            fmt(warmRtt.get("p90").asDouble()));
        out.printf(Locale.ROOT, "by shared memory, stop -> first step p50 over the cold round trip (the like-for-like baseline), over the warm one:");
        for (var size : result.get("sizes")) {
            out.printf(Locale.ROOT, " %s %s, %s (stop -> ACK at the source p50 %s us)", human(size.get("bytes").asLong()),
                fmt2(size.get("shm_over_rtt_p50").asDouble()), fmt2(size.get("shm_over_warm_rtt_p50").asDouble()),
                fmt(size.get("shm_stop_to_ack_us").get("p50").asDouble()));
        }
        out.printf(Locale.ROOT, "; target <= %.1f cold round trips at every size: %s%n", TARGET_SHM_OVER_RTT,
            result.get("shm_target_met").asBoolean() ? "met" : "NOT met");
        out.flush();
    }

    private static String[] row(String state, String direction, com.fasterxml.jackson.databind.JsonNode figures, String image, String slow) {
        return new String[] {state, direction, fmt(figures.get("shm_us").get("p50").asDouble()), fmt(figures.get("shm_us").get("p90").asDouble()),
            fmt(figures.get("shm_us").get("p99").asDouble()), fmt(figures.get("msg_us").get("p50").asDouble()), fmt(figures.get("msg_us").get("p90").asDouble()),
            fmt(figures.get("msg_us").get("p99").asDouble()), fmt2(figures.get("msg_over_shm").asDouble()), image, slow};
    }

}
