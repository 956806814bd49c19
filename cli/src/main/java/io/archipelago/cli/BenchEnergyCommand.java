package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.energy.SameWork;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.devices.proto.DeviceConfig;
import io.archipelago.devices.proto.DeviceStatus;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.memory.CounterDescriptor;
import io.archipelago.kernel.energy.PowerModel;
import io.archipelago.task.proto.KillRequest;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.ThreadKind;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench energy}: K2's headline experiment. The same light workload
 * ({@code mail-sync}, one sync per network interrupt) for the same duration, run (a) as a normal
 * thread on the strong island, every interrupt routed to the strong kernel (the system without
 * K2), and (b) as a NightWatch thread on the weak island with K2's interrupt routing; the energy of
 * the whole platform (both kernels, from their energy meters) in each case, per sync, and the
 * ratio, given only when both cases did the same work ({@link SameWork}). The two cases run one
 * after the other at each rate on one cluster, the first alternating from rate to rate.
 */
@Command(name = "energy", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "K2's energy for light OS work: mail-sync on the strong island vs NightWatch threads on the weak island.",
    description = {
        "Boots a temporary cluster (K2's platform: strong island x86_64, 2 cores, power model cortex-a9; weak island armv7, 1 core at "
            + "speed 0.25, power model cortex-m3) unless --cluster names a running one. For each network packet rate:",
        "  strong      a `mail-sync` normal thread on the strong kernel, every NIC interrupt routed to the strong kernel (no K2);",
        "  nightwatch  the same program as a NightWatch thread on the weak kernel, interrupts routed by K2's rule (the sleeping "
            + "strong kernel is not woken).",
        "Each case runs for the same duration of virtual time (= host time: the cores are paced to it); energy = the increase of "
            + "both kernels' energy meters (energy.uj: the island's power model integrated over each core's BUSY/IDLE/asleep time, "
            + "wake-ups and interrupt handlers), scaled to exactly the nominal duration. ratio = strong_mj / nightwatch_mj. K2 reports "
            + "8x-10x for light work on OMAP4; docs/energy.md explains what the model gives and why."})
final class BenchEnergyCommand extends BenchSuite {

    static final double[] RATES = {1, 10, 50, 100};
    static final double[] QUICK_RATES = {10, 50};

    @Option(names = "--json", description = "Print JSON: {\"rates\": [{\"per_s\", \"first\", \"strong_mj\", \"nightwatch_mj\", "
        + "\"strong_uj_per_sync\", \"nightwatch_uj_per_sync\", \"same_work\", \"comparable\", \"ratio\", \"platform_energy_ratio\", "
        + "\"strong\": {per-kernel mJ, syncs, interrupts...}, \"nightwatch\": {...}}], \"comparable\", \"duration_s\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--quick", description = "Two rates, 2 s each (a CI smoke run).")
    boolean quick;

    @Option(names = "--duration-s", paramLabel = "S", description = "Seconds of each case at each rate (default: 6; --quick: 2).")
    Double durationS;

    @Option(names = "--rates", paramLabel = "PER_S", split = ",", description = "Packet rates per second (default: 1,10,50,100; --quick: 10,50).")
    double[] rates;

    @Mixin
    BenchClusterOption where;

    @Override
    String suite() {
        return "energy";
    }

    @Override
    ObjectNode measure() {
        double duration = durationS != null ? durationS : quick ? 2 : 6;
        double[] perS = rates != null ? rates : quick ? QUICK_RATES : RATES;
        if (!(duration >= 0.5 && duration <= 600) || perS.length == 0) {
            throw new CliException("expected --duration-s from 0.5 to 600 and at least one rate; found " + duration + " s and " + perS.length
                + " rate(s)");
        }
        for (double r : perS) {
            if (!(r > 0 && r <= 1000)) {
                throw new CliException("expected rates from 0 (exclusive) to 1000 packets per second, found " + r);
            }
        }
        ClusterConfig config = ClusterConfig.k2Default();
        try (BenchTarget target = measured(where.target(config, "strong cortex-a9 + weak cortex-m3", this::say))) {
            try (ControlClient devices = target.connectControl(); KernelChannels kernels = kernelChannels(target)) {
                return measure(target, devices, kernels, perS, duration);
            }
        }
    }

    @Override
    int exitCode(ObjectNode figures) {
        if (figures.get("comparable").asBoolean()) {
            return 0;
        }
        say("at least one rate is not comparable: the two cases did different work (see not_comparable in the report); no ratio is "
            + "given for it");
        return 1;
    }


