package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.ProcessCpu;
import io.archipelago.bench.scale.Growth;
import io.archipelago.bench.scale.ScaleCharts;
import io.archipelago.control.proto.DsmAccessReply;
import io.archipelago.control.proto.DsmAccessRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.task.proto.KillRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.ThreadKind;
import io.archipelago.testing.MiniCluster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench scale}: how a cluster's costs grow with its number of kernels. For each
 * N, a temporary cluster of N kernel processes on four islands (x86_64, armv7, ppc32, aarch64,
 * each its own coherence domain) is booted and measured, then stopped; the figures of all N are
 * fitted to N^b and the growth named.
 */
@Command(name = "scale", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "How boot time, memory, idle CPU, mailbox, DSM and migration costs grow with the number of kernels.",
    description = {
        "For each N of --kernels, boots a temporary cluster of N kernel processes spread over four islands of four data models in "
            + "four coherence domains (x86_64 a, armv7 b, ppc32 c, aarch64 d; 1 GiB of global memory, --quick: 256 MiB) and measures:",
        "  boot        from the coordinator's start to every kernel RUNNING;",
        "  memory      resident set (RSS) and proportional set (PSS: shared pages divided among their users) per kernel, and threads;",
        "  idle CPU    of the kernels and the coordinator (this process) over --idle-s seconds with nothing to do, from /proc, in %% "
            + "of one core;",
        "  mailbox     PING/PONG round trips from a kernel thread between every ordered pair of kernels: p50 per pair (a heat map "
            + "in --out) and the median of the pairs' p50;",
        "  DSM         every kernel in turn writes one cell of one software-coherent page, so each write faults the page over from "
            + "the previous kernel: the access time p50 (fault to page usable);",
        "  migration   one `counter` thread migrated around the ring of all N kernels, alternating shared memory and messages: "
            + "from the source stopping it to the destination taking it, p50.",
        "Growth: the least-squares exponent b of figure ~ N^b, named falling (b <= -0.3), flat (|b| < 0.3), linear (< 1.5) or "
            + "quadratic (>= 1.5); a table on stdout, "
            + "scale.json, report.md, growth.png and mailbox-N.png in --out. The load average is printed with every N: on a shared "
            + "machine compare within one run."})
final class BenchScaleCommand extends BenchSuite {

