package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.BaselinePair;
import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.ProcessCpu;
import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.control.proto.MailboxStreamReply;
import io.archipelago.control.proto.MailboxStreamRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfigLoader;
import io.archipelago.coordinator.config.ConfigException;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.interconnect.mailbox.MailboxConfiguration;
import io.archipelago.interconnect.mailbox.MailboxContext.LoopPoll;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench mailbox}: the PING/PONG round trip of the emulated mailbox between two
 * kernel processes against plain socket ping-pongs between two JVM processes over the same kind
 * of socket, one blocking and one polling (the mailbox's interrupt context polls, a requester
 * blocks: each is compared with its like), measured in the same run, in interleaved rounds so
 * that the machine's load affects all alike; plus one-way throughput through a FIFO of the
 * cluster's depth.
 */
@Command(name = "mailbox", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Mailbox round trip and throughput between two kernel processes, against blocking and polling plain-socket baselines.",
    description = {
        "Boots a temporary cluster (K2's two kernels) unless --cluster names a running one, then measures, in the same run "
            + "and in interleaved rounds, PING/PONG round trips from the first kernel to the second:",
        "  mailbox    each PING leaves the first kernel's interrupt context when the previous PONG arrives there (the word's "
            + "round trip between the two kernels' interrupt contexts: the thread that writes is the one that reads, as in the "
            + "baseline);",
        "  requester  each PING from a kernel thread that waits for its PONG with the request/reply helper (adds the hand-off "
            + "between that thread and the interrupt context, as a DSM requester sees it);",
        "  baseline   a 4-byte socket ping-pong between two fresh JVM processes over the same kind of socket, blocking in read;",
        "  polling    the same, each side polling its non-blocking socket after each word for as long as the interrupt contexts poll "
            + "(loop_spin_us; 50 us if they do not) and under the same rule (loop_poll: idle-core polls only while the machine's "
            + "runnable threads leave a core), then waiting in a selector;",
        "  floor      the physical floor: two JVM processes ping-ponging one cache line of a shared mmap'd file, both spinning "
            + "(nothing between them: no framing, doorbell or wake-up); measured for every transport.",
        "Percentiles come from HdrHistogram over every measured round trip after the warm-up; every ratio is taken from the "
            + "histograms' values: ratio_p50 = mailbox p50 / blocking baseline p50, ratio_p50_vs_polling against the polling one, "
            + "requester_ratio_p50 and requester_ratio_p50_vs_polling likewise. Targets, like with like: interrupt context / polling "
            + "baseline <= 1.5, and requester / blocking baseline <= 1.5 (a DSM requester blocks for its reply); target_met when "
            + "both hold. mailbox_over_floor_p50 and requester_over_floor_p50 divide by the floor's p50. Throughput: NOP words one way from "
            + "a kernel thread "
            + "as fast as the FIFO allows, to the PONG that proves the last was consumed, against the same words on the plain "
            + "socket (no FIFO) and through a FIFO of depth 4 on the cache lines (the floor), each after a warm-up stream of as many "
            + "words. Then the cluster is left idle for --idle-s "
            + "seconds and its processes' CPU is read from /proc (idle_cluster_cpu_percent, in %% of one core: the kernels and the "
            + "coordinator; for a temporary cluster the coordinator runs in this command's process)."})
final class BenchMailboxCommand extends BenchSuite {

    static final double TARGET_RATIO_P50 = 1.5;
    static final double MAILBOX_OVER_FLOOR_MAX = 4;
    static final double REQUESTER_OVER_FLOOR_MAX = 10;
    static final long THROUGHPUT_MIN = 1_000_000;
    static final double IDLE_CPU_MAX = 5;
    /** The polling baseline's window when the kernels' interrupt contexts do not poll (loop_spin_us 0). */
    static final int DEFAULT_BASELINE_POLL_US = 50;

    @Option(names = "--json", description = "Print JSON: {\"mailbox_rtt_us\": {\"p50\", \"p99\", \"p999\", ...}, \"requester_rtt_us\": "
        + "{...}, \"baseline_rtt_us\": {...}, \"polling_baseline_rtt_us\": {...}, \"ratio_p50\", \"ratio_p50_vs_polling\", "
        + "\"requester_ratio_p50\", \"requester_ratio_p50_vs_polling\", \"targets\", \"transport\", \"floor_rtt_us\": {\"p50\", \"p90\", "
        + "\"p99\", \"p999\", ...}, \"mailbox_over_floor_p50\", \"requester_over_floor_p50\", \"throughput_words_per_s\", "
        + "\"throughput_receiver_sleeps\", \"throughput_doorbells\", \"throughput_sender_parks\" (during the measured stream), "
        + "\"floor_throughput_words_per_s\", \"idle_cluster_cpu_percent\", \"floor_targets\" (the shared-memory interconnect's targets: "
        + "interrupt context <= 4 floors, kernel thread <= 10, >= 1,000,000 words/s, idle cluster <= 5%% of a core; judged for shm), "
        + "\"host\" (the host's own floors, as calibrate measures them), \"platform\" (the modelled platform in force), \"modelled_word_ns\", "
        + "\"modelled_rtt_us\" (twice the modelled one-way word latency; 0 for the host), \"mailbox_over_modelled_p50\", "
        + "\"requester_over_modelled_p50\", \"noise_warnings\" (where the host's own cost of a word, one way of this run's ping-pong floor, is over a fifth of the model), ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--transport", paramLabel = "shm|tcp|unix", description = "What carries the temporary cluster's mailbox words "
        + "(default: shm, as in a cluster by default; with --cluster: the cluster's). The socket baselines use Unix sockets for "
        + "unix and TCP otherwise.")
    String transport;