    ObjectNode measure(BenchTarget target, ControlClient devices, KernelChannels kernels, double[] perS, double duration) {
        List<KernelStatus> running = target.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING"))
            .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
        double fastest = running.stream().mapToDouble(KernelStatus::getSpeed).max().orElse(0);
        KernelStatus strong = running.stream().filter(k -> k.getSpeed() >= fastest).findFirst()
            .orElseThrow(() -> new CliException("bench energy needs a running kernel"));
        KernelStatus weak = running.stream().filter(k -> k.getSpeed() < fastest).findFirst()
            .orElseThrow(() -> new CliException("bench energy needs a kernel on a weak (slower) island; cluster '"
                + target.status().getCluster() + "' has none"));
        ObjectNode root = newFigures(target);
        root.put("strong_kernel", strong.getName());
        root.put("weak_kernel", weak.getName());
        root.put("duration_s", duration);
        root.put("workload", "mail-sync: wait for NIC irq 1, touch 2 of 4 pages at 20,000 cycles each, yield; one sync per interrupt");
        ObjectNode models = root.putObject("power_models");
        for (IslandConfig island : ClusterConfig.k2Default().islands()) {
            PowerModel m = PowerModel.parse(island.powerModel());
            ObjectNode o = models.putObject(island.name());
            o.put("name", m.name());
            o.put("active_mw", m.activeMw());
            o.put("idle_mw", m.idleMw());
            o.put("sleep_mw", m.sleepMw());
            o.put("wakeup_uj", m.wakeupUj());
            o.put("wakeup_latency_us", m.wakeupLatencyUs());
            o.put("sleep_after_us", m.sleepAfterUs());
            o.put("irq_cycles", m.irqCycles());
        }
        root.put("load_average", loadAverage());
        ArrayNode out = root.putArray("rates");
        boolean allComparable = true;
        try {
            for (int i = 0; i < perS.length; i++) {
                double rate = perS[i];
                // alternate which case runs first, so that neither always meets the cluster as the other left it
                boolean strongFirst = i % 2 == 0;
                ObjectNode first = runCase(target, devices, kernels, strong, weak, !strongFirst, rate, duration);
                ObjectNode second = runCase(target, devices, kernels, strong, weak, strongFirst, rate, duration);
                ObjectNode a = strongFirst ? first : second;
                ObjectNode b = strongFirst ? second : first;
                ObjectNode row = out.addObject();
                row.put("per_s", rate);
                row.put("first", strongFirst ? "strong" : "nightwatch");
                row.put("strong_mj", a.get("platform_mj").asDouble());
                row.put("nightwatch_mj", b.get("platform_mj").asDouble());
                long strongSyncs = a.get("syncs").asLong();
                long nightWatchSyncs = b.get("syncs").asLong();
                SameWork work = new SameWork(strongSyncs, nightWatchSyncs);
                double strongPerSync = SameWork.microjoulesPerSync(a.get("platform_mj").asDouble(), strongSyncs);
                double nightWatchPerSync = SameWork.microjoulesPerSync(b.get("platform_mj").asDouble(), nightWatchSyncs);
                row.put("strong_uj_per_sync", strongPerSync);
                row.put("nightwatch_uj_per_sync", nightWatchPerSync);
                ObjectNode same = row.putObject("same_work");
                same.put("strong_syncs", strongSyncs);
                same.put("nightwatch_syncs", nightWatchSyncs);
                same.put("tolerance_syncs", work.tolerance());
                same.put("tolerance", "max(" + SameWork.TOLERANCE_SYNCS + " syncs, " + Math.round(SameWork.TOLERANCE_FRACTION * 100)
                    + "% of the larger count)");
                same.put("agrees", work.agrees());
                row.put("comparable", work.agrees());
                if (work.agrees()) {
                    row.put("ratio", nightWatchPerSync > 0 ? strongPerSync / nightWatchPerSync : 0);
                    row.put("platform_energy_ratio", b.get("platform_mj").asDouble() > 0
                        ? a.get("platform_mj").asDouble() / b.get("platform_mj").asDouble() : 0);
                } else {
                    allComparable = false;
                    row.putNull("ratio");
                    row.putNull("platform_energy_ratio");
                    row.put("not_comparable", work.disagreement());
                }
                row.set("strong", a);
                row.set("nightwatch", b);
                say(work.agrees()
                    ? String.format(Locale.ROOT, "%.0f packets/s (%s first): strong %.2f mJ for %d syncs, nightwatch %.2f mJ for %d syncs; "
                        + "per sync %.1f uJ against %.1f uJ, ratio %.2f", rate, row.get("first").asText(), row.get("strong_mj").asDouble(),
                        strongSyncs, row.get("nightwatch_mj").asDouble(), nightWatchSyncs, strongPerSync, nightWatchPerSync,
                        row.get("ratio").asDouble())
                    : String.format(Locale.ROOT, "%.0f packets/s: NOT COMPARABLE: %s", rate, work.disagreement()));
            }
        } finally {
            devices.devices(DeviceConfig.newBuilder().setNicRatePerS(0).setRouting("k2").build());
        }
        root.put("k2_reported_ratio", "8x-10x (OMAP4, light OS workloads)");
        root.put("comparable", allComparable);
        // what `bench all` shows in its index: the ratio at each rate (energy per sync, strong over NightWatch)
        ObjectNode headline = root.putObject("headline");
        for (var row : out) {
            String key = String.format(Locale.ROOT, "ratio@%.0f/s", row.get("per_s").asDouble());
            if (row.get("comparable").asBoolean()) {
                headline.put(key, Math.round(row.get("ratio").asDouble() * 100) / 100.0);
            } else {
                headline.put(key, "not comparable");
            }
        }
        return root;
    }

