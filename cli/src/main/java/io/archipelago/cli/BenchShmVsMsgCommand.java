package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.BaselinePair;
import io.archipelago.bench.Progress;
import io.archipelago.bench.shmvsmsg.Crossover;
import io.archipelago.bench.shmvsmsg.Figure;
import io.archipelago.bench.shmvsmsg.Ratio;
import io.archipelago.bench.shmvsmsg.RemoteSweep;
import io.archipelago.bench.shmvsmsg.ShmVsMsgBench;
import io.archipelago.bench.shmvsmsg.ShmVsMsgCharts;
import io.archipelago.bench.shmvsmsg.ShmVsMsgJson;
import io.archipelago.bench.shmvsmsg.ShmVsMsgMarkdown;
import io.archipelago.bench.shmvsmsg.ShmVsMsgPlan;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.UnifiedFormat;
import io.archipelago.typed.header.HeaderDeclarations;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench shm-vs-msg}: the same kernel operations done by typed shared memory
 * (hardware-coherent, one domain), by the software DSM (across domains) and by messages to the
 * object's owner, between kernel processes; a size sweep, a contention sweep, marshalling alone,
 * and the unified format's memory overhead; JSON, Markdown and PNG charts in {@code --out}.
 */
@Command(name = "shm-vs-msg", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Message passing vs shared memory between kernels: the same operations three ways, by size and under contention.",
    description = {
        "Boots a temporary cluster of x86_64 kernels: K requesters and an owner in coherence domain a, and a far kernel in domain b. "
            + "The same operation on an object (an array of 64-byte struct bench_item) is then done three ways, timed on kernel "
            + "threads in the requesting kernel:",
        "  shm  typed shared memory, hardware-coherent (one domain): loads and stores in global memory, an atomic instruction for a "
            + "counter, the object's spinlock word for a multi-member update;",
        "  dsm  typed shared memory, software-coherent (K2's DSM, across domains): the same accessors; pages fault over the mailbox "
            + "(measured both in the steady state and right after the object's creator wrote all of it);",
        "  msg  a Protocol Buffers request to the object's owner, applied on its message thread, and its reply (one gRPC stream per "
            + "thread over a warm TCP loopback connection: the mailbox's 32-bit words cannot carry a struct);",
        "  urpc the same request and reply through the URPC rings in global memory (Barrelfish's user-level RPC: a ring of "
            + "64-byte slots per ordered pair of kernels, polled while a core is free, a mailbox doorbell when the receiver sleeps).",
        "Operations: read_field, update_field, read_struct (every member of every element), scan (sum over the elements, where the "
            + "object is), increment (a shared counter), at every object size (--sizes). Then the floors of the message path (a "
            + "plain-socket ping-pong between two fresh JVMs, the mailbox round trip, an empty message), marshalling alone (Protocol "
            + "Buffers encode + decode against copying in place, in one kernel process), and the contention sweep: 1..K kernels x "
            + "threads doing update_struct and increment on the same object, and on disjoint objects (a page apart), all at once.",
        "Latencies are per operation in ns (p50, p90, p99...; a shared-memory sample is the mean of a batch lasting >= 2 us); "
            + "ratios are quotients of p50s, e.g. msg_over_shm (target >= 100 for read_field), msg_urpc_over_shm, "
            + "msg_grpc_over_msg_urpc (read_field by URPC: target p50 <= 3 us on a quiet host). Writes shm-vs-msg.json, report.md, "
            + "size-sweep.png and contention.png to --out; a progress bar goes to stderr.",
        "With --platform, the cluster models that platform; where it models remote memory between domains a and b (a "
            + "remote-line cost), the owner runs in domain b, so the shared objects are homed there and the requesters' accessors "
            + "pay the cost per cache line. --sweep-remote-ns runs the size sweep on one cluster per remote-line latency "
            + "(read and write alike; 0: the owner in domain a) and writes remote-sweep.json and remote-sweep.png: p50 per "
            + "operation against the latency, per way and size, and per operation and size the first latency where messages beat "
            + "shared memory (or none up to the largest)."})
