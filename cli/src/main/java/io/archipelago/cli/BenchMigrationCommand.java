package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import io.archipelago.control.proto.KernelStatus;
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
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code archipelago bench migration}: the latency of a thread migration between two kernel
 * processes of different ABIs, by shared memory against by messages, for task states of several
 * sizes, in the same run and interleaved (each shared-memory migration is followed by one by
 * messages), so that the machine's load affects both alike.
 */
@Command(name = "migration", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Thread migration latency by shared memory vs by messages, for task states of 1 KiB, 16 KiB and 256 KiB.",
    description = {
        "Boots a temporary cluster (K2's platform: an x86_64 kernel in coherence domain a, an armv7 kernel in domain b) unless "
            + "--cluster names a running one, starts a `memwalk` thread with a typed state of each size, and migrates it back and forth "
            + "between the two kernels, alternating the two ways:",
        "  shared memory  the state stays in place; the destination attaches it (a morphed accessor: the other ABI's layout) and "
            + "takes ownership after a MIGRATE word over the mailbox; the DSM brings the pages the thread touches, lazily;",
        "  messages       the state is serialized with Protocol Buffers, sent over the control channel (gRPC) and rebuilt in a new "
            + "region in the destination's layout.",
        "Latency = from the moment the source stopped the thread (at a step boundary) to the start of its first step at the "
            + "destination, both read from the host's monotonic clock by the kernels. Percentiles from HdrHistogram; msg_over_shm = "
            + "messages p50 / shared memory p50 (target >= 3 at 256 KiB)."})
final class BenchMigrationCommand implements Callable<Integer> {

    static final double TARGET_RATIO_AT_256K = 3.0;
    static final long[] SIZES = {1024, 16 * 1024, 256 * 1024};

    @Option(names = "--json", description = "Print JSON: {\"sizes\": [{\"bytes\", \"shm_us\": {\"p50\", \"p90\", \"p99\", ...}, \"msg_us\": "
        + "{...}, \"msg_over_shm\", \"msg_image_bytes\", ...}], \"target_met\", ...}.")
    boolean json;

    @Option(names = "--migrations", paramLabel = "N", description = "Measured migrations of each kind per size (default: 200; --quick: 40).")
    Integer migrations;

    @Option(names = "--warmup", paramLabel = "N", description = "Migrations of each kind per size made first and not measured (default: 40; "
        + "--quick: 15).")
    Integer warmup;

    @Option(names = "--quick", description = "Fewer migrations (a CI smoke run, well under a minute).")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    @Spec
    CommandSpec spec;

    private PrintWriter progress;

    @Override
    public Integer call() {
        int measured = migrations != null ? migrations : quick ? 40 : 200;
        int warm = warmup != null ? warmup : quick ? 15 : 40;
        if (measured < 1 || warm < 0) {
            throw new CliException("expected --migrations >= 1 and --warmup >= 0; found " + measured + " and " + warm);
        }
        progress = spec.commandLine().getErr();
        // K2's platform: strong x86_64 in coherence domain a, weak armv7 in domain b; the task regions are software-coherent
        try (BenchTarget target = clusterOption.target(ClusterConfig.k2Default().withCluster("bench-migration"),
            "K2's platform: x86_64 in coherence domain a, armv7 in domain b", this::say)) {
            ObjectNode result = measure(target, measured, warm);
            print(result);
        }
        return 0;
    }

    private void say(String line) {
        if (progress != null) {
            progress.println("bench migration: " + line);
            progress.flush();
        }
    }

    private ObjectNode measure(BenchTarget target, int measured, int warm) {
        List<KernelStatus> running = target.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING"))
            .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
        if (running.size() < 2) {
            throw new CliException("bench migration needs two RUNNING kernels; cluster '" + target.status().getCluster() + "' has "
                + running.size());
        }
        KernelStatus a = running.get(0);
        KernelStatus b = running.get(1);
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("suite", "migration");
        root.put("cluster", target.status().getCluster());
        root.put("temporary_cluster", target.temporary());
        root.put("kernel_a", a.getName());
        root.put("kernel_a_data_model", a.getDataModel());
        root.put("kernel_b", b.getName());
        root.put("kernel_b_data_model", b.getDataModel());
        root.put("migrations_per_kind", measured);
        root.put("warmup_per_kind", warm);
        ArrayNode sizes = root.putArray("sizes");
        double ratioAt256 = 0;
        try (KernelChannels kernels = new KernelChannels(target.secret(), "bench@" + ProcessHandle.current().pid())) {
            for (long bytes : SIZES) {
                ObjectNode size = measureSize(kernels, a, b, bytes, measured, warm);
                sizes.add(size);
                if (bytes == 256 * 1024) {
                    ratioAt256 = size.get("msg_over_shm").asDouble();
                }
            }
        }
        root.put("target_msg_over_shm_at_256KiB", TARGET_RATIO_AT_256K);
        root.put("target_met", ratioAt256 >= TARGET_RATIO_AT_256K);
        return root;
    }

