package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.RoundRatios;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.trace.TraceRing;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench trace-cost}: what recording the cluster's timeline costs the paths it
 * records most, measured as {@code bench mailbox} and {@code bench dsm} measure them, with every
 * trace ring recording and stopped in alternating halves of interleaved rounds of one run, so that
 * the host's drift hits both alike.
 */
@Command(name = "trace-cost", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "What the timeline's recording costs: the mailbox round trip and the DSM page transfer with the trace rings on and off.",
    description = {
        "Boots a temporary cluster (K2's two kernels) unless --cluster names a running one, then measures in interleaved rounds, each "
            + "round once with every trace ring recording (every kernel's and the coordinator's, as `trace start` sets them) and once "
            + "with none (`trace stop`), the order alternating from round to round:",
        "  mailbox    PING/PONG round trips between the two kernels' interrupt contexts (bench mailbox's headline figure): four "
            + "word events recorded per round trip;",
        "  transfer   DSM page transfers one at a time, each write faulting (bench dsm's headline figure): the fault, its phases, "
            + "the holder's hand-over and the words recorded per transfer.",
        "on_over_off = p50 with the rings recording / p50 with them stopped, taken in each round and summarised by the median of the "
            + "rounds' ratios (with their 10th and 90th percentiles): the target (<= 1.05) is judged on that median, which cancels the "
            + "drift between rounds; the pooled ratio of all rounds is reported beside it (pooled_on_over_off). Every ring's record count is read "
            + "around each half: events_recorded_on must be positive and events_recorded_off at most one per round (a write in "
            + "flight when the rings stopped), or the comparison is not what it claims (exit code 1). The rings are left recording as they were found. Judge the target on a quiet host: a loaded one "
            + "moves p50s by more than 5%% between halves."})
final class BenchTraceCostCommand extends BenchSuite {

    static final double TARGET_RATIO = 1.05;
    private static final String REGION = "bench-trace-cost";

    @Option(names = "--json", description = "Print JSON: {\"mailbox_rtt_us\": {\"on\": {\"p50\", ...}, \"off\": {...}}, \"transfer_us\": "
        + "{\"on\", \"off\"}, \"mailbox_on_over_off\", \"transfer_on_over_off\" (medians of the rounds' ratios), \"rounds_on_over_off\": "
        + "{\"mailbox\": {\"median\", \"p10\", \"p90\", \"rounds\": [...]}, \"transfer\": {...}}, \"pooled_on_over_off\": {\"mailbox\", "
        + "\"transfer\"}, \"events_recorded_on\", \"events_recorded_off\", "
        + "\"load_average_before\", \"load_average_after\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--round-trips", paramLabel = "N", description = "Mailbox round trips measured each way, on and off (default: 40000; "
        + "--quick: 4000).")
    Integer roundTrips;

    @Option(names = "--transfers", paramLabel = "N", description = "DSM page transfers measured each way, on and off (default: 4000; "
        + "--quick: 400).")
    Integer transfers;

    @Option(names = "--rounds", paramLabel = "N", description = "Interleaved rounds, each with a half on and a half off (default: "
        + "${DEFAULT-VALUE}); each round's on/off ratio counts once in the median.")
    int rounds = 20;

    @Option(names = "--quick", description = "A CI smoke run: fewer round trips and transfers (well under a minute).")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    @Override
    String suite() {
        return "trace-cost";
    }

    @Override
    ObjectNode measure() {
        int pings = roundTrips != null ? roundTrips : quick ? 4_000 : 40_000;
        int faults = transfers != null ? transfers : quick ? 400 : 4_000;
        if (rounds < 1 || pings < rounds || faults < 2 * rounds) {
            throw new CliException("expected --rounds >= 1, --round-trips >= --rounds and --transfers >= 2 x --rounds; found " + rounds
                + ", " + pings + ", " + faults);
        }
        try (BenchTarget target = measured(clusterOption.target(ClusterConfig.k2Default().withCluster("bench-trace-cost"),
            "trace rings on and off", this::say))) {
            return measure(target, pings, faults);
        }
    }