    @Option(names = "--round-trips", paramLabel = "N", description = "Measured round trips of each kind (default: 50000; --quick: 20000).")
    Integer roundTrips;

    @Option(names = "--warmup", paramLabel = "N", description = "Round trips made first and not measured, in batches of N between the interrupt contexts repeated until two "
        + "batches in a row agree within 20%% (at most 12 batches; default N: 20000; --quick: 5000).")
    Integer warmup;

    @Option(names = "--rounds", paramLabel = "N", description = "Interleaved rounds the round trips are split into (default: ${DEFAULT-VALUE}).")
    int rounds = 5;

    @Option(names = "--throughput-words", paramLabel = "N", description = "Words streamed one way (default: 200000; --quick: 50000).")
    Integer throughputWords;

    @Option(names = "--fifo-depth", paramLabel = "WORDS", description = "Mailbox FIFO depth of the temporary cluster (default: ${DEFAULT-VALUE}).")
    int fifoDepth = MailboxConfiguration.FIFO_DEPTH_DEFAULT;

    @Option(names = "--spin-us", paramLabel = "US", description = "Temporary cluster: microseconds a waiting kernel thread spins before it "
        + "parks (default: the kernels' default, 0).")
    Integer spinUs;

    @Option(names = "--loop-spin-us", paramLabel = "US", description = "Temporary cluster: microseconds the kernels' interrupt contexts poll "
        + "after their last word before they block (default: the kernels' default, 50; 0: block at once).")
    Integer loopSpinUs;

    @Option(names = "--loop-poll", paramLabel = "idle-core|always", description = "Temporary cluster: when the interrupt contexts may poll: "
        + "idle-core (the default) only while no thread of the machine waits for a core; always for the whole window.")
    String loopPoll;

    @Option(names = "--io", paramLabel = "auto|epoll|nio", description = "Temporary cluster: the kernels' Netty I/O (default: auto, epoll "
        + "when it loads).")
    String io;

    @Option(names = "--platform", paramLabel = "PRESET|FILE", description = "Temporary cluster: the modelled platform (README, \"A "
        + "platform model\"): a preset (host, omap4, cxl-direct, cxl-switch) or a cluster YAML file whose platform: section (and "
        + "islands) to use. Words between the two kernels are then held until send time + the modelled latency, and the figures "
        + "carry modelled_rtt_us beside the measured round trips (default: the host: nothing injected).")
    String platform;

    @Option(names = "--idle-s", paramLabel = "S", description = "Seconds the cluster is watched idle at the end (default: 10; --quick: 3).")
    Integer idleS;

    @Option(names = "--quick", description = "Fewer words (a CI smoke run; well under a minute), still >= 20000 round trips.")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    private int idleSeconds;

    @Override
    String suite() {
        return "mailbox";
    }

    @Override
    ObjectNode measure() {
        int measured = roundTrips != null ? roundTrips : quick ? 20_000 : 50_000;
        int warm = warmup != null ? warmup : quick ? 5_000 : 20_000;
        int words = throughputWords != null ? throughputWords : quick ? 50_000 : 200_000;
        idleSeconds = idleS != null ? idleS : quick ? 3 : 10;
        if (measured < rounds || rounds < 1 || warm < 0 || words < 1 || idleSeconds < 1 || idleSeconds > 600) {
            throw new CliException("expected --rounds >= 1, --round-trips >= --rounds, --warmup >= 0, --throughput-words >= 1 and --idle-s "
                + "1 to 600; found " + rounds + ", " + measured + ", " + warm + ", " + words + ", " + idleSeconds);
        }
        if (transport != null && !MailboxTransport.IDS.contains(transport)) {
            throw new CliException("--transport: expected one of " + String.join(", ", MailboxTransport.IDS) + ", found '" + transport + "'");
        }
        if (io != null && !List.of("auto", "epoll", "nio").contains(io)) {
            throw new CliException("--io: expected auto, epoll or nio, found '" + io + "'");
        }
        if (spinUs != null && (spinUs < 0 || spinUs > 10_000)) {
            throw new CliException("--spin-us: expected 0 to 10000 microseconds, found " + spinUs);
        }
        if (loopSpinUs != null && (loopSpinUs < 0 || loopSpinUs > 1000)) {
            throw new CliException("--loop-spin-us: expected 0 to 1000 microseconds, found " + loopSpinUs);
        }
        if (loopPoll != null && !LoopPoll.IDS.contains(loopPoll)) {
            throw new CliException("--loop-poll: expected idle-core or always, found '" + loopPoll + "'");
        }
        if (clusterOption.running() && (spinUs != null || loopSpinUs != null || loopPoll != null || io != null || platform != null)) {
            throw new CliException("--spin-us, --loop-spin-us, --loop-poll, --io and --platform configure a temporary cluster; a running "
                + "cluster keeps its own settings");
        }
        modelled = platform == null ? null : platformModel(platform);
        List<String> kernelOptions = new ArrayList<>();
        if (spinUs != null) {
            kernelOptions.add("-Darchipelago.mailbox.spin-us=" + spinUs);
        }
        if (io != null) {
            kernelOptions.add("-Darchipelago.mailbox.io=" + io);
        }
        try (BenchTarget target = measured(clusterOption.running() ? BenchTarget.running(clusterOption.directory())
            : temporary(kernelOptions))) {
            return measure(target, measured, warm, words);
        }
    }