    static final Path DEFAULT_OUT = Path.of("target", "bench", "scale");
    private static final String REGION = "bench-scale";
    private static final List<IslandConfig> ISLANDS = List.of(
        new IslandConfig("xa", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
        new IslandConfig("arm", "armv7", 1, 0.25, "b", "cortex-m3", 1),
        new IslandConfig("ppc", "ppc32", 1, 0.5, "c", "cortex-m3", 1),
        new IslandConfig("a64", "aarch64", 2, 1.0, "d", "cortex-a9", 1));

    @Option(names = "--kernels", paramLabel = "N", split = ",", description = "Cluster sizes (default: 2,4,8,16; --quick: 2,4).")
    List<Integer> kernels;

    @Option(names = "--json", description = "Print JSON: {\"sizes\": [{\"kernels\", \"boot_s\", \"rss_mib\", \"pss_mib\", \"threads\", "
        + "\"idle_cpu_pct\", \"mailbox_rtt_p50_us\", \"mailbox_matrix_p50_us\", \"dsm_transfer_us\", \"migration_us\", \"load\"}], "
        + "\"growth\": {figure: {\"exponent\", \"name\"}}, ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write scale.json, report.md and the charts (default: ${DEFAULT-VALUE}; "
        + "with --trace, the last cluster's timeline too, timeline.png).")
    Path out = DEFAULT_OUT;

    @Override
    Path reportDirectory() {
        return out;
    }

    /** The cluster size measured last: with --trace, its timeline is written. */
    private int lastSize;

    @Option(names = "--quick", description = "A CI smoke run: N = 2,4, short idle window, few round trips (about two minutes).")
    boolean quick;

    @Option(names = "--idle-s", paramLabel = "S", description = "Idle window for the CPU figure (default: 30; --quick: 3).")
    Integer idleSeconds;

    @Option(names = "--round-trips", paramLabel = "R", description = "Mailbox round trips per ordered pair (default: 200; --quick: 20).")
    Integer roundTrips;

    @Option(names = "--laps", paramLabel = "L", description = "Laps of the DSM page and of the migrating thread around all kernels "
        + "(default: 5; --quick: 2).")
    Integer laps;

    @Option(names = "--boot-timeout-s", paramLabel = "S", description = "How long N kernels may take to boot (default: ${DEFAULT-VALUE}).")
    long bootTimeoutSeconds = 300;

    /** The figures of one cluster size. */
    record Size(int kernels, double bootSeconds, double rssMib, double pssMib, double threads, double idleCpuPercent,
                double mailboxP50Us, double[][] matrixP50Us, List<String> names, LatencySummary dsmUs, LatencySummary migrationUs,
                double loadBefore, double loadAfter) {
    }

    /** What the table needs besides the JSON: every size's figures, their growth, where the reports went, their charts. */
    private List<Size> measured;
    private Map<String, Growth> growth;
    private Path dir;
    private List<String> charts;
    private String chartError;

    @Override
    String suite() {
        return "scale";
    }

    @Override
    ObjectNode measure() throws Exception {
        List<Integer> sizes = kernels != null ? kernels : quick ? List.of(2, 4) : List.of(2, 4, 8, 16);
        int idle = idleSeconds != null ? idleSeconds : quick ? 3 : 30;
        int trips = roundTrips != null ? roundTrips : quick ? 20 : 200;
        int lapCount = laps != null ? laps : quick ? 2 : 5;
        for (int n : sizes) {
            if (n < 2 || n > 64) {
                throw new CliException("--kernels: expected sizes from 2 to 64 (the configured maximum), found " + n);
            }
        }
        if (idle < 1 || trips < 1 || lapCount < 1 || bootTimeoutSeconds < 1) {
            throw new CliException("expected --idle-s, --round-trips, --laps and --boot-timeout-s >= 1");
        }
        dir = out.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CliException("cannot create the report directory " + dir + ": " + e.getMessage());
        }
        measured = new ArrayList<>();
        lastSize = sizes.getLast();
        for (int n : sizes) {
            measured.add(measure(n, idle, trips, lapCount));
        }
        Map<String, List<Double>> figures = figures(measured);
        growth = new LinkedHashMap<>();
        figures.forEach((name, values) -> growth.put(name, Growth.of(sizes, values)));
        charts = new ArrayList<>();
        try {
            for (Size size : measured) {
                String png = "mailbox-" + size.kernels() + ".png";
                ScaleCharts.heatmap(dir.resolve(png), size.names(), size.matrixP50Us());
                charts.add(png);
            }
            if (sizes.size() >= 2) {
                ScaleCharts.growth(dir.resolve("growth.png"), sizes, figures);
                charts.add("growth.png");
            }
        } catch (RuntimeException | LinkageError | java.awt.AWTError e) {
            chartError = "cannot draw the charts (" + e + "); headless Java needs fonts: on Debian, apt-get install fontconfig "
                + "fonts-dejavu-core. The JSON and Markdown reports were written to " + dir;
        }
        ObjectNode root = json(measured, growth, dir, charts);
        write(dir.resolve("scale.json"), toJson(withHost(root)) + "\n");
        write(dir.resolve("report.md"), markdown(measured, growth, charts));
        return root;
    }

    @Override
    void printTable(ObjectNode figures, PrintWriter stdout) {
        stdout.print(table(measured, growth));
        stdout.println("report: " + dir.resolve("report.md") + ", JSON: " + dir.resolve("scale.json") + ", charts: " + charts);
    }

    /** Charts that could not be drawn fail the run once its figures are out (the JSON and Markdown reports are written). */
    @Override
    int exitCode(ObjectNode figures) {
        if (chartError != null) {
            throw new CliException(chartError);
        }
        return 0;
    }