    private ObjectNode measure(BenchTarget target, int pings, int faults) {
        List<KernelStatus> running = runningKernels(target, 2);
        KernelStatus a = running.get(0);
        KernelStatus b = running.get(1);
        List<Path> files = TraceCommand.rings(target.directory());
        List<TraceRing> rings = new ArrayList<>();
        boolean[] wasRecording = new boolean[files.size()];
        try (KernelChannels kernels = kernelChannels(target)) {
            for (int i = 0; i < files.size(); i++) {
                rings.add(TraceCommand.open(files.get(i)));
                wasRecording[i] = rings.get(i).recording();
            }
            openRegion(kernels, List.of(a, b), REGION, 8);
            double loadBefore = loadAverage();
            say("warming up: mailbox round trips and page transfers " + a.getName() + " <-> " + b.getName() + ", rings on and off");
            for (boolean on : new boolean[] {true, false}) {
                recording(rings, on);
                ping(kernels, a, b, Math.max(1_000, pings / 10));
                transfers(kernels, a, b, Math.max(100, faults / 10));
            }
            Histogram[] mailbox = {LatencySummary.histogram(), LatencySummary.histogram()};
            Histogram[] transfer = {LatencySummary.histogram(), LatencySummary.histogram()};
            long[] recorded = new long[2];
            double[] mailboxRatios = new double[rounds];
            double[] transferRatios = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                int roundPings = pings / rounds;
                int roundTransfers = faults / rounds;
                say("round " + (round + 1) + " of " + rounds + ": " + roundPings + " round trips and " + roundTransfers
                    + " page transfers with the rings " + (round % 2 == 0 ? "on, then off" : "off, then on"));
                Histogram[] roundMailbox = {LatencySummary.histogram(), LatencySummary.histogram()};
                Histogram[] roundTransfer = {LatencySummary.histogram(), LatencySummary.histogram()};
                for (int half = 0; half < 2; half++) {
                    boolean on = (round + half) % 2 == 0;
                    int way = on ? 1 : 0;
                    recording(rings, on);
                    long before = written(rings);
                    // rotate the kinds too, so that neither always follows a switch of the rings
                    if (round % 2 == 0) {
                        LatencySummary.record(roundMailbox[way], samples(ping(kernels, a, b, roundPings).getRttNsList()));
                        LatencySummary.record(roundTransfer[way], transfers(kernels, a, b, roundTransfers));
                    } else {
                        LatencySummary.record(roundTransfer[way], transfers(kernels, a, b, roundTransfers));
                        LatencySummary.record(roundMailbox[way], samples(ping(kernels, a, b, roundPings).getRttNsList()));
                    }
                    recorded[way] += written(rings) - before;
                    mailbox[way].add(roundMailbox[way]);
                    transfer[way].add(roundTransfer[way]);
                }
                mailboxRatios[round] = onOverOff(roundMailbox);
                transferRatios[round] = onOverOff(roundTransfer);
            }
            double loadAfter = loadAverage();
            LatencySummary mailboxOn = LatencySummary.of(mailbox[1]);
            LatencySummary mailboxOff = LatencySummary.of(mailbox[0]);
            LatencySummary transferOn = LatencySummary.of(transfer[1]);
            LatencySummary transferOff = LatencySummary.of(transfer[0]);
            ObjectNode root = newFigures(target);
            root.put("kernels", a.getName() + " <-> " + b.getName());
            root.put("rings", rings.size());
            root.put("rounds", rounds);
            root.put("transport", ping(kernels, a, b, 1).getTransport());
            ObjectNode rtt = root.putObject("mailbox_rtt_us");
            rtt.set("on", mailboxOn.json());
            rtt.set("off", mailboxOff.json());
            ObjectNode pages = root.putObject("transfer_us");
            pages.set("on", transferOn.json());
            pages.set("off", transferOff.json());
            RoundRatios mailboxRounds = new RoundRatios(mailboxRatios);
            RoundRatios transferRounds = new RoundRatios(transferRatios);
            root.put("mailbox_on_over_off", mailboxRounds.json().get("median").asDouble());
            root.put("transfer_on_over_off", transferRounds.json().get("median").asDouble());
            ObjectNode perRound = root.putObject("rounds_on_over_off");
            perRound.set("mailbox", mailboxRounds.json());
            perRound.set("transfer", transferRounds.json());
            ObjectNode pooled = root.putObject("pooled_on_over_off");
            pooled.put("mailbox", mailboxOn.p50Over(mailboxOff));
            pooled.put("transfer", transferOn.p50Over(transferOff));
            root.put("target_on_over_off", TARGET_RATIO);
            root.put("events_recorded_on", recorded[1]);
            root.put("events_recorded_off", recorded[0]);
            root.put("load_average_before", loadBefore);
            root.put("load_average_after", loadAfter);
            return root;
        } finally {
            for (int i = 0; i < rings.size(); i++) {
                rings.get(i).recording(wasRecording[i]);
                rings.get(i).close();
            }
        }
    }

    @Override
    int exitCode(ObjectNode figures) {
        // a writer that saw its ring recording just before it was stopped still writes its record: one per switch at most, in practice
        if (figures.get("events_recorded_off").asLong() > figures.get("rounds").asLong() || figures.get("events_recorded_on").asLong() == 0) {
            spec.commandLine().getErr().printf(Locale.ROOT, "bench trace-cost: the rings recorded %d events while stopped and %d while "
                + "recording: expected at most %d (writes in flight at a switch) and some; the comparison does not hold%n",
                figures.get("events_recorded_off").asLong(), figures.get("events_recorded_on").asLong(), figures.get("rounds").asLong());
            return 1;
        }
        return 0;
    }

    @Override
    void printTable(ObjectNode result, PrintWriter out) {
        out.printf(Locale.ROOT, "trace rings on and off, %s, mailbox over %s, cluster '%s'%s, %d interleaved rounds; microseconds:%n",
            result.get("kernels").asText(), result.get("transport").asText(), result.get("cluster").asText(),
            temporaryMark(result), result.get("rounds").asInt());
        List<String[]> rows = new ArrayList<>();
        rows.add(percentileHeader("count"));
        rows.add(countRow("mailbox round trip, rings on", result.get("mailbox_rtt_us").get("on")));
        rows.add(countRow("mailbox round trip, rings off", result.get("mailbox_rtt_us").get("off")));
        rows.add(countRow("page transfer, rings on", result.get("transfer_us").get("on")));
        rows.add(countRow("page transfer, rings off", result.get("transfer_us").get("off")));
        StatusView.printRows(rows, out);
        double mailbox = result.get("mailbox_on_over_off").asDouble();
        double transfer = result.get("transfer_on_over_off").asDouble();
        JsonNode rounds = result.get("rounds_on_over_off");
        out.printf(Locale.ROOT, "on / off, p50, median of %d rounds' ratios: mailbox round trip %.3f (p10 %.3f, p90 %.3f), page transfer "
            + "%.3f (p10 %.3f, p90 %.3f) (target <= %.2f: %s); pooled over all rounds %.3f and %.3f%n", result.get("rounds").asInt(),
            mailbox, rounds.get("mailbox").get("p10").asDouble(), rounds.get("mailbox").get("p90").asDouble(), transfer,
            rounds.get("transfer").get("p10").asDouble(), rounds.get("transfer").get("p90").asDouble(), TARGET_RATIO,
            mailbox <= TARGET_RATIO && transfer <= TARGET_RATIO ? "met" : "NOT met",
            result.get("pooled_on_over_off").get("mailbox").asDouble(), result.get("pooled_on_over_off").get("transfer").asDouble());
        out.printf(Locale.ROOT, "events recorded: %,d with the rings on, %,d with them off; load average %.2f before, %.2f after%n",
            result.get("events_recorded_on").asLong(), result.get("events_recorded_off").asLong(),
            result.get("load_average_before").asDouble(), result.get("load_average_after").asDouble());
        out.flush();
    }

    /** A round's p50 with the rings recording over its p50 with them stopped, from the histograms' own values. */
    private static double onOverOff(Histogram[] offOn) {
        return (double) offOn[1].getValueAtPercentile(50) / Math.max(1, offOn[0].getValueAtPercentile(50));
    }

    private static void recording(List<TraceRing> rings, boolean on) {
        rings.forEach(ring -> ring.recording(on));
    }

    private static long written(List<TraceRing> rings) {
        return rings.stream().mapToLong(TraceRing::written).sum();
    }

    /** Round trips between the two kernels' interrupt contexts, as bench mailbox's headline figure. */
    private static MailboxPingReply ping(KernelChannels kernels, KernelStatus from, KernelStatus to, int count) {
        return ping(kernels, from, to, count, true);
    }

    /** Page transfers one at a time, as bench dsm's headline figure (each timed access is one fault). */
    private static long[] transfers(KernelChannels kernels, KernelStatus a, KernelStatus b, int count) {
        return lockstep(kernels, a, b, REGION, 0, count, (writer, other) -> { });
    }
}
