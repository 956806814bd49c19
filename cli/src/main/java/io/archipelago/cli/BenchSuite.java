package io.archipelago.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.host.HostCalibration;
import io.archipelago.control.proto.DsmAccessReply;
import io.archipelago.control.proto.DsmAccessRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.coordinator.KernelChannels;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The template of every {@code bench} suite: check the options, measure (against a baseline taken
 * in the same run), then print the figures as tables for a person or as one JSON object for
 * scripts ({@code --json}), with progress on stderr. A suite says what it measures and how its
 * figures read; the run, the output and the errors are spelled once, here:
 * <ul>
 *   <li>{@link #measure()} checks the options (a {@link CliException} names what was expected and
 *       found), boots or finds its cluster and returns the figures;</li>
 *   <li>{@link #printTable} prints them for a person;</li>
 *   <li>{@link #exitCode} turns figures that cannot be trusted into a non-zero exit (default 0).</li>
 * </ul>
 * Before it measures, every suite calibrates the host ({@link HostCalibration#quick()}: cache-line
 * round trip, wake-up, system call, timer, load) and its JSON carries that record under
 * {@code host}, its table a line of it.
 * Each suite declares its own {@code --json} option (through {@link #json(boolean)}) because its
 * description lists that suite's fields, and its own {@code --quick} because what a CI smoke run
 * shortens is the suite's to say.
 */
abstract class BenchSuite implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--trace", paramLabel = "FILE", order = 1000, description = "Also write the measured cluster's timeline (every "
        + "kernel's steps, DSM faults, migrations, interrupts: the newest events of each kernel's trace ring) as a Perfetto trace to "
        + "FILE when the run ends, for the Perfetto UI (ui.perfetto.dev); as Chrome's trace-event JSON when FILE ends in .json. A suite with --out DIR also draws it there as timeline.png.")
    Path trace;

    /** Where {@code bench all} wants the timeline's picture of a suite that has no {@code --out} of its own. */
    @Option(names = "--timeline-png", paramLabel = "FILE", hidden = true, description = "With --trace: draw the timeline there too.")
    Path timelinePng;

    private boolean json;
    /** The host's floors measured before this run (null where the measurement is driven from elsewhere, as by the demo). */
    private HostCalibration host;

    /** The suite's name: its {@code bench} subcommand and the prefix of its progress lines. */
    abstract String suite();

    /** Checks the options, measures and returns the figures (the JSON {@code --json} prints). */
    abstract ObjectNode measure() throws Exception;

    /** The figures as a person reads them: tables, ratios against the baseline, targets met or not. */
    abstract void printTable(ObjectNode figures, PrintWriter out);

    /** The exit code for these figures: non-zero where they must not be quoted (already explained on stderr). */
    int exitCode(ObjectNode figures) {
        return 0;
    }

    /** The cluster this suite measures, with {@code --trace} honoured: suites open their target through this. */
    final BenchTarget measured(BenchTarget target) {
        return trace == null ? target : BenchTarget.saveTraceOnClose(target, trace, timelinePicture(), this::say);
    }

    /** Where the timeline's picture goes with {@code --trace}: {@code timeline.png} in the reports' directory, or null for none. */
    final Path timelinePicture() {
        Path reports = reportDirectory();
        return timelinePng != null ? timelinePng : reports == null ? null : reports.resolve("timeline.png");
    }

    /**
     * Where a suite with {@code --out DIR} writes its reports, or null: with {@code --trace}, the
     * timeline's picture ({@code timeline.png}, {@code trace render}'s) goes there too.
     */
    Path reportDirectory() {
        return null;
    }

    /**
     * Puts the host record in the figures (a suite that writes its JSON to a file calls this first, so that the file and
     * the printed JSON are the same).
     */
    final ObjectNode withHost(ObjectNode figures) {
        if (host != null) {
            figures.set("host", host.json());
        }
        return figures;
    }

    /**
     * Warns (on stderr, and in the figures' {@code noise_warnings}) when the host's own cost of a
     * modelled thing, measured in this run, is not small beside the model (see
     * {@link HostCalibration#noiseWarning}).
     */
    final void warnIfNoise(ObjectNode figures, double modelledNanos, double hostNanos, String what, String hostWhat) {
        HostCalibration.noiseWarning(modelledNanos, hostNanos, what, hostWhat).ifPresent(warning -> {
            say("warning: " + warning);
            com.fasterxml.jackson.databind.node.ArrayNode warnings = figures.has("noise_warnings")
                ? (com.fasterxml.jackson.databind.node.ArrayNode) figures.get("noise_warnings") : figures.putArray("noise_warnings");
            warnings.add(warning);
        });
    }

    /** The host's calibration of this run (null before it ran). */
    final HostCalibration host() {
        return host;
    }

    /** Sets {@code --json}: each suite's option calls this (its description lists the suite's fields). */
    final void json(boolean json) {
        this.json = json;
    }

    final boolean json() {
        return json;
    }

    @Override
    public final Integer call() throws Exception {
        // the host's own floors first, before this run's cluster loads the machine: every figure is read against them
        host = HostCalibration.quick();
        ObjectNode figures = measure();
        withHost(figures);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(figures));
        } else {
            printTable(figures, out);
            if (host != null) {
                out.println(host.line());
            }
        }
        out.flush();
        return exitCode(figures);
    }

    /**
     * A progress line on stderr, prefixed with the suite's command; silent where the suite's
     * measurement is driven from elsewhere (the demo runs the energy suite's measurement).
     */
    final void say(String line) {
        if (spec == null) {
            return;
        }
        PrintWriter err = spec.commandLine().getErr();
        err.println("bench " + suite() + ": " + line);
        err.flush();
    }

    static String toJson(JsonNode figures) {
        try {
            return StatusView.JSON.writeValueAsString(figures);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("figures that are not JSON: " + e.getMessage(), e);
        }
    }

    /** The cluster's RUNNING kernels by id; at least {@code needed} of them, or one clear error. */
    final List<KernelStatus> runningKernels(BenchTarget target, int needed) {
        List<KernelStatus> running = target.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING"))
            .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
        if (running.size() < needed) {
            throw new CliException("bench " + suite() + " needs " + needed + " RUNNING kernels; cluster '" + target.status().getCluster()
                + "' has " + running.size());
        }
        return running;
    }

    /** A control call to {@code kernel}; its failure becomes one error naming the kernel, its control endpoint and the status. */
    static <T> T call(KernelStatus kernel, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new CliException("kernel " + kernel.getName() + " (control " + kernel.getControl() + ") failed: " + e.getStatus().getCode()
                + ": " + e.getStatus().getDescription());
        }
    }

    /**
     * The bench workloads' DSM control of {@code kernel} (a kernel plug-in's service: cluster
     * control has no stub of it); callers set the deadline.
     */
    static DsmControlGrpc.DsmControlBlockingStub dsm(KernelChannels kernels, KernelStatus kernel) {
        return kernels.stub(kernel.getControl(), DsmControlGrpc::newBlockingStub);
    }

    /** Authenticated channels to {@code target}'s kernels, for a suite's control calls; the caller closes them. */
    static KernelChannels kernelChannels(BenchTarget target) {
        return new KernelChannels(target.secret(), "bench@" + ProcessHandle.current().pid());
    }

    /**
     * The figures' first fields, every suite's: its name, the cluster measured and whether this run
     * booted it ({@link #temporaryMark} in the table).
     */
    final ObjectNode newFigures(BenchTarget target) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("suite", suite());
        root.put("cluster", target.status().getCluster());
        root.put("temporary_cluster", target.temporary());
        return root;
    }

    /** What a table's headline says after the cluster's name when the run booted it: " (temporary)", else nothing. */
    static String temporaryMark(JsonNode figures) {
        return figures.get("temporary_cluster").asBoolean() ? " (temporary)" : "";
    }

    /**
     * A software-coherent region of the bench workloads with {@code cells} cells, created by the
     * first of {@code kernels} and opened by the others.
     */
    static void openRegion(KernelChannels channels, List<KernelStatus> kernels, String region, long cells) {
        KernelStatus creator = kernels.get(0);
        call(creator, () -> dsm(channels, creator).withDeadlineAfter(60, TimeUnit.SECONDS)
            .open(DsmOpenRequest.newBuilder().setRegion(region).setCount(cells).setCreate(true).build()));
        for (KernelStatus kernel : kernels.subList(1, kernels.size())) {
            call(kernel, () -> dsm(channels, kernel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion(region).build()));
        }
    }

    /**
     * {@code count} mailbox round trips from {@code from} to {@code to}, asked from a kernel thread
     * (the path a DSM request takes) or from {@code from}'s interrupt context (the mailbox's own floor).
     */
    static MailboxPingReply ping(KernelChannels kernels, KernelStatus from, KernelStatus to, int count, boolean interruptContext) {
        return call(from, () -> kernels.mailbox(from.getControl()).withDeadlineAfter(60_000 + count * 2L, TimeUnit.MILLISECONDS)
            .ping(MailboxPingRequest.newBuilder().setPeer(to.getId()).setRoundTrips(count).setTimeoutMs(10_000)
                .setInterruptContext(interruptContext).build()));
    }

    /**
     * Page transfers one at a time: {@code a} and {@code b} write {@code cell} of {@code region} in
     * turn, {@code count} writes, each driven by its own control call, so the page is always at the
     * other kernel and each timed access is one fault (GET_EXCLUSIVE, write-back, PUT_EXCLUSIVE, the
     * page usable). {@code afterEach} runs after each write with the kernel that wrote and the other
     * (a baseline taken under the same conditions). Returns the faults' access times, the first
     * write's left out (its page need not have been at the other kernel).
     */
    static long[] lockstep(KernelChannels kernels, KernelStatus a, KernelStatus b, String region, long cell, int count,
                           BiConsumer<KernelStatus, KernelStatus> afterEach) {
        long[] samples = new long[count];
        int taken = 0;
        for (int i = 0; i < count; i++) {
            KernelStatus kernel = i % 2 == 0 ? a : b;
            DsmAccessReply reply = call(kernel, () -> dsm(kernels, kernel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .access(DsmAccessRequest.newBuilder().setRegion(region).setCell(cell).build()));
            afterEach.accept(kernel, kernel == a ? b : a);
            if (reply.getFaulted() && i > 0) {
                samples[taken++] = reply.getAccessNs();
            }
        }
        return Arrays.copyOf(samples, taken);
    }

    /** Runs {@code work} on its own daemon thread (a kernel-side workload driven concurrently with others). */
    final <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, runnable -> Thread.ofPlatform().daemon().name("bench-" + suite()).start(runnable));
    }

    /** The machine's load average over the last minute: every report gives it, since this machine's figures move with it. */
    static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static long[] samples(List<Long> nanos) {
        return nanos.stream().mapToLong(Long::longValue).toArray();
    }

    /** A row of a latency table: the name, then p50, p90, p99, p99.9 and max of a {@code LatencySummary} JSON, then {@code more}. */
    static String[] percentileRow(String name, JsonNode summary, String... more) {
        String[] row = new String[6 + more.length];
        row[0] = name;
        String[] columns = {"p50", "p90", "p99", "p999", "max"};
        for (int i = 0; i < columns.length; i++) {
            row[1 + i] = fmt(summary.get(columns[i]).asDouble());
        }
        System.arraycopy(more, 0, row, 6, more.length);
        return row;
    }

    /** {@link #percentileRow} with the sample count last. */
    static String[] countRow(String name, JsonNode summary) {
        return percentileRow(name, summary, Long.toString(summary.get("count").asLong()));
    }

    /** {@link #percentileRow} with the mean last. */
    static String[] meanRow(String name, JsonNode summary) {
        return percentileRow(name, summary, fmt(summary.get("mean").asDouble()));
    }

    /** The header of {@link #percentileRow} tables. */
    static String[] percentileHeader(String... more) {
        String[] head = new String[6 + more.length];
        String[] columns = {"", "p50", "p90", "p99", "p99.9", "max"};
        System.arraycopy(columns, 0, head, 0, columns.length);
        System.arraycopy(more, 0, head, 6, more.length);
        return head;
    }

    static String fmt(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String fmt2(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