final class BenchShmVsMsgCommand extends BenchSuite {

    static final Path DEFAULT_OUT = Path.of("target", "bench", "shm-vs-msg");

    @Option(names = "--json", description = "Print the JSON report on stdout: {\"ops\": [{\"op\", \"bytes\", \"shm_ns\", \"dsm_ns\", \"msg_ns\", "
        + "\"urpc_ns\", \"msg_over_shm\", \"msg_urpc_over_shm\", \"msg_grpc_over_msg_urpc\", ...}], \"contention\": [{\"op\", \"objects\", \"kernels\", \"threads\", \"shm_ns\", \"dsm_ns\", \"msg_ns\", ...}], "
        + "\"transport\", \"mailbox_transport\" (what carried the mailbox's words), \"marshalling\", \"crossover\", \"unified_format\", \"files\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the report files (default: ${DEFAULT-VALUE}; with "
        + "--trace, the timeline's picture too, timeline.png).")
    Path out = DEFAULT_OUT;

    @Override
    Path reportDirectory() {
        return out;
    }

    @Option(names = "--quick", description = "A CI run: sizes 64 B, 4 KiB, 64 KiB, 2 kernels x 1-2 threads, short windows (about a minute).")
    boolean quick;

    @Option(names = "--sizes", paramLabel = "BYTES", split = ",", description = "Object sizes, multiples of 64 (default: 64,256,1024,4096,"
        + "16384,65536; --quick: 64,4096,65536).")
    List<Long> sizes;

    @Option(names = "--kernels", paramLabel = "K", description = "Requester kernels of the contention sweep, 1..K (default: 3; --quick: 2).")
    Integer kernels;

    @Option(names = "--threads", paramLabel = "T", split = ",", description = "Threads per kernel of the contention sweep (default: 1,2,4; "
        + "--quick: 1,2).")
    List<Integer> threads;

    @Option(names = "--measure-ms", paramLabel = "MS", description = "Measured window of each run of the size sweep, per round (default: "
        + "150; --quick: 120).")
    Long measureMs;

    @Option(names = "--rounds", paramLabel = "N", description = "Interleaved rounds of the size sweep and the floors (default: 4; --quick: 1).")
    Integer rounds;

    @Option(names = "--platform", paramLabel = "PRESET|FILE", description = "The modelled platform (README, \"A platform model\"): "
        + "a preset (host, omap4, cxl-direct, cxl-switch) or a cluster YAML file whose platform: section is taken (default: host).")
    String platform;

    @Option(names = "--sweep-remote-ns", paramLabel = "NS", split = ",", description = "Remote cache-line latencies to sweep, whole ns "
        + "in increasing order, e.g. 0,100,200,500,1000,2000: the size sweep on one cluster per value (the platform's other costs "
        + "kept), instead of the full run.")
    List<String> sweepRemoteNs;

    /** The sweep's result, for the table. */
    private RemoteSweep sweep;

    /** What the table needs besides the JSON: the report, where it was written, its charts, and why they are missing. */
    private ShmVsMsgReport report;
    private Path dir;
    private Map<String, String> charts;
    private String chartError;

    @Override
    String suite() {
        return "shm-vs-msg";
    }