    static ClusterConfig config(int n, boolean quick) {
        List<IslandConfig> islands = new ArrayList<>();
        for (int i = 0; i < ISLANDS.size(); i++) {
            int count = n / ISLANDS.size() + (i < n % ISLANDS.size() ? 1 : 0);
            IslandConfig island = ISLANDS.get(i);
            if (count > 0) {
                islands.add(new IslandConfig(island.name(), island.dataModel(), island.cores(), island.speed(), island.coherenceDomain(),
                    island.powerModel(), count));
            }
        }
        MemoryGeometry defaults = MemoryGeometry.defaults();
        long size = (quick ? 256L : 1024L) << 20;
        MemoryGeometry memory = new MemoryGeometry(size, defaults.pageSize(), defaults.blockSize(), defaults.maxKernels());
        // N JVMs booting at once on a few cores starve each other for seconds: a kernel is declared dead after 10 s of silence
        return ClusterConfig.builder().cluster("bench-scale-" + n).memory(memory).islands(islands)
            .heartbeatInterval(Duration.ofMillis(500)).deadAfter(Duration.ofSeconds(10)).build();
    }

    private Size measure(int n, int idleSeconds, int trips, int lapCount) throws Exception {
        ClusterConfig config = config(n, quick);
        Path root = Files.createTempDirectory(Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of("/tmp"),
            "archipelago-bench-scale-");
        double loadBefore = loadAverage();
        say(n + " kernels: booting (load " + loadBefore + ") in " + root);
        long start = System.nanoTime();
        Coordinator coordinator = Coordinator.start(new CoordinatorContext().config(config).root(root)
            .kernelPlugins(io.archipelago.workloads.BenchWorkloads.NAME)
            .bootTimeout(Duration.ofSeconds(bootTimeoutSeconds)));
        try {
            double bootSeconds = (System.nanoTime() - start) / 1e9;
            List<KernelStatus> running = coordinator.status().getKernelsList().stream()
                .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
            say(n + " kernels RUNNING after " + String.format(Locale.ROOT, "%.1f", bootSeconds) + " s; idle for " + idleSeconds + " s");
            long[] pids = running.stream().mapToLong(KernelStatus::getPid).toArray();
            List<Long> cluster = new ArrayList<>(running.stream().map(KernelStatus::getPid).toList());
            cluster.add(ProcessHandle.current().pid()); // the coordinator runs in this process
            // the figure is what the cluster does when nothing is asked of it
            double idlePercent = ProcessCpu.percentOfOneCore(cluster, Duration.ofSeconds(idleSeconds));
            double rss = 0;
            double pss = 0;
            double threads = 0;
            for (long pid : pids) {
                rss += procField(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:") / 1024.0;
                pss += procField(Path.of("/proc", Long.toString(pid), "smaps_rollup"), "Pss:") / 1024.0;
                threads += procField(Path.of("/proc", Long.toString(pid), "status"), "Threads:");
            }
            try (KernelChannels channels = new KernelChannels(coordinator.secret(), "bench@" + ProcessHandle.current().pid())) {
                say(n + " kernels: mailbox round trips between " + n * (n - 1) + " ordered pairs");
                double[][] matrix = new double[n][n];
                List<Double> pairs = new ArrayList<>();
                for (KernelStatus from : running) {
                    for (KernelStatus to : running) {
                        if (from.getId() != to.getId()) {
                            MailboxPingReply reply = call(from, () -> channels.mailbox(from.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                                .ping(MailboxPingRequest.newBuilder().setPeer(to.getId()).setWarmup(Math.max(5, trips / 10))
                                    .setRoundTrips(trips).setTimeoutMs(10_000).build()));
                            Histogram h = LatencySummary.histogram();
                            LatencySummary.record(h, reply.getRttNsList().stream().mapToLong(Long::longValue).toArray());
                            double p50 = LatencySummary.of(h).p50();
                            matrix[running.indexOf(from)][running.indexOf(to)] = p50;
                            pairs.add(p50);
                        }
                    }
                }
                pairs.sort(Double::compare);
                double medianPair = pairs.get(pairs.size() / 2);
                say(n + " kernels: one DSM page around all of them, " + lapCount + " laps");
                LatencySummary dsm = dsmRing(channels, running, lapCount);
                say(n + " kernels: one thread migrated around all of them, " + lapCount + " laps");
                LatencySummary migration = migrationRing(channels, running, lapCount);
                double loadAfter = loadAverage();
                return new Size(n, bootSeconds, rss / n, pss / n, threads / n, idlePercent, medianPair, matrix,
                    running.stream().map(KernelStatus::getName).toList(), dsm, migration, loadBefore, loadAfter);
            }
        } finally {
            try {
                if (trace != null && n == lastSize) {
                    // the timeline of the last cluster measured (the largest by default), before it stops
                    BenchTarget.saveTimeline(coordinator.directory(), trace, timelinePicture(), this::say);
                }
            } finally {
                coordinator.close();
                MiniCluster.deleteRecursively(root);
            }
        }
    }

    private static LatencySummary dsmRing(KernelChannels channels, List<KernelStatus> ring, int lapCount) {
        openRegion(channels, ring, REGION, 8);
        Histogram transfers = LatencySummary.histogram();
        long faults = 0;
        for (int lap = 0; lap < lapCount; lap++) {
            for (KernelStatus kernel : ring) {
                DsmAccessReply reply = call(kernel, () -> dsm(channels, kernel).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .access(DsmAccessRequest.newBuilder().setRegion(REGION).setCell(1).build()));
                if (reply.getFaulted()) {
                    transfers.recordValue(Math.max(1, reply.getAccessNs()));
                    faults++;
                }
            }
        }
        if (faults == 0) {
            throw new CliException("the DSM page never moved: no kernel faulted on it in " + lapCount + " laps of " + ring.size());
        }
        return LatencySummary.of(transfers);
    }

    private static LatencySummary migrationRing(KernelChannels channels, List<KernelStatus> ring, int lapCount) {
        KernelStatus first = ring.get(0);
        SpawnReply spawned = call(first, () -> channels.tasks(first.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .spawn(SpawnRequest.newBuilder().setProgram("counter").setThreads(1).setKind(ThreadKind.NORMAL)
                .putArgs("cycles", "100000").build()));
        int tid = spawned.getTids(0);
        Histogram latency = LatencySummary.histogram();
        int hops = 0;
        for (int lap = 0; lap < lapCount; lap++) {
            for (int hop = 1; hop <= ring.size(); hop++) {
                KernelStatus to = ring.get(hop % ring.size());
                KernelStatus via = ring.get((hop - 1) % ring.size()); // the kernel that holds it
                MigrationMode mode = hops % 2 == 0 ? MigrationMode.SHARED_MEMORY : MigrationMode.MESSAGES;
                MigrateReply reply = call(via, () -> channels.tasks(via.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                    .migrate(MigrateRequest.newBuilder().setTid(tid).setTo(to.getName()).setMode(mode).setHops(3).build()));
                latency.recordValue(Math.max(1, reply.getAdoptedNs() - reply.getStoppedNs()));
                hops++;
            }
        }
        call(first, () -> channels.tasks(first.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .kill(KillRequest.newBuilder().setTid(tid).setHops(3).build()));
        return LatencySummary.of(latency);
    }

    static Map<String, List<Double>> figures(List<Size> sizes) {
        Map<String, List<Double>> figures = new LinkedHashMap<>();
        figures.put("boot_s", sizes.stream().map(Size::bootSeconds).toList());
        figures.put("rss_mib_per_kernel", sizes.stream().map(Size::rssMib).toList());
        figures.put("pss_mib_per_kernel", sizes.stream().map(Size::pssMib).toList());
        figures.put("idle_cpu_pct", sizes.stream().map(Size::idleCpuPercent).toList());
        figures.put("mailbox_rtt_p50_us", sizes.stream().map(Size::mailboxP50Us).toList());
        figures.put("dsm_transfer_p50_us", sizes.stream().map(s -> s.dsmUs().p50()).toList());
        figures.put("migration_p50_us", sizes.stream().map(s -> s.migrationUs().p50()).toList());
        return figures;
    }

    private static ObjectNode json(List<Size> sizes, Map<String, Growth> growth, Path dir, List<String> charts) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("suite", "scale");
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("java", "Java " + Runtime.version());
        ArrayNode array = root.putArray("sizes");
        for (Size s : sizes) {
            ObjectNode node = array.addObject();
            node.put("kernels", s.kernels());
            node.put("boot_s", round(s.bootSeconds()));
            node.put("rss_mib", round(s.rssMib()));
            node.put("pss_mib", round(s.pssMib()));
            node.put("threads", round(s.threads()));
            node.put("idle_cpu_pct", round(s.idleCpuPercent()));
            node.put("mailbox_rtt_p50_us", round(s.mailboxP50Us()));
            ArrayNode matrix = node.putArray("mailbox_matrix_p50_us");
            for (double[] row : s.matrixP50Us()) {
                ArrayNode r = matrix.addArray();
                for (double v : row) {
                    r.add(round(v));
                }
            }
            ArrayNode names = node.putArray("kernel_names");
            s.names().forEach(names::add);
            node.set("dsm_transfer_us", s.dsmUs().json());
            node.set("migration_us", s.migrationUs().json());
            node.put("load_before", s.loadBefore());
            node.put("load_after", s.loadAfter());
        }
        ObjectNode g = root.putObject("growth");
        growth.forEach((name, value) -> {
            ObjectNode node = g.putObject(name);
            node.put("exponent", Double.isNaN(value.exponent()) ? null : round(value.exponent()));
            node.put("name", value.name());
        });
        ObjectNode files = root.putObject("files");
        files.put("directory", dir.toString());
        files.put("json", "scale.json");
        files.put("markdown", "report.md");
        ArrayNode pngs = files.putArray("charts");
        charts.forEach(pngs::add);
        return root;
    }

    static String table(List<Size> sizes, Map<String, Growth> growth) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-22s", "figure"));
        for (Size s : sizes) {
            out.append(String.format(Locale.ROOT, "%12s", "N=" + s.kernels()));
        }
        out.append("   growth\n");
        Map<String, List<Double>> figures = figures(sizes);
        for (Map.Entry<String, List<Double>> figure : figures.entrySet()) {
            out.append(String.format(Locale.ROOT, "%-22s", figure.getKey()));
            for (double v : figure.getValue()) {
                out.append(String.format(Locale.ROOT, "%12.1f", v));
            }
            Growth g = growth.get(figure.getKey());
            out.append(String.format(Locale.ROOT, "   %s (N^%s)%n", g.name(),
                Double.isNaN(g.exponent()) ? "?" : String.format(Locale.ROOT, "%.2f", g.exponent())));
        }
        out.append(String.format(Locale.ROOT, "%-22s", "load before/after"));
        for (Size s : sizes) {
            out.append(String.format(Locale.ROOT, "%12s", s.loadBefore() + "/" + s.loadAfter()));
        }
        out.append('\n');
        return out.toString();
    }

    private static String markdown(List<Size> sizes, Map<String, Growth> growth, List<String> charts) {
        StringBuilder md = new StringBuilder("# bench scale\n\n");
        md.append("Each N: a temporary cluster of N kernel processes on four islands (x86_64, armv7, ppc32, aarch64; four coherence ")
            .append("domains) on ").append(Runtime.getRuntime().availableProcessors()).append(" cores. Growth: exponent b of figure ~ N^b.\n\n");
        md.append("| figure |");
        sizes.forEach(s -> md.append(" N=").append(s.kernels()).append(" |"));
        md.append(" growth |\n|---|");
        sizes.forEach(s -> md.append("---|"));
        md.append("---|\n");
        for (Map.Entry<String, List<Double>> figure : figures(sizes).entrySet()) {
            md.append("| ").append(figure.getKey()).append(" |");
            figure.getValue().forEach(v -> md.append(String.format(Locale.ROOT, " %.1f |", v)));
            Growth g = growth.get(figure.getKey());
            md.append(' ').append(g.name()).append(Double.isNaN(g.exponent()) ? "" : String.format(Locale.ROOT, " (N^%.2f)", g.exponent()))
                .append(" |\n");
        }
        md.append("| load average before/after |");
        sizes.forEach(s -> md.append(' ').append(s.loadBefore()).append('/').append(s.loadAfter()).append(" |"));
        md.append(" |\n\n");
        charts.forEach(png -> md.append("![").append(png).append("](").append(png).append(")\n\n"));
        return md.toString();
    }



    /** A "Name:   value kB" line of a /proc file, its value; 0 when the file or the field is missing. */
    private static long procField(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }


    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