    /** One case at one rate: returns its energies (scaled to {@code duration}), the syncs done and where the interrupts went. */
    private ObjectNode runCase(BenchTarget target, ControlClient devices, KernelChannels kernels, KernelStatus strong, KernelStatus weak,
                               boolean nightWatch, double rate, double duration) {
        String mode = nightWatch ? "nightwatch" : "strong";
        devices.devices(DeviceConfig.newBuilder().setNicRatePerS(0).setRouting(nightWatch ? "k2" : "strong").build());
        KernelStatus home = nightWatch ? weak : strong;
        SpawnReply spawned = call(home, () -> kernels.tasks(home.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).spawn(SpawnRequest
            .newBuilder().setProgram("mail-sync").setThreads(1).setKind(nightWatch ? ThreadKind.NIGHTWATCH : ThreadKind.NORMAL)
            .putArgs("irq", "1").putArgs("sleep-ms", "0").putArgs("period-ms", "600000").putArgs("pages", "4").putArgs("touch", "2")
            .putArgs("cycles", "20000").build()));
        int tid = spawned.getTids(0);
        try {
            // the thread has run its first step and waits for the interrupt; both kernels asleep: the start line is the same for both cases
            await(target, s -> kernel(s, strong.getName()).getAsleep() && kernel(s, weak.getName()).getAsleep()
                && kernel(s, home.getName()).getIrqWaiters(io.archipelago.memory.DeviceMemory.NIC_LINE) >= 1, "thread " + tid + " waiting for irq 1 on " + home.getName()
                + " and both kernels asleep");
            DeviceStatus before = devices.devices(DeviceConfig.newBuilder().setResetCounts(true).build());
            ClusterStatus s0 = target.status();
            long t0 = System.nanoTime();
            devices.devices(DeviceConfig.newBuilder().setNicRatePerS(rate).build());
            long end = t0 + (long) (duration * 1e9);
            while (System.nanoTime() < end) {
                LockSupport.parkNanos(Math.min(end - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100)));
            }
            ClusterStatus s1 = target.status();
            long t1 = System.nanoTime();
            DeviceStatus after = devices.devices(DeviceConfig.newBuilder().setNicRatePerS(0).build());
            double scale = duration * 1e9 / (t1 - t0);
            double strongMj = grown(s0, s1, strong.getName(), KernelCounter.ENERGY_UJ) * scale / 1000;
            double weakMj = grown(s0, s1, weak.getName(), KernelCounter.ENERGY_UJ) * scale / 1000;
            long syncs = syncs(kernels, home, tid);
            ObjectNode o = StatusView.JSON.createObjectNode();
            o.put("mode", mode);
            o.put("thread", tid);
            o.put("on", home.getName());
            o.put("routing", nightWatch ? "k2" : "strong");
            o.put("platform_mj", strongMj + weakMj);
            o.put("strong_kernel_mj", strongMj);
            o.put("weak_kernel_mj", weakMj);
            o.put("measured_s", (t1 - t0) / 1e9);
            o.put("packets", after.getPackets() - before.getPackets());
            o.put("syncs", syncs);
            o.put("strong_interrupts", after.getKernelsList().stream().filter(k -> k.getKernelId() == strong.getId()).mapToLong(k -> k.getNic())
                .sum());
            o.put("weak_interrupts", after.getKernelsList().stream().filter(k -> k.getKernelId() == weak.getId()).mapToLong(k -> k.getNic())
                .sum());
            o.put("strong_wakeups_avoided", after.getStrongWakeupsAvoided());
            o.put("strong_core_wakeups", grown(s0, s1, strong.getName(), KernelCounter.ENERGY_WAKEUPS)
                + grown(s0, s1, strong.getName(), KernelCounter.ENERGY_IRQ_WAKEUPS));
            return o;
        } finally {
            try {
                kernels.tasks(home.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).kill(KillRequest.newBuilder().setTid(tid).build());
            } catch (StatusRuntimeException e) {
                say("could not end thread " + tid + ": " + e.getStatus());
            }
        }
    }

    private static long syncs(KernelChannels kernels, KernelStatus via, int tid) {
        List<TaskInfo> tasks = call(via, () -> kernels.tasks(via.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .listTasks(ListTasksRequest.newBuilder().setAll(true).build())).getTasksList();
        return tasks.stream().filter(t -> t.getTid() == tid).findFirst().map(t -> t.getRegsCount() > 1 ? t.getRegs(1) : 0L).orElse(0L);
    }

    private static void await(BenchTarget target, Predicate<ClusterStatus> condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            ClusterStatus s = target.status();
            if (condition.test(s)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new CliException("bench energy: not " + what + " within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** The kernel's status in {@code status} (an empty one when it is not there: asleep false, no waiters). */
    static KernelStatus kernel(ClusterStatus status, String kernel) {
        return status.getKernelsList().stream().filter(k -> k.getName().equals(kernel)).findFirst()
            .orElse(KernelStatus.newBuilder().addAllIrqWaiters(java.util.Collections.nCopies(io.archipelago.memory.KernelSignals.DEVICE_LINES, 0))
                .build());
    }

    /** How much a kernel's counter grew from one status to a later one. */
    static long grown(ClusterStatus before, ClusterStatus after, String kernel, CounterDescriptor counter) {
        return counter(after, kernel, counter) - counter(before, kernel, counter);
    }

    static long counter(ClusterStatus status, String kernel, CounterDescriptor counter) {
        return counter(status, kernel, counter.label());
    }

    static long counter(ClusterStatus status, String kernel, String label) {
        return status.getKernelsList().stream().filter(k -> k.getName().equals(kernel)).findFirst()
            .flatMap(k -> StatusView.counter(k, label)).orElse(0L);
    }



    @Override
    void printTable(ObjectNode result, PrintWriter out) {
        out.printf(Locale.ROOT, "energy of K2's light workload (mail-sync per NIC interrupt), %.1f s per case, cluster '%s'%s, load average "
                + "%.2f; platform energy (both kernels) in mJ:%n", result.get("duration_s").asDouble(), result.get("cluster").asText(),
            temporaryMark(result), result.get("load_average").asDouble());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"packets/s", "first", "strong mJ", "nightwatch mJ", "syncs (strong/nw)", "strong uJ/sync", "nw uJ/sync",
            "ratio per sync", "strong wake-ups (strong/nw)", "wake-ups avoided"});
        for (JsonNode r : result.get("rates")) {
            JsonNode a = r.get("strong");
            JsonNode b = r.get("nightwatch");
            rows.add(new String[] {String.format(Locale.ROOT, "%.0f", r.get("per_s").asDouble()), r.get("first").asText(),
                fmt2(r.get("strong_mj").asDouble()), fmt2(r.get("nightwatch_mj").asDouble()),
                a.get("syncs").asLong() + "/" + b.get("syncs").asLong(),
                fmt(r.get("strong_uj_per_sync").asDouble()),
                fmt(r.get("nightwatch_uj_per_sync").asDouble()),
                r.get("comparable").asBoolean() ? String.format(Locale.ROOT, "%.2fx", r.get("ratio").asDouble()) : "NOT COMPARABLE",
                a.get("strong_core_wakeups").asLong() + "/" + b.get("strong_core_wakeups").asLong(),
                Long.toString(b.get("strong_wakeups_avoided").asLong())});
        }
        StatusView.printRows(rows, out);
        for (JsonNode r : result.get("rates")) {
            if (!r.get("comparable").asBoolean()) {
                out.printf(Locale.ROOT, "%.0f packets/s: no ratio: %s%n", r.get("per_s").asDouble(), r.get("not_comparable").asText());
            }
        }
        out.printf(Locale.ROOT, "ratio = strong energy per sync / NightWatch energy per sync; the two cases' syncs must agree within max(%d, "
            + "%.0f%%)%n", SameWork.TOLERANCE_SYNCS, SameWork.TOLERANCE_FRACTION * 100);
        out.println("K2 reports " + result.get("k2_reported_ratio").asText() + "; see docs/energy.md for the model's assumptions.");
        out.flush();
    }
}