    @Override
    ObjectNode measure() {
        ShmVsMsgPlan plan = plan();
        Platform model = platform == null ? Platform.HOST : BenchMailboxCommand.platformModel(platform).platform();
        List<Long> sweepValues;
        try {
            sweepValues = sweepRemoteNs == null ? null : RemoteSweep.parseValues(sweepRemoteNs);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        dir = out.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CliException("cannot create the report directory " + dir + ": " + e.getMessage());
        }
        if (sweepValues != null) {
            return measureSweep(plan, model, sweepValues);
        }
        PrintWriter err = spec.commandLine().getErr();
        Instant started = Instant.now();
        double loadBefore = loadAverage();
        ClusterConfig config = cluster(plan.kernels(), model);
        try (Progress progress = new Progress(err, "bench shm-vs-msg", plan.workUnits() + 4, Progress.consoleIsTerminal())) {
            progress.stage("booting " + config.totalKernels() + " kernel processes");
            try (BenchTarget target = measured(BenchTarget.temporary(config, "", progress::say))) {
                progress.advance(4);
                ShmVsMsgBench.Roles roles = roles(target);
                try (KernelChannels channels = kernelChannels(target)) {
                    ShmVsMsgBench.Measurements measured = new ShmVsMsgBench(channels, roles, plan, progress, n -> socketPingPong(target, n)).run();
                    progress.stage("unified format (layout engine)");
                    ShmVsMsgReport.UnifiedTable unified = unifiedTable();
                    progress.advance(1);
                    ShmVsMsgReport.Environment environment = new ShmVsMsgReport.Environment(Runtime.getRuntime().availableProcessors(),
                        "Java " + Runtime.version(), loadBefore, loadAverage(),
                        Math.round(Duration.between(started, Instant.now()).toMillis() / 100.0) / 10.0,
                        Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
                    report = new ShmVsMsgReport(setup(plan, target, roles), environment, measured.transport(), measured.ops(),
                        measured.marshalling(), measured.contention(), unified);
                }
            }
            progress.stage("writing the report");
            try {
                charts = ShmVsMsgCharts.write(report, dir);
            } catch (RuntimeException | LinkageError | InternalError | java.awt.AWTError e) {
                // the measurements are kept: JSON and Markdown are written below, then the error is reported
                charts = Map.of();
                chartError = "cannot draw the charts (" + e + "); headless Java needs fonts: on Debian, apt-get install "
                    + "fontconfig fonts-dejavu-core. The JSON and Markdown reports were written to " + dir;
            }
            progress.advance(1);
        }
        ObjectNode root = ShmVsMsgJson.of(report);
        root.put("mailbox_transport", config.mailboxTransport());
        ObjectNode files = root.putObject("files");
        files.put("directory", dir.toString());
        files.put("json", "shm-vs-msg.json");
        files.put("markdown", "report.md");
        var pngs = files.putArray("charts");
        charts.values().forEach(pngs::add);
        write(dir.resolve("report.md"), ShmVsMsgMarkdown.of(report, commandLine(), charts));
        write(dir.resolve("shm-vs-msg.json"), toJson(withHost(root)) + "\n");
        return root;
    }

    /**
     * The remote-latency sweep: per value, a cluster whose platform is {@code model} with both
     * remote-line costs between domains a and b set to it, and the size sweep on it.
     */
    private ObjectNode measureSweep(ShmVsMsgPlan plan, Platform model, List<Long> values) {
        PrintWriter err = spec.commandLine().getErr();
        double loadBefore = loadAverage();
        List<RemoteSweep.Point> points = new ArrayList<>();
        try (Progress progress = new Progress(err, "bench shm-vs-msg --sweep-remote-ns", values.size() * (plan.workUnits() + 4),
            Progress.consoleIsTerminal())) {
            for (long ns : values) {
                ClusterConfig config = cluster(plan.kernels(), withRemoteLines(model, ns));
                progress.stage("remote line " + ns + " ns: booting " + config.totalKernels() + " kernel processes");
                try (BenchTarget target = measured(BenchTarget.temporary(config, "", progress::say))) {
                    progress.advance(4);
                    ShmVsMsgBench.Roles roles = roles(target);
                    try (KernelChannels channels = kernelChannels(target)) {
                        points.add(new RemoteSweep.Point(ns, new ShmVsMsgBench(channels, roles, plan, progress,
                            n -> socketPingPong(target, n)).runSizeSweep()));
                    }
                }
            }
        }
        sweep = new RemoteSweep(model.name(), points);
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.set("remote_sweep", sweep.json());
        root.put("mailbox_transport", ClusterConfig.k2Default().mailboxTransport());
        root.put("load_average_before", loadBefore);
        root.put("load_average_after", loadAverage());
        if (host() != null) {
            for (long ns : values) {
                warnIfNoise(root, ns, host().cacheLineOneWayNanos(), "remote cache line latency", "one way of the cache-line ping-pong");
            }
        }
        charts = new LinkedHashMap<>();
        try {
            charts.put("remote sweep", ShmVsMsgCharts.writeRemoteSweep(sweep, dir));
        } catch (RuntimeException | LinkageError | InternalError | java.awt.AWTError e) {
            chartError = "cannot draw the chart (" + e + "); headless Java needs fonts: on Debian, apt-get install "
                + "fontconfig fonts-dejavu-core. The JSON report was written to " + dir;
        }
        ObjectNode files = root.putObject("files");
        files.put("directory", dir.toString());
        files.put("json", "remote-sweep.json");
        var pngs = files.putArray("charts");
        charts.values().forEach(pngs::add);
        write(dir.resolve("remote-sweep.json"), toJson(withHost(root)) + "\n");
        return root;
    }

    /** {@code base} with the remote-line costs between domains a and b (read and write) set to {@code ns}, every other cost kept. */
    static Platform withRemoteLines(Platform base, long ns) {
        return base.withPair("a", "b", base.costs("a", "b").withLineRead(ns).withLineWrite(ns));
    }

    @Override
    void printTable(ObjectNode figures, PrintWriter stdout) {
        if (sweep != null) {
            sweepSummary(stdout);
            return;
        }
        summary(stdout, report, dir, charts);
    }

    private void sweepSummary(PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"REMOTE NS", "OP", "BYTES", "SHM", "DSM", "MSG", "URPC"});
        for (RemoteSweep.Point point : sweep.points()) {
            for (ShmVsMsgReport.OpRow row : point.ops()) {
                rows.add(new String[] {Long.toString(point.remoteNs()), row.op(), Long.toString(row.bytes()), cell(row, ShmVsMsgReport.SHM),
                    cell(row, ShmVsMsgReport.DSM), cell(row, ShmVsMsgReport.MSG), cell(row, ShmVsMsgReport.URPC)});
            }
        }
        StatusView.printRows(rows, out);
        for (RemoteSweep.Crossover crossover : sweep.crossovers()) {
            out.printf(Locale.ROOT, "%s, %d B: %s%n", crossover.op(), crossover.bytes(), crossover.summary());
        }
        out.println("JSON: " + dir.resolve("remote-sweep.json") + ", chart: " + String.join(", ", charts.values()));
    }

    /** Charts that could not be drawn fail the run once its figures are out (the JSON and Markdown reports are written). */
    @Override
    int exitCode(ObjectNode figures) {
        if (chartError != null) {
            throw new CliException(chartError);
        }
        return 0;
    }

    private ShmVsMsgPlan plan() {
        ShmVsMsgPlan plan = quick ? ShmVsMsgPlan.quickPlan() : ShmVsMsgPlan.fullPlan();
        try {
            if (sizes != null) {
                plan = plan.withSizes(sizes.stream().distinct().sorted().toList());
            }
            if (kernels != null || threads != null) {
                plan = plan.withContention(kernels != null ? kernels : plan.kernels(), threads != null ? threads : plan.threads());
            }
            if (measureMs != null || rounds != null) {
                plan = plan.withWindows(measureMs != null ? measureMs : plan.measureMs(), rounds != null ? rounds : plan.rounds());
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        return plan;
    }

    /**
     * Requesters and the owner in domain a, the far kernel in domain b; all x86_64, to measure
     * communication, not morphing. Where the modelled platform models remote memory between
     * domains a and b (a remote-line cost), the owner runs in domain b: the shared objects are then
     * homed there and the requesters' accessors pay the remote lines.
     */
    static ClusterConfig cluster(int requesters, Platform model) {
        Platform.Costs between = model.costs("a", "b");
        String ownerDomain = between.lineReadNs() > 0 || between.lineWriteNs() > 0 ? "b" : "a";
        ClusterConfig k2 = ClusterConfig.k2Default();
        return k2.withCluster("bench-shm-vs-msg").withIslands(List.of(
            new IslandConfig("near", "x86_64", 1, 1.0, "a", "cortex-a9", requesters),
            new IslandConfig("owner", "x86_64", 1, 1.0, ownerDomain, "cortex-a9", 1),
            new IslandConfig("far", "x86_64", 1, 1.0, "b", "cortex-a9", 1))).withPlatform(model);
    }

    private static ShmVsMsgBench.Roles roles(BenchTarget target) {
        List<KernelStatus> running = target.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING"))
            .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
        List<KernelStatus> near = running.stream().filter(k -> k.getIsland().equals("near")).toList();
        KernelStatus owner = running.stream().filter(k -> k.getIsland().equals("owner")).findFirst()
            .orElseThrow(() -> new CliException("the benchmark cluster has no RUNNING owner kernel"));
        KernelStatus far = running.stream().filter(k -> k.getIsland().equals("far")).findFirst()
            .orElseThrow(() -> new CliException("the benchmark cluster has no RUNNING far kernel"));
        if (near.isEmpty()) {
            throw new CliException("the benchmark cluster has no RUNNING requester kernel");
        }
        return new ShmVsMsgBench.Roles(near, owner, far);
    }

    private static long[] socketPingPong(BenchTarget target, int roundTrips) {
        try (BaselinePair pair = BaselinePair.start(target.java(), target.classPath(), target.jvmOptions(), null, Duration.ofMinutes(2))) {
            pair.ping(Math.max(200, roundTrips / 5)); // warm-up
            return pair.ping(roundTrips);
        }
    }

    private static ShmVsMsgReport.Setup setup(ShmVsMsgPlan plan, BenchTarget target, ShmVsMsgBench.Roles roles) {
        return new ShmVsMsgReport.Setup(plan.quick(), target.status().getCluster(), describe(roles.requester()), describe(roles.owner()),
            describe(roles.far()), plan.sizes(), plan.kernels(), plan.threads(), plan.warmupMs(), plan.measureMs(), plan.rounds(),
            plan.coldSamples());
    }

    private static String describe(KernelStatus kernel) {
        return kernel.getName() + " (" + kernel.getDataModel() + ", domain " + kernel.getDomain() + ")";
    }

    /** The unified format's overhead on the bundled kernel structs, and on bench_item itself. */
    static ShmVsMsgReport.UnifiedTable unifiedTable() {
        String header = "kernel-structs.h";
        HeaderDeclarations declarations = LayoutCommand.read(Path.of(header));
        UnifiedFormat format = UnifiedFormat.ofAll();
        List<String> models = format.models().stream().map(DataModel::id).toList();
        List<ShmVsMsgReport.UnifiedRow> rows = new ArrayList<>();
        for (String type : List.of("task_struct", "mm_struct", "vm_area_struct", "file", "inode", "page", "sk_buff")) {
            rows.add(row("struct " + type, format.compare(type, declarations.record(type))));
        }
        rows.add(row("struct bench_item", format.compare("bench_item", TypedInterface.of(BenchItem.class).record())));
        return new ShmVsMsgReport.UnifiedTable(header, models, rows);
    }

    private static ShmVsMsgReport.UnifiedRow row(String name, UnifiedFormat.Comparison comparison) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        Map<String, Double> overhead = new LinkedHashMap<>();
        comparison.natives().forEach((model, layout) -> {
            sizes.put(model.id(), layout.size());
            overhead.put(model.id(), Math.round(comparison.overhead(model) * 1000) / 10.0);
        });
        return new ShmVsMsgReport.UnifiedRow(name, sizes, comparison.unified().size(), overhead);
    }

    private String commandLine() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        int own = args.indexOf(spec.name()); // the parse may have started at the root command or at this one
        List<String> options = own >= 0 ? args.subList(own + 1, args.size()) : args;
        return "archipelago bench shm-vs-msg" + (options.isEmpty() ? "" : " " + String.join(" ", options));
    }

    private static void summary(PrintWriter out, ShmVsMsgReport report, Path dir, Map<String, String> charts) {
        out.printf(Locale.ROOT, "message passing vs shared memory, cluster '%s'%s: requester %s, owner %s, far %s%n", report.setup().cluster(),
            report.setup().quick() ? " (quick)" : "", report.setup().requester(), report.setup().owner(), report.setup().far());
        out.printf(Locale.ROOT, "floors (p50): socket ping-pong %s, mailbox word %s, empty message %s; mailbox word one at a time %s%n",
            time(report.transport().socket()), time(report.transport().mailbox()), time(report.transport().streamNoop()),
            time(report.transport().mailboxOneAtATime()));
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"OP", "BYTES", "SHM", "DSM", "MSG", "URPC", "MSG/SHM", "URPC/SHM", "MSG/DSM", "ALONE: SHM", "DSM", "MSG", "URPC"});
        for (ShmVsMsgReport.OpRow row : report.ops()) {
            rows.add(new String[] {row.op(), Long.toString(row.bytes()), cell(row, ShmVsMsgReport.SHM), cell(row, ShmVsMsgReport.DSM),
                cell(row, ShmVsMsgReport.MSG), cell(row, ShmVsMsgReport.URPC), ratio(row, ShmVsMsgReport.MSG, ShmVsMsgReport.SHM),
                ratio(row, ShmVsMsgReport.URPC, ShmVsMsgReport.SHM), ratio(row, ShmVsMsgReport.MSG, ShmVsMsgReport.DSM),
                cell(row, ShmVsMsgReport.SHM_COLD), cell(row, ShmVsMsgReport.DSM_COLD), cell(row, ShmVsMsgReport.MSG_COLD),
                cell(row, ShmVsMsgReport.URPC_COLD)});
        }
        StatusView.printRows(rows, out);
        List<String[]> contention = new ArrayList<>();
        contention.add(new String[] {"OP", "OBJECTS", "K x T", "SHM", "DSM", "MSG", "URPC", "SHM OPS/S", "DSM OPS/S", "MSG OPS/S", "URPC OPS/S"});
        for (ShmVsMsgReport.ContentionRow row : report.contention()) {
            contention.add(new String[] {row.op(), row.objects(), row.kernels() + " x " + row.threads(), p50(row.way(ShmVsMsgReport.SHM)),
                p50(row.way(ShmVsMsgReport.DSM)), p50(row.way(ShmVsMsgReport.MSG)), p50(row.way(ShmVsMsgReport.URPC)), rate(row.way(ShmVsMsgReport.SHM)),
                rate(row.way(ShmVsMsgReport.DSM)), rate(row.way(ShmVsMsgReport.MSG)), rate(row.way(ShmVsMsgReport.URPC))});
        }
        if (contention.size() > 1) {
            out.println();
            StatusView.printRows(contention, out);
        }
        for (Crossover crossover : Crossover.find(report.contention())) {
            out.printf("%s, %s: %s%n", crossover.op(), crossover.objects(), crossover.summary());
        }
        if (report.unified() != null) {
            out.printf(Locale.ROOT, "unified format: up to +%.1f%% memory on the kernel structs (paper: up to 55%%)%n",
                report.unified().maxOverheadPercent());
        }
        out.println("report: " + dir.resolve("report.md") + ", JSON: " + dir.resolve("shm-vs-msg.json") + ", charts: "
            + String.join(", ", charts.values()));
    }

    private static String cell(ShmVsMsgReport.OpRow row, String way) {
        return p50(row.way(way));
    }

    private static String p50(java.util.Optional<Figure> figure) {
        return figure.map(BenchShmVsMsgCommand::time).orElse("-");
    }

    private static String rate(java.util.Optional<Figure> figure) {
        return figure.map(f -> String.format(Locale.ROOT, "%,.0f", f.opsPerSecond())).orElse("-");
    }

    private static String time(Figure figure) {
        double ns = figure.p50();
        return ns < 1_000 ? String.format(Locale.ROOT, "%.1f ns", ns) : ns < 1_000_000 ? String.format(Locale.ROOT, "%.1f us", ns / 1e3)
            : String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
    }

    private static String ratio(ShmVsMsgReport.OpRow row, String numerator, String denominator) {
        if (row.way(numerator).isEmpty() || row.way(denominator).isEmpty()) {
            return "-";
        }
        double ratio = Ratio.of(row.way(numerator).get().exactP50(), row.way(denominator).get().exactP50());
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, ratio >= 100 ? "%,.0f" : "%.2f", ratio);
    }


    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