    private ObjectNode measureSize(KernelChannels kernels, KernelStatus a, KernelStatus b, long bytes, int measured, int warm) {
        SpawnReply spawned = call(a, () -> kernels.tasks(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).spawn(SpawnRequest
            .newBuilder().setProgram("memwalk").setThreads(1).setKind(ThreadKind.NORMAL).putArgs("bytes", Long.toString(bytes))
            .putArgs("cycles", "20000").build()));
        int tid = spawned.getTids(0);
        say(String.format(Locale.ROOT, "%s of state (thread %d): %d + %d migrations of each kind between %s (%s) and %s (%s)", human(bytes),
            tid, warm, measured, a.getName(), a.getDataModel(), b.getName(), b.getDataModel()));
        Histogram shm = LatencySummary.histogram();
        Histogram msg = LatencySummary.histogram();
        Histogram shmHandoff = LatencySummary.histogram();
        Histogram msgHandoff = LatencySummary.histogram();
        long imageBytes = 0;
        int unmeasured = 0;
        KernelStatus here = a;
        for (int i = 0; i < 2 * (warm + measured); i++) {
            boolean byMessages = i % 2 == 1;
            boolean counted = i >= 2 * warm;
            KernelStatus there = here == a ? b : a;
            KernelStatus source = here;
            MigrateReply reply = call(source, () -> kernels.tasks(source.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .migrate(MigrateRequest.newBuilder().setTid(tid).setToId(there.getId()).setHops(1)
                    .setMode(byMessages ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY).build()));
            Optional<MigrationEvent> arrival = awaitFirstStep(kernels, there, tid, reply.getStoppedNs());
            here = there;
            if (!counted) {
                continue;
            }
            if (arrival.isEmpty()) {
                unmeasured++;
                continue;
            }
            long latency = arrival.get().getFirstStepNs() - arrival.get().getStoppedNs();
            long handoff = arrival.get().getAdoptedNs() - arrival.get().getStoppedNs();
            LatencySummary.record(byMessages ? msg : shm, new long[] {latency});
            LatencySummary.record(byMessages ? msgHandoff : shmHandoff, new long[] {handoff});
            if (byMessages) {
                imageBytes = reply.getStateBytes();
            }
        }
        KernelStatus owner = here;
        try {
            LatencySummary shmLatency = LatencySummary.of(shm);
            LatencySummary msgLatency = LatencySummary.of(msg);
            ObjectNode size = StatusView.JSON.createObjectNode();
            size.put("bytes", bytes);
            size.put("tid", tid);
            size.set("shm_us", shmLatency.json());
            size.set("msg_us", msgLatency.json());
            size.put("msg_over_shm", ratio(msgLatency.p50(), shmLatency.p50()));
            size.put("msg_over_shm_p90", ratio(msgLatency.p90(), shmLatency.p90()));
            size.set("shm_handoff_us", LatencySummary.of(shmHandoff).json());
            size.set("msg_handoff_us", LatencySummary.of(msgHandoff).json());
            size.put("msg_image_bytes", imageBytes);
            size.put("unmeasured", unmeasured);
            size.put("left_on", owner.getName());
            return size;
        } finally {
            call(owner, () -> kernels.tasks(owner.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .kill(io.archipelago.task.proto.KillRequest.newBuilder().setTid(tid).setHops(1).build()));
            say(String.format(Locale.ROOT, "%s done", human(bytes)));
        }
    }

    /** The destination's record of the migration, once the thread ran its first step there (at most 5 s). */
    private static Optional<MigrationEvent> awaitFirstStep(KernelChannels kernels, KernelStatus destination, int tid, long stoppedNs) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long pause = TimeUnit.MICROSECONDS.toNanos(200);
        while (System.nanoTime() - deadline < 0) {
            var events = kernels.tasks(destination.getControl()).withDeadlineAfter(10, TimeUnit.SECONDS).schedEvents(SchedEventsRequest
                .newBuilder().setSkipSteps(true).setMigrationsAfterNs(stoppedNs).build());
            for (MigrationEvent event : events.getMigrationsList()) {
                if (event.getTid() == tid && event.getStoppedNs() == stoppedNs) {
                    return Optional.of(event);
                }
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(20));
        }
        return Optional.empty();
    }

    private static <T> T call(KernelStatus kernel, java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new CliException("kernel " + kernel.getName() + " (control " + kernel.getControl() + "): " + e.getStatus().getCode() + ": "
                + e.getStatus().getDescription());
        }
    }

    private static double ratio(double a, double b) {
        return b == 0 ? 0 : Math.round(a / b * 100) / 100.0;
    }

    private static String human(long bytes) {
        return bytes >= 1024 * 1024 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
    }

    private void print(ObjectNode result) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            TaskView.print(result, out);
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "thread migration %s (%s) <-> %s (%s), cluster '%s'%s; %d migrations of each kind per size after %d of "
                + "warm-up, interleaved; stop at the source -> first step at the destination, microseconds:%n",
            result.get("kernel_a").asText(), result.get("kernel_a_data_model").asText(), result.get("kernel_b").asText(),
            result.get("kernel_b_data_model").asText(), result.get("cluster").asText(),
            result.get("temporary_cluster").asBoolean() ? " (temporary)" : "", result.get("migrations_per_kind").asInt(),
            result.get("warmup_per_kind").asInt());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"state", "shm p50", "shm p90", "shm p99", "msg p50", "msg p90", "msg p99", "msg/shm p50", "msg image"});
        for (var size : result.get("sizes")) {
            rows.add(new String[] {human(size.get("bytes").asLong()), fmt(size.get("shm_us").get("p50")), fmt(size.get("shm_us").get("p90")),
                fmt(size.get("shm_us").get("p99")), fmt(size.get("msg_us").get("p50")), fmt(size.get("msg_us").get("p90")),
                fmt(size.get("msg_us").get("p99")), String.format(Locale.ROOT, "%.2f", size.get("msg_over_shm").asDouble()),
                size.get("msg_image_bytes").asLong() + " B"});
        }
        StatusView.printRows(rows, out);
        out.printf(Locale.ROOT, "target msg/shm >= %.1f at 256 KiB: %s%n", TARGET_RATIO_AT_256K,
            result.get("target_met").asBoolean() ? "met" : "NOT met");
        out.flush();
    }

    private static String fmt(com.fasterxml.jackson.databind.JsonNode value) {
        return String.format(Locale.ROOT, "%.1f", value.asDouble());
    }

}