    /** The platform named by --platform, and the islands its file configures (K2's for a preset). */
    private ClusterConfig modelled;

    /** A preset's name, or a cluster YAML file with a platform: section. */
    static ClusterConfig platformModel(String option) {
        if (Platform.PRESET_NAMES.contains(option)) {
            return ClusterConfig.k2Default().withPlatform(Platform.preset(option));
        }
        Path file = Path.of(option);
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new CliException("--platform: expected a preset (" + String.join(", ", Platform.PRESET_NAMES)
                + ") or a cluster YAML file with a platform: section, found '" + option + "' (no such preset or file)");
        }
        try {
            return ClusterConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new CliException("--platform: " + e.getMessage());
        }
    }

    private BenchTarget temporary(List<String> kernelOptions) {
        String socket = transport == null ? ClusterConfig.k2Default().mailboxTransport() : transport;
        ClusterConfig start = modelled == null ? ClusterConfig.k2Default()
            : ClusterConfig.k2Default().toBuilder().islands(modelled.islands()).platform(modelled.platform()).build();
        ClusterConfig defaults = start.withCluster("bench").withMailbox(socket, fifoDepth);
        List<String> jvmOptions = new ArrayList<>(defaults.kernelJvmOptions());
        jvmOptions.addAll(kernelOptions);
        // the interrupt contexts' poll travels as the cluster configuration's, the way a YAML's mailbox keys do
        ClusterConfig.Builder builder = defaults.toBuilder().kernelJvmOptions(jvmOptions);
        List<String> settings = new ArrayList<>(kernelOptions);
        if (loopSpinUs != null) {
            builder.loopSpinUs(loopSpinUs);
            settings.add("loop-spin-us " + loopSpinUs);
        }
        if (loopPoll != null) {
            builder.loopPoll(loopPoll);
            settings.add("loop-poll " + loopPoll);
        }
        if (modelled != null) {
            settings.add("platform " + modelled.platform().name());
        }
        return BenchTarget.temporary(builder.build(), "mailbox over " + socket + ", FIFO depth " + fifoDepth
            + (settings.isEmpty() ? "" : ", " + String.join(" ", settings)), this::say);
    }


    private ObjectNode measure(BenchTarget target, int measured, int warm, int words) {
        List<KernelStatus> running = runningKernels(target, 2);
        KernelStatus from = running.get(0);
        KernelStatus to = running.get(1);
        try (KernelChannels kernels = new KernelChannels(target.secret(), "bench@" + ProcessHandle.current().pid())) {
            // the receiver's drops count from here: boot may leave some that are not the benchmark's (a DSM answer that
            // arrived after its attempt's deadline, see docs/dsm.md)
            KernelStatus receiverBefore = receiver(target, to);
            say("warming up: " + warm + " round trips " + from.getName() + " -> " + to.getName());
            MailboxPingReply first = ping(kernels, from, to, Math.max(1, warm), 1, false);
            String socketKind = first.getTransport();
            if (transport != null && !transport.equals(socketKind)) {
                throw new CliException("cluster '" + target.status().getCluster() + "' runs its mailbox over " + socketKind
                    + ", not " + transport + "; leave --transport out, or bench a temporary cluster");
            }
            Path socketDirectory = target.scratch();
            Path baselineSocket = socketKind.equals("unix") ? socketDirectory.resolve("baseline.sock") : null;
            Path pollingSocket = socketKind.equals("unix") ? socketDirectory.resolve("baseline-poll.sock") : null;
            // the polling baseline polls as long after each word as the kernels' interrupt contexts do, under the same rule
            int pollUs = first.getLoopSpinUs() > 0 ? first.getLoopSpinUs() : DEFAULT_BASELINE_POLL_US;
            String pollRule = first.getLoopPoll().isEmpty() ? "idle-core" : first.getLoopPoll();
            Histogram mailbox = LatencySummary.histogram();
            Histogram requester = LatencySummary.histogram();
            Histogram baseline = LatencySummary.histogram();
            Histogram pollingBaseline = LatencySummary.histogram();
            Histogram floorRtt = LatencySummary.histogram();
            ObjectNode report;
            Duration deadline = Duration.ofSeconds(120 + (long) (measured + warm) * 3 / 100 + words / 20_000);
            try (BaselinePair pair = BaselinePair.start(target.java(), target.classPath(), target.jvmOptions(), baselineSocket, deadline);
                 BaselinePair polling = BaselinePair.start(target.java(), target.classPath(), target.jvmOptions(), pollingSocket, deadline,
                     pollUs, pollRule);
                 BaselinePair floor = BaselinePair.cacheLine(target.java(), target.classPath(), target.jvmOptions(),
                     socketDirectory.resolve("floor.line"), deadline)) {
                say("baselines: " + socketKind + " socket ping-pong between two JVM processes, blocking, and polling " + pollUs + " us ("
                    + pollRule + "); the floor: a cache line ping-ponged between two processes; warming up");
                pair.ping(Math.max(1, warm));
                polling.ping(Math.max(1, warm));
                floor.ping(Math.max(1, warm));
                int warmupBatches = warmUntilSteady(target, kernels, from, to, Math.max(1, warm));
                int perRound = measured / rounds;
                // each round's p50 of the interrupt contexts' round trip: a slow mode that holds for a whole run shows in
                // every round, a burst of the host's noise in one
                java.util.List<Double> roundP50s = new java.util.ArrayList<>();
                for (int round = 0; round < rounds; round++) {
                    int count = round == rounds - 1 ? measured - perRound * (rounds - 1) : perRound;
                    say("round " + (round + 1) + " of " + rounds + ": " + count + " round trips of each kind");
                    // rotate the order so that no kind always runs first
                    for (int kind = 0; kind < 5; kind++) {
                        switch ((round + kind) % 5) {
                            case 0 -> {
                                long[] rtt = samples(ping(kernels, from, to, 0, count, true).getRttNsList());
                                LatencySummary.record(mailbox, rtt);
                                long[] sorted = rtt.clone();
                                java.util.Arrays.sort(sorted);
                                roundP50s.add(sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1000.0);
                            }
                            case 1 -> LatencySummary.record(requester, samples(ping(kernels, from, to, 0, count, false).getRttNsList()));
                            case 2 -> LatencySummary.record(baseline, pair.ping(count));
                            case 3 -> LatencySummary.record(pollingBaseline, polling.ping(count));
                            default -> LatencySummary.record(floorRtt, floor.ping(count));
                        }
                    }
                }
                // the stream's own paths (a kernel thread filling the ring, the receiver draining it) are not the round
                // trips': warm them up too, every way alike, so that the measured streams run compiled code
                say("throughput: " + words + " words one way, after a warm-up stream of as many words each way");
                stream(kernels, from, to, words);
                pair.stream(words);
                floor.stream(words);
                long[] beforeStream = sleepsAndDoorbells(target, from, to);
                MailboxStreamReply stream = stream(kernels, from, to, words);
                long[] afterStream = sleepsAndDoorbells(target, from, to);
                long baselineStreamNs = pair.stream(words);
                long floorStreamNs = floor.stream(words);
                report = report(target, from, to, receiverBefore, first, measured, warm, mailbox, requester, baseline,
                    pollingBaseline, pollUs, pollRule, stream, words, baselineStreamNs);
                addFloor(report, LatencySummary.of(mailbox), LatencySummary.of(requester), LatencySummary.of(floorRtt),
                    words * 1e9 / floorStreamNs);
                // the fastest round trips: under a modelled platform none may beat twice the modelled word latency
                report.put("mailbox_rtt_min_us", mailbox.getMinValue() / 1000.0);
                report.put("requester_rtt_min_us", requester.getMinValue() / 1000.0);
                report.put("warmup_batches", warmupBatches);
                ArrayNode perRoundP50 = report.putArray("mailbox_rtt_round_p50_us");
                roundP50s.forEach(perRoundP50::add);
                report.put("mailbox_rtt_best_round_p50_us", roundP50s.stream().mapToDouble(Double::doubleValue).min().orElse(0));
                // a receiver that sleeps during the stream costs the sender a doorbell, and its words a wake-up, each time
                report.put("throughput_receiver_sleeps", afterStream[1] - beforeStream[1]);
                report.put("throughput_doorbells", afterStream[2] - beforeStream[2]);
                report.put("throughput_sender_parks", afterStream[4] - beforeStream[4]);
            }
            addIdleCpu(report, target);
            addFloorTargets(report);
            addModel(report, target, first);
            return report;
        }
    }

    /**
     * The modelled platform beside the measured round trips: a word is held until its send time +
     * the modelled one-way latency, so a round trip models twice that (the handlers' own time
     * comes on top, and the host's transit hides under the hold).
     */
    private void addModel(ObjectNode root, BenchTarget target, MailboxPingReply first) {
        String text = target.status().getPlatform();
        Platform model = text.isEmpty() ? Platform.HOST
            : Platform.parseFlag(text);
        root.set("platform", StatusView.JSON.valueToTree(model.toMap()));
        long wordNs = first.getModelledWordNs();
        root.put("modelled_word_ns", wordNs);
        double modelledRttUs = 2 * wordNs / 1000.0;
        root.put("modelled_rtt_us", modelledRttUs);
        if (wordNs > 0) {
            root.put("mailbox_over_modelled_p50", LatencySummary.ratio(root.get("mailbox_rtt_us").get("p50").asDouble(), modelledRttUs));
            if (root.has("mailbox_rtt_best_round_p50_us")) {
                root.put("mailbox_best_round_over_modelled_p50", LatencySummary.ratio(root.get("mailbox_rtt_best_round_p50_us").asDouble(),
                    modelledRttUs));
            }
            root.put("requester_over_modelled_p50", LatencySummary.ratio(root.get("requester_rtt_us").get("p50").asDouble(), modelledRttUs));
            // the host's own cost of a word: one way of this run's ping-pong floor (two processes, one line of a mmap'd file)
            JsonNode floor = root.get("floor_rtt_us");
            if (floor != null) {
                warnIfNoise(root, wordNs, floor.get("p50").asDouble() * 1000 / 2, "mailbox word latency",
                    "one way of the ping-pong floor between two processes");
            }
        }
    }

    /** The physical floor beside the mailbox's figures, the ratios from the histograms' own values. */
    private static void addFloor(ObjectNode root, LatencySummary mailbox, LatencySummary requester, LatencySummary floor, double floorRate) {
        root.set("floor_rtt_us", floor.json());
        root.put("mailbox_over_floor_p50", mailbox.p50Over(floor));
        root.put("requester_over_floor_p50", requester.p50Over(floor));
        root.put("floor_throughput_words_per_s", Math.round(floorRate));
        root.put("throughput_over_floor", LatencySummary.ratio(root.get("throughput_words_per_s").asDouble(), floorRate));
    }

    /**
     * What words in global memory must reach on a quiet host, each against a figure of this run:
     * the round trip between interrupt contexts within 4 floors, a kernel thread's within 10, one
     * million words a second one way through a FIFO of depth 4, and an idle cluster under 5% of one
     * core. Reported for every transport, judged ({@code applies}) for {@code shm} only; a loaded
     * host (see {@code host}) says nothing about them.
     */
    private static void addFloorTargets(ObjectNode root) {
        ObjectNode targets = root.putObject("floor_targets");
        targets.put("applies", root.get("transport").asText().equals("shm"));
        targets.put("mailbox_over_floor_p50_max", MAILBOX_OVER_FLOOR_MAX);
        targets.put("mailbox_over_floor_met", root.get("mailbox_over_floor_p50").asDouble() <= MAILBOX_OVER_FLOOR_MAX);
        targets.put("requester_over_floor_p50_max", REQUESTER_OVER_FLOOR_MAX);
        targets.put("requester_over_floor_met", root.get("requester_over_floor_p50").asDouble() <= REQUESTER_OVER_FLOOR_MAX);
        targets.put("throughput_words_per_s_min", THROUGHPUT_MIN);
        targets.put("throughput_met", root.get("throughput_words_per_s").asLong() >= THROUGHPUT_MIN);
        targets.put("idle_cluster_cpu_percent_max", IDLE_CPU_MAX);
        targets.put("idle_cluster_met", root.get("idle_cluster_cpu_percent").asDouble() <= IDLE_CPU_MAX);
    }

    /**
     * The whole idle cluster's CPU over {@code idleSeconds}, in % of one core: its kernels and its
     * coordinator (the baselines' processes have exited by then: this runs after they closed).
     */
    private void addIdleCpu(ObjectNode root, BenchTarget target) {
        List<Long> pids = new ArrayList<>();
        target.status().getKernelsList().forEach(k -> pids.add(k.getPid()));
        long coordinator = target.status().getCoordinatorPid();
        pids.add(target.temporary() || coordinator == 0 ? ProcessHandle.current().pid() : coordinator);
        say("idle cluster: watching " + pids.size() + " processes' CPU for " + idleSeconds + " s");
        root.put("idle_cluster_cpu_percent", Math.round(ProcessCpu.percentOfOneCore(pids, Duration.ofSeconds(idleSeconds)) * 10) / 10.0);
        root.put("idle_seconds", idleSeconds);
    }

    private static KernelStatus receiver(BenchTarget target, KernelStatus to) {
        return target.status().getKernelsList().stream().filter(k -> k.getId() == to.getId()).findFirst().orElse(to);
    }

    private ObjectNode report(BenchTarget target, KernelStatus from, KernelStatus to, KernelStatus receiverBefore, MailboxPingReply first,
                              int measured, int warm,
                              Histogram mailbox, Histogram requester, Histogram baseline, Histogram pollingBaseline, int pollUs,
                              String pollRule, MailboxStreamReply stream, int words, long baselineStreamNs) {
        LatencySummary mailboxRtt = LatencySummary.of(mailbox);
        LatencySummary requesterRtt = LatencySummary.of(requester);
        LatencySummary baselineRtt = LatencySummary.of(baseline);
        LatencySummary pollingRtt = LatencySummary.of(pollingBaseline);
        KernelStatus receiver = receiver(target, to);
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("suite", "mailbox");
        root.put("cluster", target.status().getCluster());
        root.put("temporary_cluster", target.temporary());
        root.put("from", from.getName());
        root.put("to", to.getName());
        root.put("transport", first.getTransport());
        root.put("io", first.getIo());
        root.put("fifo_depth", first.getFifoDepth());
        root.put("loop_spin_us", first.getLoopSpinUs());
        root.put("loop_poll", first.getLoopPoll());
        root.put("round_trips", measured);
        root.put("warmup", warm);
        root.put("rounds", rounds);
        root.set("mailbox_rtt_us", mailboxRtt.json());
        root.set("requester_rtt_us", requesterRtt.json());
        root.set("baseline_rtt_us", baselineRtt.json());
        root.set("polling_baseline_rtt_us", pollingRtt.json());
        root.put("polling_baseline_poll_us", pollUs);
        root.put("polling_baseline_poll", pollRule);
        // every ratio from the histograms' own values; ratio_p50 and requester_ratio_p50 are against the blocking baseline
        double ratioP50 = mailboxRtt.p50Over(baselineRtt);
        double requesterRatioP50 = requesterRtt.p50Over(baselineRtt);
        double ratioP50VsPolling = mailboxRtt.p50Over(pollingRtt);
        double requesterRatioP50VsPolling = requesterRtt.p50Over(pollingRtt);
        root.put("ratio_p50", ratioP50);
        root.put("ratio_p99", mailboxRtt.p99Over(baselineRtt));
        root.put("requester_ratio_p50", requesterRatioP50);
        root.put("requester_ratio_p99", requesterRtt.p99Over(baselineRtt));
        root.put("ratio_p50_vs_polling", ratioP50VsPolling);
        root.put("ratio_p99_vs_polling", mailboxRtt.p99Over(pollingRtt));
        root.put("requester_ratio_p50_vs_polling", requesterRatioP50VsPolling);
        root.put("requester_ratio_p99_vs_polling", requesterRtt.p99Over(pollingRtt));
        root.put("target_ratio_p50", TARGET_RATIO_P50);
        // like with like: the polling interrupt context against the polling socket, and the requester (which blocks for its
        // reply, as a DSM requester does) against the blocking socket; both must hold
        ObjectNode targets = root.putObject("targets");
        targets.put("interrupt_context_vs_polling_p50_max", TARGET_RATIO_P50);
        targets.put("interrupt_context_met", ratioP50VsPolling <= TARGET_RATIO_P50);
        targets.put("requester_vs_blocking_p50_max", TARGET_RATIO_P50);
        targets.put("requester_met", requesterRatioP50 <= TARGET_RATIO_P50);
        root.put("target_met", ratioP50VsPolling <= TARGET_RATIO_P50 && requesterRatioP50 <= TARGET_RATIO_P50);
        double mailboxRate = words * 1e9 / stream.getElapsedNs();
        double baselineRate = words * 1e9 / baselineStreamNs;
        root.put("throughput_words", words);
        root.put("throughput_words_per_s", Math.round(mailboxRate));
        root.put("throughput_fifo_full_waits", stream.getFifoFullWaits());
        root.put("baseline_throughput_words_per_s", Math.round(baselineRate));
        root.put("throughput_ratio", LatencySummary.ratio(mailboxRate, baselineRate));
        root.put("receiver_nop_out_of_order", counter(receiver, MailboxCounter.NOP_OUT_OF_ORDER.label())
            - counter(receiverBefore, MailboxCounter.NOP_OUT_OF_ORDER.label()));
        root.put("receiver_drops", counter(receiver, MailboxCounter.DROPS.label()) - counter(receiverBefore, MailboxCounter.DROPS.label()));
        root.put("receiver_drops_since_boot", counter(receiver, MailboxCounter.DROPS.label()));
        root.put("receiver_poll_hits", counter(receiver, MailboxCounter.POLL_HITS.label())
            - counter(receiverBefore, MailboxCounter.POLL_HITS.label()));
        root.put("receiver_poll_yields", counter(receiver, MailboxCounter.POLL_YIELDS.label())
            - counter(receiverBefore, MailboxCounter.POLL_YIELDS.label()));
        return root;
    }

    private static long counter(KernelStatus kernel, String label) {
        return kernel.getCountersList().stream().filter(c -> c.getLabel().equals(label)).mapToLong(Counter::getValue).findFirst().orElse(0);
    }

    /** At most this many warm-up batches of round trips between the interrupt contexts before measuring anyway. */
    static final int MAX_WARMUP_BATCHES = 12;

    /**
     * The two kernels' interrupt contexts' sleeps, the doorbells rung to wake them and the sends
     * parked on a full ring, as counted now: {from, to} each.
     */
    private static long[] sleepsAndDoorbells(BenchTarget target, KernelStatus from, KernelStatus to) {
        long[] counts = new long[8];
        for (KernelStatus kernel : target.status().getKernelsList()) {
            int side = kernel.getId() == from.getId() ? 0 : kernel.getId() == to.getId() ? 1 : -1;
            if (side >= 0) {
                counts[side] = counter(kernel, MailboxCounter.LOOP_SLEEPS.label());
                counts[2 + side] = counter(kernel, MailboxCounter.DOORBELLS.label());
                counts[4 + side] = counter(kernel, MailboxCounter.FIFO_FULL_PARKS.label());
                counts[6 + side] = counter(kernel, MailboxCounter.POLL_YIELDS.label());
            }
        }
        return counts;
    }

    /**
     * Warms the interrupt contexts' round trip up in batches of {@code batch} until two batches in
     * a row agree (p50 within 20%), at most {@link #MAX_WARMUP_BATCHES}; returns the batches run.
     * A fixed count is not enough on this 2-core host: while a kernel's JIT compiles, a thread waits
     * for a core, the interrupt contexts' poll gate stays shut and every word costs a wake-up
     * (measured: {@code --quick}'s 5000 warm-up round trips left the next 20000 at p50 33 us,
     * against 0.7 us after 40000).
     */
    private int warmUntilSteady(BenchTarget target, KernelChannels kernels, KernelStatus from, KernelStatus to, int batch) {
        double previous = Double.NaN;
        for (int batches = 1; ; batches++) {
            long[] before = sleepsAndDoorbells(target, from, to);
            long[] rtt = ping(kernels, from, to, 0, batch, true).getRttNsList().stream().mapToLong(Long::longValue).sorted().toArray();
            double p50 = rtt.length == 0 ? 0 : rtt[rtt.length / 2];
            long[] after = sleepsAndDoorbells(target, from, to);
            // a round trip that costs wake-ups shows here: the interrupt contexts slept and were rung awake
            say(String.format(Locale.ROOT, "warm-up batch %d: p50 %.1f us; interrupt contexts' sleeps %d / %d, doorbells rung by each %d / %d, "
                    + "gate closings while polling %d / %d (%s / %s)",
                batches, p50 / 1000.0, after[0] - before[0], after[1] - before[1], after[2] - before[2], after[3] - before[3],
                after[6] - before[6], after[7] - before[7], from.getName(), to.getName()));
            if (batches >= MAX_WARMUP_BATCHES || Math.abs(p50 - previous) <= 0.2 * Math.min(p50, previous)) {
                return batches;
            }
            previous = p50;
        }
    }

    private MailboxPingReply ping(KernelChannels kernels, KernelStatus from, KernelStatus to, int warm, int count, boolean interruptContext) {
        long deadlineMs = 60_000 + (long) (warm + count) * 2;
        return call(from, to, () -> kernels.mailbox(from.getControl()).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
            .ping(MailboxPingRequest.newBuilder().setPeer(to.getId()).setWarmup(warm).setRoundTrips(count).setTimeoutMs(10_000)
                .setInterruptContext(interruptContext).build()));
    }

    private MailboxStreamReply stream(KernelChannels kernels, KernelStatus from, KernelStatus to, int words) {
        long deadlineMs = 60_000 + words / 5;
        return call(from, to, () -> kernels.mailbox(from.getControl()).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
            .stream(MailboxStreamRequest.newBuilder().setPeer(to.getId()).setWords(words).setTimeoutMs(30_000).build()));
    }

    private static <T> T call(KernelStatus from, KernelStatus to, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new CliException("kernel " + from.getName() + " (control " + from.getControl() + ") could not exchange mailbox words with "
                + to.getName() + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }


    @Override
    void printTable(ObjectNode result, PrintWriter out) {
        out.printf(Locale.ROOT, "mailbox round trip %s -> %s over %s (%s I/O), FIFO depth %d, loop poll %d us (%s), cluster '%s'%s%n",
            result.get("from").asText(), result.get("to").asText(), result.get("transport").asText(), result.get("io").asText(),
            result.get("fifo_depth").asInt(), result.get("loop_spin_us").asInt(), result.get("loop_poll").asText(),
            result.get("cluster").asText(), result.get("temporary_cluster").asBoolean() ? " (temporary)" : "");
        out.printf(Locale.ROOT, "%d round trips of each kind after %d batches of %d of warm-up, in %d interleaved rounds; microseconds:%n",
            result.get("round_trips").asInt(), result.path("warmup_batches").asInt(1), result.get("warmup").asInt(), result.get("rounds").asInt());
        List<String[]> rows = new ArrayList<>();
        rows.add(percentileHeader("mean"));
        rows.add(meanRow("mailbox (interrupt context)", result.get("mailbox_rtt_us")));
        rows.add(meanRow("mailbox (kernel thread)", result.get("requester_rtt_us")));
        rows.add(meanRow("baseline (blocking socket)", result.get("baseline_rtt_us")));
        rows.add(meanRow("baseline (polling socket, " + result.get("polling_baseline_poll_us").asInt() + " us, "
                + result.get("polling_baseline_poll").asText() + ")",
            result.get("polling_baseline_rtt_us")));
        rows.add(meanRow("floor (cache line, two processes)", result.get("floor_rtt_us")));
        rows.add(new String[] {"interrupt context / blocking", fmt2(result.get("ratio_p50").asDouble()), "",
            fmt2(result.get("ratio_p99").asDouble()), "", "", ""});
        rows.add(new String[] {"interrupt context / polling", fmt2(result.get("ratio_p50_vs_polling").asDouble()), "",
            fmt2(result.get("ratio_p99_vs_polling").asDouble()), "", "", ""});
        rows.add(new String[] {"interrupt context / floor", fmt2(result.get("mailbox_over_floor_p50").asDouble()), "", "", "", "", ""});
        rows.add(new String[] {"kernel thread / floor", fmt2(result.get("requester_over_floor_p50").asDouble()), "", "", "", "", ""});
        rows.add(new String[] {"kernel thread / blocking", fmt2(result.get("requester_ratio_p50").asDouble()), "",
            fmt2(result.get("requester_ratio_p99").asDouble()), "", "", ""});
        rows.add(new String[] {"kernel thread / polling", fmt2(result.get("requester_ratio_p50_vs_polling").asDouble()), "",
            fmt2(result.get("requester_ratio_p99_vs_polling").asDouble()), "", "", ""});
        StatusView.printRows(rows, out);
        out.printf(Locale.ROOT, "throughput one way: mailbox %,d words/s (%,d words, %d sends waited on a full FIFO), plain socket %,d "
                + "words/s (no FIFO): ratio %.2f%n", result.get("throughput_words_per_s").asLong(), result.get("throughput_words").asLong(),
            result.get("throughput_fifo_full_waits").asLong(), result.get("baseline_throughput_words_per_s").asLong(),
            result.get("throughput_ratio").asDouble());
        out.printf(Locale.ROOT, "throughput: the receiver's interrupt context slept %d times, the sender rang %d doorbells and parked %d "
                + "times on a full FIFO%n", result.path("throughput_receiver_sleeps").asLong(), result.path("throughput_doorbells").asLong(),
            result.path("throughput_sender_parks").asLong());
        out.printf(Locale.ROOT, "throughput floor (FIFO of depth 4 on cache lines): %,d words/s; mailbox / floor %.2f%n",
            result.get("floor_throughput_words_per_s").asLong(), result.get("throughput_over_floor").asDouble());
        if (result.path("modelled_word_ns").asLong() > 0) {
            out.printf(Locale.ROOT, "platform %s: a word modelled at %.2f us one way, a round trip at %.2f us; measured p50 / modelled: "
                    + "interrupt context %.2f, kernel thread %.2f%n", result.get("platform").get("name").asText(),
                result.get("modelled_word_ns").asLong() / 1000.0, result.get("modelled_rtt_us").asDouble(),
                result.get("mailbox_over_modelled_p50").asDouble(), result.get("requester_over_modelled_p50").asDouble());
        }
        out.printf(Locale.ROOT, "idle cluster: %.1f%% of one core over %d s (kernels and coordinator)%n",
            result.get("idle_cluster_cpu_percent").asDouble(), result.get("idle_seconds").asInt());
        out.printf(Locale.ROOT, "receiver, during the run: %d NOP words out of order, %d drops%n", result.get("receiver_nop_out_of_order").asLong(),
            result.get("receiver_drops").asLong());
        JsonNode targets = result.get("targets");
        out.printf(Locale.ROOT, "targets (p50): interrupt context / polling socket <= %.1f: %s; kernel thread (requester) / blocking socket "
                + "<= %.1f: %s%n", TARGET_RATIO_P50, targets.get("interrupt_context_met").asBoolean() ? "met" : "NOT met", TARGET_RATIO_P50,
            targets.get("requester_met").asBoolean() ? "met" : "NOT met");
        JsonNode floor = result.get("floor_targets");
        out.printf(Locale.ROOT, "targets against the floor (quiet host%s): interrupt context <= %.0f floors: %s; kernel thread <= %.0f floors: "
                + "%s; throughput >= %,d words/s: %s; idle cluster <= %.0f%%: %s%n", floor.get("applies").asBoolean() ? "" : ", judged for shm only",
            MAILBOX_OVER_FLOOR_MAX, met(floor, "mailbox_over_floor_met"), REQUESTER_OVER_FLOOR_MAX, met(floor, "requester_over_floor_met"),
            THROUGHPUT_MIN, met(floor, "throughput_met"), IDLE_CPU_MAX, met(floor, "idle_cluster_met"));
        out.flush();
    }

    private static String met(JsonNode targets, String key) {
        return targets.get(key).asBoolean() ? "met" : "NOT met";
    }
}
