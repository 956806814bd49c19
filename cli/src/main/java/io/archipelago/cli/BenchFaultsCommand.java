package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.control.proto.ArmFaultRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmTouchRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FaultState;
import io.archipelago.control.proto.FaultsRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.LinkFaultsRequest;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code archipelago bench faults}: a fault campaign over a live cluster, then its invariants checked. */
@Command(name = "faults", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "A fault campaign: DSM counters under link faults of every kind and cut links, then the invariants checked.",
    description = {
        "Boots a temporary cluster (K2's two kernels: strong x86_64 in domain a, weak armv7 in domain b) unless --cluster names a "
            + "running one, and runs rounds, each with faults drawn from --seed (the same seed gives the same rules in the same order):",
        "  link rounds  both kernels increment one shared cell of a software-coherent region with exclusive read-modify-writes, "
            + "as fast as they can for --round-ms (the page ping-pongs between them), while the words between them are dropped, "
            + "duplicated, reordered or delayed (one kind per round, the rates drawn);",
        "  crash rounds the weak kernel is armed to crash (as kill -9) half-way through its next page write-back while both "
            + "increment; the coordinator declares it DEAD, the other recovers the page from global memory and the write-back "
            + "journal, and the campaign restarts it (a cluster it booted itself only): the time from the crash to the restart is a "
            + "recovery time;",
        "  cut rounds   the weak kernel's links are cut, a mailbox round trip must fail, the links are healed, and the time until "
            + "a round trip succeeds again is a recovery time.",
        "Then: lost_updates = increments acknowledged - the cell's final gain, when positive (an increment that failed may or "
            + "may not have happened; an acknowledged one must be there); stuck_waits = waits that did not end within their "
            + "deadline; invariant_violations lists both, and a sum beyond every increment asked. Exit code 1 on any violation.",
        "Not in this campaign yet: stops and crashes at other protocol points (`archipelago faults arm`; FencingIT and "
            + "MigrationFaultIT test them), balloon pressure, migrations and the register history checker."})
final class BenchFaultsCommand extends BenchSuite {

    private static final String REGION = "bench-faults";
    private static final long CELLS = 2;
    private static final String[] LINK_KINDS = {"drop", "duplicate", "reorder", "delay"};

    @Option(names = "--json", description = "Print JSON: {\"faults_injected\": {\"dropped\", \"duplicated\", \"reordered\", \"delayed\", "
        + "\"cut\", \"total\"}, \"invariant_violations\", \"violations\": [...], \"lost_updates\", \"stuck_waits\", \"recovery_ms\": "
        + "{\"p50\", \"p99\", \"count\"}, \"increments_acknowledged\", \"counter_final\", \"workload_errors\", \"rounds\", \"seed\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--seed", paramLabel = "N", description = "The seed every fault is drawn from (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds (default: 42; --quick: 12).")
    Integer rounds;

    @Option(names = "--round-ms", paramLabel = "MS", description = "How long the kernels increment in each link round (default: 4000; --quick: 1500).")
    Integer roundMs;

    @Option(names = "--quick", description = "A CI campaign: 10 rounds, at least 100 faults, a few minutes at most on 2 cores.")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    @Override
    String suite() {
        return "faults";
    }

    @Override
    ObjectNode measure() throws Exception {
        int roundCount = rounds != null ? rounds : quick ? 12 : 42;
        int perRound = roundMs != null ? roundMs : quick ? 1_500 : 4_000;
        if (roundCount < 1 || perRound < 1) {
            throw new CliException("expected --rounds >= 1 and --round-ms >= 1, found " + roundCount + " and " + perRound);
        }
        try (BenchTarget target = measured(clusterOption.target(ClusterConfig.k2Default().withCluster("bench-faults"),
            "software-coherent counters between domains a and b, under faults", this::say))) {
            return campaign(target, roundCount, perRound);
        }
    }

    private ObjectNode campaign(BenchTarget target, int roundCount, int perRound) throws Exception {
        List<KernelStatus> running = runningKernels(target, 2);
        KernelStatus a = running.get(0);
        KernelStatus weak = running.get(1);
        SplittableRandom random = new SplittableRandom(seed);
        long acknowledged = 0;
        long workloadErrors = 0;
        long stuck = 0;
        long cuts = 0;
        long crashes = 0;
        boolean unknownIncrements = false;
        KernelStatus b = weak;
        List<Long> recoveries = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        long start = System.nanoTime();
        try (KernelChannels kernels = new KernelChannels(target.secret(), "bench@" + ProcessHandle.current().pid())) {
            call(a, () -> kernels.dsm(a.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion(REGION).setCount(8).setCreate(true).build()));
            call(weak, () -> kernels.dsm(weak.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion(REGION).build()));
            long initial = sum(kernels, a);
            for (int round = 0; round < roundCount; round++) {
                long roundSeed = random.nextLong();
                if (round % 6 == 5 && target.temporary()) {
                    crashes++;
                    sum(kernels, a); // the page (and every increment acknowledged so far) moves to a, written back whole
                    String crashRound = "round " + round + " (crash)";
                    KernelStatus doomed = b;
                    call(doomed, () -> kernels.faults(doomed.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .arm(ArmFaultRequest.newBuilder().setPoint("dsm.mid-write-back").setAction("crash").build()));
                    List<CompletableFuture<DsmWorkloadReply>> work = touch(kernels, List.of(a, b), perRound);
                    long crashedAt = System.nanoTime();
                    acknowledged += collect(work.get(0), crashRound, violations);
                    try {
                        acknowledged += work.get(1).get(150, TimeUnit.SECONDS).getOperations();
                        violations.add(crashRound + ": " + b.getName() + " armed to crash mid write-back finished its workload alive");
                    } catch (ExecutionException | TimeoutException e) {
                        unknownIncrements = true; // what it did before it died is unknown: not acknowledged, and the sum's bound is off
                    }
                    KernelStatus dead = b;
                    b = restart(target, kernels, dead, crashRound, violations);
                    if (b == null) {
                        stuck++;
                        break;
                    }
                    long recovery = System.nanoTime() - crashedAt;
                    recoveries.add(recovery);
                    say(String.format(Locale.ROOT, "%s: %s crashed at dsm.mid-write-back, restarted and reachable in %.1f ms", crashRound,
                        dead.getName(), recovery / 1e6));
                    continue;
                }
                if (round % 6 == 4) {
                    cuts++;
                    long recovery = cutAndHeal(kernels, a, b);
                    if (recovery < 0) {
                        stuck++;
                        violations.add("round " + round + ": no mailbox round trip from " + a.getName() + " to " + b.getName()
                            + " within 10 s of healing the cut");
                    } else {
                        recoveries.add(recovery);
                    }
                    say(String.format(Locale.ROOT, "round %d: cut %s, healed, recovered in %.1f ms", round, b.getName(), recovery / 1e6));
                    continue;
                }
                String kind = LINK_KINDS[round % 6 % LINK_KINDS.length];
                LinkFaultsRequest.Builder rule = LinkFaultsRequest.newBuilder().setReseed(true).setSeed(roundSeed);
                switch (kind) {
                    case "drop" -> rule.setDrop(0.01 + random.nextDouble() * 0.03);
                    case "duplicate" -> rule.setDuplicate(0.05 + random.nextDouble() * 0.15);
                    case "reorder" -> rule.setReorder(0.05 + random.nextDouble() * 0.15);
                    default -> rule.setDelayMs(1 + random.nextInt(3));
                }
                KernelStatus peer = b;
                call(a, () -> kernels.faults(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .setLinkFaults(rule.setPeer(peer.getId()).build()));
                call(b, () -> kernels.faults(peer.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .setLinkFaults(rule.setPeer(a.getId()).build()));
                for (CompletableFuture<DsmWorkloadReply> w : touch(kernels, List.of(a, b), perRound)) {
                    long done = collect(w, "round " + round + " (" + kind + ")", violations);
                    if (done < 0) {
                        stuck++;
                    } else {
                        acknowledged += done;
                    }
                }
                workloadErrors += failedWorkloads;
                failedWorkloads = 0;
                heal(kernels, List.of(a, b));
                say("round " + round + ": " + kind + " (" + rule.build().toString().replace('\n', ' ').strip() + ")");
            }
            workloadErrors += failedWorkloads;
            long finalSum = sum(kernels, a) - initial;
            long lost = Math.max(0, acknowledged - finalSum);
            if (lost > 0) {
                violations.add(lost + " acknowledged increment(s) lost: " + acknowledged + " acknowledged, the cells gained " + finalSum);
            }
            if (!unknownIncrements && finalSum > acknowledged + workloadErrors) {
                violations.add("the cell gained " + finalSum + ", more than the " + acknowledged + " increments acknowledged and the "
                    + workloadErrors + " that failed (an increment applied twice)");
            }
            long dropped = 0;
            long duplicated = 0;
            long reordered = 0;
            long delayed = 0;
            for (KernelStatus k : List.of(a, b)) {
                // the restarted kernel's counts start again at 0: the words its predecessor met are not in them
                FaultState state = call(k, () -> kernels.faults(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .faults(FaultsRequest.getDefaultInstance()));
                dropped += state.getWordsDropped();
                duplicated += state.getWordsDuplicated();
                reordered += state.getWordsReordered();
                delayed += state.getWordsDelayed();
            }
            ObjectNode root = StatusView.JSON.createObjectNode();
            root.put("cluster", target.status().getCluster()).put("temporary_cluster", target.temporary()).put("seed", seed)
                .put("rounds", roundCount).put("round_ms", perRound);
            ObjectNode injected = root.putObject("faults_injected");
            injected.put("dropped", dropped).put("duplicated", duplicated).put("reordered", reordered).put("delayed", delayed)
                .put("cut", cuts).put("crash", crashes).put("total", dropped + duplicated + reordered + delayed + cuts + crashes);
            root.put("invariant_violations", violations.size());
            ArrayNode listed = root.putArray("violations");
            violations.forEach(listed::add);
            root.put("lost_updates", lost).put("stuck_waits", stuck).put("increments_acknowledged", acknowledged)
                .put("counter_final", finalSum).put("workload_errors", workloadErrors);
            List<Long> sorted = recoveries.stream().sorted().toList();
            root.putObject("recovery_ms").put("p50", percentileMs(sorted, 0.50)).put("p99", percentileMs(sorted, 0.99))
                .put("count", sorted.size());
            root.put("elapsed_s", (System.nanoTime() - start) / 1e9).put("load_average", loadAverage());
            root.putArray("not_covered").add("stops at protocol points").add("crashes at points other than dsm.mid-write-back")
                .add("balloon pressure").add("migrations").add("register history (linearizability) checker");
            return root;
        }
    }

    private long failedWorkloads;

    private List<CompletableFuture<DsmWorkloadReply>> touch(KernelChannels kernels, List<KernelStatus> on, int ms) {
        List<CompletableFuture<DsmWorkloadReply>> work = new ArrayList<>();
        for (KernelStatus k : on) {
            work.add(async(() -> kernels.dsm(k.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                .touch(DsmTouchRequest.newBuilder().setRegion(REGION).setCell(0).setDurationMs(ms).build())));
        }
        return work;
    }

    /** The increments a workload acknowledged (each completed its read-modify-write, even when a later one failed); -1: stuck. */
    private long collect(CompletableFuture<DsmWorkloadReply> work, String round, List<String> violations) {
        try {
            DsmWorkloadReply reply = work.get(150, TimeUnit.SECONDS);
            if (!reply.getError().isEmpty()) {
                failedWorkloads++;
                say(round + ": an increment failed (the workload stopped there): " + reply.getError());
            }
            return reply.getOperations();
        } catch (ExecutionException | TimeoutException | InterruptedException e) {
            violations.add(round + ": an increment workload did not end within its deadline: "
                + (e.getCause() instanceof StatusRuntimeException s ? s.getStatus() : e.toString()));
            return -1;
        }
    }

    /** Waits (bounded) for the crashed kernel to be DEAD, restarts it, opens the region there; null (a violation) when it cannot. */
    private KernelStatus restart(BenchTarget target, KernelChannels kernels, KernelStatus dead, String round, List<String> violations) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (target.status().getKernelsList().stream().noneMatch(k -> k.getId() == dead.getId() && k.getState().equals("DEAD"))) {
            if (System.nanoTime() - deadline > 0) {
                violations.add(round + ": " + dead.getName() + " was not declared DEAD within 60 s of its crash");
                return null;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        target.coordinator().restart(dead.getId(), java.time.Duration.ofSeconds(120));
        KernelStatus again = target.status().getKernelsList().stream().filter(k -> k.getId() == dead.getId()).findFirst()
            .orElseThrow(() -> new CliException(dead.getName() + " vanished from the cluster after its restart"));
        call(again, () -> kernels.dsm(again.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .open(DsmOpenRequest.newBuilder().setRegion(REGION).build()));
        return again;
    }

    /** Cuts {@code b} off, checks a round trip fails, heals, and returns the nanoseconds until one succeeds again (-1: none in 10 s). */
    private long cutAndHeal(KernelChannels kernels, KernelStatus a, KernelStatus b) {
        call(b, () -> kernels.faults(b.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .setLinkFaults(LinkFaultsRequest.newBuilder().setPeer(-1).setDrop(1).build()));
        call(a, () -> kernels.faults(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .setLinkFaults(LinkFaultsRequest.newBuilder().setPeer(b.getId()).setDrop(1).build()));
        if (ping(kernels, a, b)) {
            throw new CliException("kernel " + b.getName() + " answered a round trip through a cut link: the cut did not take");
        }
        heal(kernels, List.of(a, b));
        long healed = System.nanoTime();
        long deadline = healed + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            if (ping(kernels, a, b)) {
                return System.nanoTime() - healed;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return -1;
    }

    private static boolean ping(KernelChannels kernels, KernelStatus from, KernelStatus to) {
        try {
            kernels.mailbox(from.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .ping(MailboxPingRequest.newBuilder().setPeer(to.getId()).setRoundTrips(1).setTimeoutMs(300).build());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    private static void heal(KernelChannels kernels, List<KernelStatus> all) {
        for (KernelStatus k : all) {
            call(k, () -> kernels.faults(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .setLinkFaults(LinkFaultsRequest.newBuilder().setClear(true).setPeer(-1).build()));
        }
    }

    private static long sum(KernelChannels kernels, KernelStatus via) {
        long total = 0;
        for (long cell = 0; cell < CELLS; cell++) {
            long index = cell;
            total += call(via, () -> TypedMemoryControlGrpc.newBlockingStub(kernels.control(via.getControl()).getChannel())
                .withDeadlineAfter(60, TimeUnit.SECONDS).readFields(FieldsRequest.newBuilder().setRegion(REGION)
                    .setView("io.archipelago.kernel.dsm.views.DsmCell").setIndex(index)
                    .addFields(FieldValue.newBuilder().setPath("value")).build())).getFields(0).getInteger();
        }
        return total;
    }

    private static double percentileMs(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int at = (int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1);
        return sorted.get(Math.max(0, at)) / 1e6;
    }

    @Override
    void printTable(ObjectNode f, PrintWriter out) {
        ObjectNode injected = (ObjectNode) f.get("faults_injected");
        out.printf("fault campaign on %s, seed %d, %d rounds, %.1f s (load average %.1f)%n", f.get("cluster").asText(),
            f.get("seed").asLong(), f.get("rounds").asInt(), f.get("elapsed_s").asDouble(), f.get("load_average").asDouble());
        out.printf("faults injected: %d (%d words dropped, %d duplicated, %d reordered, %d delayed; %d cuts)%n",
            injected.get("total").asLong(), injected.get("dropped").asLong(), injected.get("duplicated").asLong(),
            injected.get("reordered").asLong(), injected.get("delayed").asLong(), injected.get("cut").asLong());
        out.printf("increments: %d acknowledged, the cell gained %d (%d failed)%n", f.get("increments_acknowledged").asLong(),
            f.get("counter_final").asLong(), f.get("workload_errors").asLong());
        out.printf("lost updates %d, stuck waits %d, recovery after a cut p50 %.1f ms, p99 %.1f ms%n", f.get("lost_updates").asLong(),
            f.get("stuck_waits").asLong(), f.get("recovery_ms").get("p50").asDouble(), f.get("recovery_ms").get("p99").asDouble());
        out.printf("invariant violations: %d%n", f.get("invariant_violations").asInt());
        f.get("violations").forEach(v -> out.println("  " + v.asText()));
        out.println("not covered yet: " + f.get("not_covered"));
    }

    @Override
    int exitCode(ObjectNode figures) {
        return figures.get("invariant_violations").asInt() > 0 ? 1 : 0;
    }
}
