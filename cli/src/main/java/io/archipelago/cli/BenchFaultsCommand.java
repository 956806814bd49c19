package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.faults.RegisterHistory;
import io.archipelago.bench.faults.RegisterLinearizability;
import io.archipelago.bench.faults.ThreadCensus;
import io.archipelago.bench.faults.Violations;
import io.archipelago.bench.faults.Violations.Invariant;
import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.ArmFaultRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmOperation;
import io.archipelago.control.proto.DsmRegisterReply;
import io.archipelago.control.proto.DsmRegisterRequest;
import io.archipelago.control.proto.DsmTouchRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FaultState;
import io.archipelago.control.proto.FaultsRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.InflateReply;
import io.archipelago.control.proto.InflateRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.LinkFaultsRequest;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.balloon.BlockInvariantScan;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.KillRequest;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.ThreadKind;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code archipelago bench faults}: a fault campaign over a live cluster, then its invariants checked after every round. */
@Command(name = "faults", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "A fault campaign: DSM workloads, migrations and balloon pressure under link faults, cuts, crashes and stops at protocol "
        + "points, with the invariants checked after every round.",
    description = {
        "Boots a temporary cluster (K2's two kernels: strong x86_64 in domain a, weak armv7 in domain b) unless --cluster names a "
            + "running one, and runs rounds in a fixed cycle, each with faults drawn from --seed (the same seed gives the same rules "
            + "in the same order):",
        "  link rounds   the words between the kernels are dropped, duplicated, reordered or delayed (one kind per round, the rates "
            + "drawn) while both kernels either increment one shared cell of a software-coherent region (the page ping-pongs) or run "
            + "a register workload on another cell (unique writes and reads, timed); some also migrate a thread between the kernels "
            + "(by shared memory, then by messages) or put the weak kernel's allocator under balloon pressure (it allocates more "
            + "pages than its blocks hold, then frees them);",
        "  cut rounds    the weak kernel's links are cut, a mailbox round trip must fail, the links are healed, and the time until "
            + "a round trip succeeds again is a recovery time;",
        "  crash rounds  the weak kernel is armed to crash (as kill -9) at a protocol point: dsm.before-write-back, "
            + "dsm.mid-write-back, dsm.after-directory-cas (while both increment), balloon.mid-inflate (asked to give two blocks "
            + "back), balloon.mid-page-move (its free blocks each hold 32 movable pages, and it is asked to give one block back: it "
            + "must move them), migration.marked (a thread it runs is migrated away); the coordinator declares it DEAD, the survivor recovers, "
            + "and the campaign restarts it: the time from the crash to the restart is a recovery time;",
        "  stop rounds   the weak kernel stops itself (SIGSTOP) before a write-back, or mid page move; a short stop is continued before the "
            + "coordinator's dead-after (the kernel must carry on, nothing lost), a long one is not: the kernel is declared DEAD and "
            + "must be fenced (its process killed), then it is restarted.",
        "Crash and stop rounds need a cluster the campaign booted (they become link rounds on a running cluster). After every "
            + "round the invariants are checked: no acknowledged update lost (increments acknowledged <= the cell's gain, and no "
            + "increment applied twice); the register's history is linearizable (a failed write that others read counts as "
            + "pending); no block owned twice (the ownership table against every kernel's allocator); no thread lost (every thread "
            + "started is alive on a live kernel or EXITED with 0, 137 or 143); every wait ended within its deadline; a kernel "
            + "declared DEAD has no process left. Exit code 1 on any violation, each named with its invariant and round."})
final class BenchFaultsCommand extends BenchSuite {

    private static final String REGION = "bench-faults";
    private static final long CELLS = 2;
    /** Cells 2..: one fresh register per register round (then they are reused, read first). */
    private static final long REGISTER_CELLS = 14;
    private static final String[] LINK_KINDS = {"drop", "duplicate", "reorder", "delay"};
    private static final Set<String> ALIVE_STATES = Set.of("RUNNING", "READY", "BLOCKED", "NEW");

    /** One step of the campaign's cycle. */
    private record Step(String kind, String detail, boolean register, boolean migrate, boolean balloon) {
        static Step link(String fault, boolean register, boolean migrate, boolean balloon) {
            return new Step("link", fault, register, migrate, balloon);
        }

        static Step of(String kind, String point) {
            return new Step(kind, point, false, false, false);
        }

        boolean needsRestartableKernel() {
            return kind.equals("crash") || kind.equals("stop-long") || kind.equals("stop-short");
        }
    }

    /** The cycle: every kind of fault once, link rounds between the heavier ones. */
    private static final List<Step> CYCLE = List.of(
        Step.link("delay", false, true, false),
        Step.link("duplicate", true, false, false),
        Step.of("crash", "dsm.mid-write-back"),
        Step.link("reorder", false, true, true),
        Step.of("cut", ""),
        Step.of("crash", "dsm.before-write-back"),
        Step.link("reorder", true, false, false),
        Step.of("crash", "balloon.mid-inflate"),
        Step.of("stop-short", "dsm.before-write-back"),
        Step.of("crash", "dsm.after-directory-cas"),
        Step.link("duplicate", false, false, true),
        Step.of("crash", "migration.marked"),
        Step.of("stop-long", "dsm.before-write-back"),
        Step.of("crash", "balloon.mid-page-move"),
        Step.link("delay", true, false, false),
        Step.of("stop-short", "balloon.mid-page-move"),
        Step.link("drop", false, false, false));

    @Option(names = "--json", description = "Print JSON: {\"faults_injected\": {\"dropped\", \"duplicated\", \"reordered\", \"delayed\", "
        + "\"cut\", \"crash\", \"stop\", \"total\", \"by_point\": {...}}, \"invariant_violations\": {\"no_acknowledged_update_lost\", "
        + "\"register_linearizable\", \"no_block_owned_twice\", \"no_thread_lost\", \"waits_within_deadline\", \"dead_kernels_fenced\", "
        + "\"total\"}, \"violations\": [...], \"lost_updates\", \"stuck_waits\", \"recovery_ms\": {\"p50\", \"p99\", \"count\"}, "
        + "\"increments_acknowledged\", \"counter_final\", \"register_operations\", \"migrations\", \"balloon\", \"rounds\", \"seed\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--seed", paramLabel = "N", description = "The seed every fault is drawn from (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds (default: 42; --quick: 17, the cycle once: every kind of fault).")
    Integer rounds;

    @Option(names = "--round-ms", paramLabel = "MS", description = "How long the kernels work in each round (default: 4000; --quick: 1200).")
    Integer roundMs;

    @Option(names = "--quick", description = "A CI campaign: every kind of fault at least once, at least 100 faults, about 2 minutes on 2 cores.")
    boolean quick;

    @Mixin
    BenchClusterOption clusterOption = new BenchClusterOption();

    @Override
    String suite() {
        return "faults";
    }

    @Override
    ObjectNode measure() throws Exception {
        int roundCount = rounds != null ? rounds : quick ? CYCLE.size() : 42;
        int perRound = roundMs != null ? roundMs : quick ? 1_200 : 4_000;
        if (roundCount < 1 || perRound < 1) {
            throw new CliException("expected --rounds >= 1 and --round-ms >= 1, found " + roundCount + " and " + perRound);
        }
        try (BenchTarget target = measured(clusterOption.target(ClusterConfig.k2Default().withCluster("bench-faults"),
            "software-coherent counters between domains a and b, under faults", this::say))) {
            return new Campaign(target, roundCount, perRound).run();
        }
    }

    /** One campaign's state: the kernels, what was acknowledged, injected and violated. */
    private final class Campaign {
        private final BenchTarget target;
        private final int roundCount;
        private final int perRound;
        private final SplittableRandom random = new SplittableRandom(seed);
        private final Violations violations = new Violations();
        private final List<Long> recoveries = new ArrayList<>();
        private final Map<String, Long> injected = new LinkedHashMap<>();
        private final Map<String, Long> byPoint = new TreeMap<>();
        private final ThreadCensus census = new ThreadCensus();
        private final Map<String, Long> wordFaults = new LinkedHashMap<>();
        private final Map<String, Long> migrations = new LinkedHashMap<>();
        private final Map<String, Long> balloon = new LinkedHashMap<>();
        private final List<String> notChecked = new ArrayList<>();
        private KernelChannels kernels;
        private KernelStatus a;
        private KernelStatus b;
        private long acknowledged;
        private long workloadErrors;
        private long stuck;
        private long registerOperations;
        private long registerRounds;
        private boolean unknownIncrements;
        private int probeTid = -1;
        private String round = "";

        Campaign(BenchTarget target, int roundCount, int perRound) {
            this.target = target;
            this.roundCount = roundCount;
            this.perRound = perRound;
            for (String kind : List.of("cut", "crash", "stop")) {
                injected.put(kind, 0L);
            }
            for (String kind : List.of("shared_memory", "messages", "failed")) {
                migrations.put(kind, 0L);
            }
            for (String kind : List.of("pressure_rounds", "pages_allocated", "allocation_failures", "corrupt_allocations")) {
                balloon.put(kind, 0L);
            }
        }

        ObjectNode run() {
            List<KernelStatus> running = runningKernels(target, 2);
            a = running.get(0);
            b = running.get(1);
            long start = System.nanoTime();
            try (KernelChannels channels = kernelChannels(target)) {
                kernels = channels;
                openRegion(kernels, List.of(a, b), REGION, CELLS + REGISTER_CELLS);
                long initial = sum();
                if (!target.temporary()) {
                    notChecked.add("crash and stop rounds (they need a cluster the campaign booted, to restart the kernel): link rounds instead");
                    notChecked.add("no block owned twice (it reads the coordinator's memory: a cluster the campaign booted only)");
                }
                for (int r = 0; r < roundCount; r++) {
                    Step step = CYCLE.get(r % CYCLE.size());
                    long roundSeed = random.nextLong();
                    if (step.needsRestartableKernel() && !target.temporary()) {
                        step = Step.link(LINK_KINDS[r % LINK_KINDS.length], r % 2 == 1, false, false);
                    }
                    round = "round " + r + " (" + step.kind() + (step.detail().isEmpty() ? "" : " " + step.detail()) + ")";
                    boolean carryOn = switch (step.kind()) {
                        case "link" -> linkRound(step, roundSeed);
                        case "cut" -> cutRound();
                        case "crash" -> crashRound(step.detail());
                        case "stop-short", "stop-long" -> stopRound(step.detail(), step.kind().equals("stop-long"));
                        default -> throw new IllegalStateException(step.kind());
                    };
                    if (!carryOn) {
                        break;
                    }
                    checkAfterRound();
                }
                long finalSum = sum() - initial;
                long lost = Math.max(0, acknowledged - finalSum);
                round = "the end";
                if (lost > 0) {
                    violations.add(Invariant.NO_ACKNOWLEDGED_UPDATE_LOST, lost + " acknowledged increment(s) lost: " + acknowledged
                        + " acknowledged, the cells gained " + finalSum);
                }
                if (!unknownIncrements && finalSum > acknowledged + workloadErrors) {
                    violations.add(Invariant.NO_ACKNOWLEDGED_UPDATE_LOST, "the cells gained " + finalSum + ", more than the " + acknowledged
                        + " increments acknowledged and the " + workloadErrors + " that failed (an increment applied twice)");
                }
                return report(finalSum, lost, start, roundCount);
            } finally {
                kernels = null;
            }
        }

        // ---------------------------------------------------------------------------------------------- link rounds

        private boolean linkRound(Step step, long roundSeed) {
            String kind = step.detail();
            LinkFaultsRequest.Builder rule = LinkFaultsRequest.newBuilder().setReseed(true).setSeed(roundSeed);
            switch (kind) {
                case "drop" -> rule.setDrop(0.01 + random.nextDouble() * 0.03);
                case "duplicate" -> rule.setDuplicate(0.1 + random.nextDouble() * 0.2);
                case "reorder" -> rule.setReorder(0.1 + random.nextDouble() * 0.2);
                default -> rule.setDelayMs(1 + random.nextInt(3));
            }
            KernelStatus peer = b;
            Map<String, Long> before = wordsFaulted();
            call(a, () -> kernels.faults(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).setLinkFaults(rule.setPeer(peer.getId()).build()));
            call(b, () -> kernels.faults(peer.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).setLinkFaults(rule.setPeer(a.getId()).build()));
            CompletableFuture<String> sideWork = step.migrate() ? async(this::migrateThereAndBack)
                : step.balloon() ? async(this::balloonPressure) : CompletableFuture.completedFuture("");
            if (step.register()) {
                registerRound();
            } else {
                for (CompletableFuture<DsmWorkloadReply> w : touch(List.of(a, b))) {
                    long done = collect(w);
                    if (done >= 0) {
                        acknowledged += done;
                    }
                }
            }
            String side = awaitWait(sideWork, 180, "the round's " + (step.migrate() ? "migrations" : "balloon pressure"));
            heal(List.of(a, b));
            // counted per round, while both kernels live: a kernel restarted later counts from 0 again
            wordsFaulted().forEach((what, count) -> wordFaults.merge(what, count - before.getOrDefault(what, 0L), Long::sum));
            say(round + ": " + rule.build().toString().replace('\n', ' ').strip() + (side == null || side.isEmpty() ? "" : "; " + side));
            return true;
        }

        /** Both kernels run the register workload on a cell at once; the history must be linearizable. */
        private void registerRound() {
            long cell = CELLS + registerRounds++ % REGISTER_CELLS;
            long initialValue = read(cell);
            long startAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            int operations = Math.max(20, Math.min(120, perRound / 20));
            List<KernelStatus> both = List.of(a, b);
            List<CompletableFuture<DsmRegisterReply>> runs = new ArrayList<>();
            for (KernelStatus k : both) {
                runs.add(async(() -> dsm(kernels, k).withDeadlineAfter(120, TimeUnit.SECONDS).register(DsmRegisterRequest.newBuilder()
                    .setRegion(REGION).setCell(cell).setThreads(2).setOperations(operations).setWritePercent(50).setStartAtNs(startAt).build())));
            }
            RegisterHistory history = new RegisterHistory();
            for (int i = 0; i < runs.size(); i++) {
                KernelStatus k = both.get(i);
                DsmRegisterReply reply;
                try {
                    reply = runs.get(i).get(150, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException | InterruptedException e) {
                    stuck++;
                    violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": " + k.getName() + "'s register workload did not end within 150 s: "
                        + describe(e));
                    return;
                }
                if (!reply.getError().isEmpty()) {
                    workloadErrors++;
                    say(round + ": a register operation on " + k.getName() + " failed (its thread stopped there): " + reply.getError());
                }
                List<RegisterLinearizability.Operation> ops = new ArrayList<>();
                for (DsmOperation op : reply.getOperationsList()) {
                    ops.add(new RegisterLinearizability.Operation(op.getProcess(), op.getWrite(), op.getValue(), op.getInvokedNs(), op.getCompletedNs()));
                }
                history.add(k.getId(), ops, !reply.getError().isEmpty());
            }
            registerOperations += history.size();
            history.check(initialValue).ifPresent(why -> violations.add(Invariant.REGISTER_LINEARIZABLE, round + ", cell " + cell + ", "
                + history.size() + " operations: " + why));
        }

        /** Spawns the probe thread on a once; migrates it to b and back, by shared memory one way and by messages the other. */
        private String migrateThereAndBack() {
            if (probeTid < 0) {
                probeTid = call(a, () -> kernels.tasks(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).spawn(SpawnRequest.newBuilder()
                    .setProgram("counter").setThreads(1).setKind(ThreadKind.NORMAL).putArgs("cycles", "100000").build())).getTids(0);
                census.started(probeTid, "the migrating probe, started on " + a.getName());
            }
            List<String> done = new ArrayList<>();
            for (MigrationMode mode : List.of(MigrationMode.SHARED_MEMORY, MigrationMode.MESSAGES)) {
                Optional<TaskInfo> task = tasks(a).stream().filter(t -> t.getTid() == probeTid).findFirst();
                if (task.isEmpty() || !ALIVE_STATES.contains(task.get().getState())) {
                    return "the probe thread " + probeTid + " is not alive (" + task.map(TaskInfo::getState).orElse("not in the table") + ")";
                }
                KernelStatus to = task.get().getKernelId() == a.getId() ? b : a;
                String key = mode == MigrationMode.MESSAGES ? "messages" : "shared_memory";
                try {
                    kernels.tasks(a.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS).migrate(MigrateRequest.newBuilder().setTid(probeTid)
                        .setToId(to.getId()).setHops(3).setMode(mode).build());
                    migrations.merge(key, 1L, Long::sum);
                    done.add(key + " to " + to.getName());
                } catch (StatusRuntimeException e) {
                    // a migration may fail under faults (a peer that did not answer in time); the thread must not be lost for it
                    migrations.merge("failed", 1L, Long::sum);
                    done.add(key + " to " + to.getName() + " failed: " + e.getStatus().getCode());
                }
            }
            return "probe thread " + probeTid + " migrated " + String.join(", ", done);
        }

        /** The weak kernel allocates a block's worth of pages more than it has free (the manager must find it blocks), then frees them. */
        private String balloonPressure() {
            balloon.merge("pressure_rounds", 1L, Long::sum);
            long free = call(b, () -> kernels.memory(b.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .memoryInfo(MemoryInfoRequest.getDefaultInstance())).getFreePages();
            int runs = (int) (free / 64 + 16); // 1024 pages more than it has free: the manager must find it blocks
            AllocatePagesReply reply = call(b, () -> kernels.memory(b.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                .allocatePages(AllocatePagesRequest.newBuilder().setPages(64).setCount(runs).build()));
            long pages = reply.getAllocationsList().stream().mapToLong(p -> p.getPages()).sum();
            balloon.merge("pages_allocated", pages, Long::sum);
            if (!reply.getOutOfMemory().isEmpty()) {
                balloon.merge("allocation_failures", 1L, Long::sum);
            }
            verifyAndFreeAll(b, "changed under it (a block used by two kernels?)");
            return b.getName() + " allocated " + pages + " pages (" + free + " were free)" + (reply.getOutOfMemory().isEmpty() ? ""
                : ", then ran out: " + reply.getOutOfMemory()) + ", and freed them";
        }

        // ---------------------------------------------------------------------------------------------- page moves

        /**
         * Leaves 32 movable pages (each with its pattern) in every block of {@code k} that holds nothing else, and no block
         * of it wholly free: a block it gives back must then be emptied by moving pages (at most {@code migrate-max-pages}).
         * It fills its free pages with 32-page allocations, then frees all but the first in each such block; again while
         * blocks the manager brought meanwhile (its free pages ran low) left some wholly free.
         */
        private String scatterMovablePages(KernelStatus k) {
            long blockSize = target.status().getMemory().getBlockSize();
            var info = memoryInfo(k);
            for (int pass = 0; pass < 5 && info.getBlockUseList().stream().anyMatch(use -> use.getUsedPages() == 0); pass++) {
                Set<Integer> busy = new java.util.HashSet<>();
                info.getBlockUseList().stream().filter(use -> use.getUsedPages() > 0).forEach(use -> busy.add(use.getBlock()));
                int chunks = 0;
                for (int order = 5; order < info.getFreeChunksCount(); order++) {
                    chunks += info.getFreeChunks(order) << (order - 5);
                }
                int fill = chunks;
                AllocatePagesReply filled = call(k, () -> kernels.memory(k.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                    .allocatePages(AllocatePagesRequest.newBuilder().setPages(32).setCount(fill).build()));
                Set<Integer> kept = new java.util.HashSet<>();
                List<Long> toFree = new ArrayList<>();
                for (var allocation : filled.getAllocationsList()) {
                    int block = (int) (allocation.getOffset() / blockSize);
                    if (busy.contains(block) || !kept.add(block)) {
                        toFree.add(allocation.getHandle());
                    }
                }
                call(k, () -> kernels.memory(k.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .freePages(FreePagesRequest.newBuilder().addAllHandles(toFree).build()));
                balloon.merge("pages_allocated", 32L * filled.getAllocationsCount(), Long::sum);
                info = memoryInfo(k);
            }
            long scattered = info.getBlockUseList().stream().filter(use -> use.getUsedPages() == 32 && use.getMovablePages() == 32).count();
            long whollyFree = info.getBlockUseList().stream().filter(use -> use.getUsedPages() == 0).count();
            return k.getName() + " keeps 32 movable pages in each of " + scattered + " blocks, " + whollyFree + " wholly free"
                + (whollyFree > 0 ? " (a block given back may need no move)" : ": a block given back must be emptied by moving them");
        }

        private io.archipelago.control.proto.KernelMemoryInfo memoryInfo(KernelStatus k) {
            return call(k, () -> kernels.memory(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .memoryInfo(MemoryInfoRequest.getDefaultInstance()));
        }

        /** Asks {@code k}'s balloon for one block, as the manager does: with no wholly free block, it must move pages. */
        private CompletableFuture<InflateReply> giveOneBlockBack(KernelStatus k) {
            return async(() -> kernels.memory(k.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .inflate(InflateRequest.newBuilder().setBlocks(1).build()));
        }

        /**
         * After a move that went on (a short stop): the block was given back, every movable allocation of {@code k} still
         * holds its pattern (the moved ones at their new home), and then they are freed.
         */
        private String checkMovedPages(KernelStatus k, CompletableFuture<InflateReply> giveBack) {
            String given;
            try {
                given = "gave back block(s) " + giveBack.get(90, TimeUnit.SECONDS).getReleasedList();
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                stuck++;
                violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": " + k.getName() + " did not give a block back within 90 s: "
                    + describe(e));
                given = "gave no block back";
            }
            return given + ", " + verifyAndFreeAll(k, "changed by the page move") + " movable allocations intact";
        }

        /**
         * Checks every movable allocation of {@code k} against its pattern (a changed one is a violation: {@code how} it
         * changed), then frees them all; returns how many there were.
         */
        private int verifyAndFreeAll(KernelStatus k, String how) {
            var verified = call(k, () -> kernels.memory(k.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS)
                .verifyPages(io.archipelago.control.proto.VerifyPagesRequest.getDefaultInstance()));
            if (verified.getCorruptCount() > 0) {
                balloon.merge("corrupt_allocations", (long) verified.getCorruptCount(), Long::sum);
                violations.add(Invariant.NO_BLOCK_OWNED_TWICE, round + ": " + verified.getCorruptCount() + " of " + k.getName()
                    + "'s allocations " + how + ": " + verified.getCorrupt(0));
            }
            call(k, () -> kernels.memory(k.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                .freePages(FreePagesRequest.newBuilder().setAll(true).build()));
            return verified.getAllocations();
        }

        // ---------------------------------------------------------------------------------------------- cuts

        private boolean cutRound() {
            injected.merge("cut", 1L, Long::sum);
            long recovery = cutAndHeal();
            if (recovery < 0) {
                stuck++;
                violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": no mailbox round trip from " + a.getName() + " to " + b.getName()
                    + " within 10 s of healing the cut");
            } else {
                recoveries.add(recovery);
            }
            say(String.format(Locale.ROOT, "%s: cut %s, healed, recovered in %.1f ms", round, b.getName(), recovery / 1e6));
            return true;
        }

        /** Cuts {@code b} off, checks a round trip fails, heals, and returns the nanoseconds until one succeeds again (-1: none in 10 s). */
        private long cutAndHeal() {
            call(b, () -> kernels.faults(b.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .setLinkFaults(LinkFaultsRequest.newBuilder().setPeer(-1).setDrop(1).build()));
            call(a, () -> kernels.faults(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .setLinkFaults(LinkFaultsRequest.newBuilder().setPeer(b.getId()).setDrop(1).build()));
            if (ping(a, b)) {
                throw new CliException("kernel " + b.getName() + " answered a round trip through a cut link: the cut did not take");
            }
            heal(List.of(a, b));
            long healed = System.nanoTime();
            long deadline = healed + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() - deadline < 0) {
                if (ping(a, b)) {
                    return System.nanoTime() - healed;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            return -1;
        }

        // ---------------------------------------------------------------------------------------------- crashes and stops

        private void arm(KernelStatus k, String point, String action) {
            call(k, () -> kernels.faults(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .arm(ArmFaultRequest.newBuilder().setPoint(point).setAction(action).build()));
        }

        /** The weak kernel crashes at {@code point}; false when the campaign cannot go on (it could not be restarted). */
        private boolean crashRound(String point) {
            sum(); // the page (and every increment acknowledged so far) moves to a, written back whole
            KernelStatus doomed = b;
            int migrating = -1;
            if (point.equals("migration.marked")) {
                migrating = threadOnB();
            }
            if (point.equals("balloon.mid-page-move")) {
                say(round + ": " + scatterMovablePages(doomed));
            }
            arm(doomed, point, "crash");
            long armedAt = System.nanoTime();
            List<CompletableFuture<DsmWorkloadReply>> work = touch(List.of(a, doomed));
            CompletableFuture<?> trigger = switch (point) {
                case "balloon.mid-inflate" -> async(() -> kernels.memory(doomed.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .inflate(InflateRequest.newBuilder().setBlocks(2).build()));
                case "balloon.mid-page-move" -> giveOneBlockBack(doomed);
                case "migration.marked" -> {
                    int tid = migrating;
                    yield async(() -> kernels.tasks(doomed.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS).migrate(MigrateRequest
                        .newBuilder().setTid(tid).setToId(a.getId()).setHops(1).setMode(MigrationMode.SHARED_MEMORY).build()));
                }
                default -> CompletableFuture.completedFuture(null);
            };
            long done = collect(work.get(0));
            if (done >= 0) {
                acknowledged += done;
            }
            boolean died = false;
            try {
                acknowledged += work.get(1).get(150, TimeUnit.SECONDS).getOperations();
                trigger.get(90, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                died = true;
            } catch (TimeoutException | InterruptedException e) {
                stuck++;
                violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": a call to " + doomed.getName() + " armed to crash did not end "
                    + "within its deadline: " + describe(e));
                died = true;
            }
            // what it did before it died is unknown: not acknowledged, and the sum's upper bound is off
            unknownIncrements |= died || !work.get(1).isDone();
            if (!died && processAlive(doomed)) {
                say(round + ": the fault at " + point + " did not fire (" + doomed.getName() + " never reached it); disarmed");
                arm(doomed, point, "disarm");
                return true;
            }
            injected.merge("crash", 1L, Long::sum);
            byPoint.merge("crash " + point, 1L, Long::sum);
            return recover(doomed, armedAt, "crashed at " + point);
        }

        /** The weak kernel stops itself at {@code point}; continued before DEAD (short) or after (long: then fenced and restarted). */
        private boolean stopRound(String point, boolean beyondDeadAfter) {
            sum();
            KernelStatus stopped = b;
            boolean pageMove = point.equals("balloon.mid-page-move");
            if (pageMove) {
                say(round + ": " + scatterMovablePages(stopped));
            }
            arm(stopped, point, "stop");
            long armedAt = System.nanoTime();
            List<CompletableFuture<DsmWorkloadReply>> work = touch(List.of(a, stopped));
            CompletableFuture<InflateReply> trigger = pageMove ? giveOneBlockBack(stopped) : CompletableFuture.completedFuture(null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!processStopped(stopped.getPid())) {
                if (System.nanoTime() - deadline > 0 || (pageMove ? trigger.isDone() : work.get(1).isDone())) {
                    say(round + ": " + stopped.getName() + " never reached " + point + " (not stopped); disarmed");
                    arm(stopped, point, "disarm");
                    work.forEach(w -> {
                        long n = collect(w);
                        acknowledged += Math.max(0, n);
                    });
                    if (pageMove) {
                        checkMovedPages(stopped, trigger);
                    }
                    return true;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            long stoppedAt = System.nanoTime();
            injected.merge("stop", 1L, Long::sum);
            byPoint.merge((beyondDeadAfter ? "long stop " : "short stop ") + point, 1L, Long::sum);
            long deadAfterMs = target.coordinator().config().deadAfter().toMillis();
            if (!beyondDeadAfter) {
                // the stop is the fault: a quarter of dead-after, so that the coordinator must not declare the kernel DEAD for it
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(deadAfterMs / 4));
                signal(stopped.getPid(), "CONT");
                long stoppedMs = (System.nanoTime() - stoppedAt) / 1_000_000;
                for (CompletableFuture<DsmWorkloadReply> w : work) {
                    long n = collect(w);
                    acknowledged += Math.max(0, n);
                }
                if (state(stopped).equals("RUNNING")) {
                    String moved = pageMove ? "; " + checkMovedPages(stopped, trigger) : "";
                    say(String.format(Locale.ROOT, "%s: %s stopped at %s for %d ms, continued, carried on%s", round, stopped.getName(), point,
                        stoppedMs, moved));
                    return true;
                }
                // the loaded host made even a short stop look like death: then it is fenced and restarted like a long one
                say(round + ": " + stopped.getName() + " was declared DEAD after a stop of dead-after / 4 (a loaded host): fenced, restarted");
                unknownIncrements = true;
                return recover(stopped, armedAt, "stopped briefly at " + point);
            }
            long acknowledgedByA = collect(work.get(0));
            acknowledged += Math.max(0, acknowledgedByA);
            if (!awaitState(stopped, "DEAD", 60)) {
                signal(stopped.getPid(), "CONT");
                return false;
            }
            signal(stopped.getPid(), "CONT"); // too late: the coordinator fenced it (killed it) before declaring it DEAD
            try {
                acknowledged += work.get(1).get(150, TimeUnit.SECONDS).getOperations();
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                unknownIncrements = true;
            }
            return recover(stopped, armedAt, "stopped at " + point + " beyond dead-after");
        }

        /** The dead weak kernel: DEAD within a deadline, fenced, its threads reaped; then restarted. False: the campaign cannot go on. */
        private boolean recover(KernelStatus dead, long faultAt, String what) {
            if (!awaitState(dead, "DEAD", 60)) {
                return false;
            }
            long fenceDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (processAlive(dead)) {
                if (System.nanoTime() - fenceDeadline > 0) {
                    violations.add(Invariant.DEAD_KERNELS_FENCED, round + ": " + dead.getName() + " (pid " + dead.getPid()
                        + ") still runs 10 s after it was declared DEAD");
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            // before the id lives again: every thread it ran is reaped (EXITED 137) by the survivor
            checkThreads(Set.of(a.getId()), 30);
            target.coordinator().restart(dead.getId(), java.time.Duration.ofSeconds(120));
            KernelStatus again = target.status().getKernelsList().stream().filter(k -> k.getId() == dead.getId()).findFirst()
                .orElseThrow(() -> new CliException(dead.getName() + " vanished from the cluster after its restart"));
            call(again, () -> dsm(kernels, again).withDeadlineAfter(60, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion(REGION).build()));
            b = again;
            long recovery = System.nanoTime() - faultAt;
            recoveries.add(recovery);
            say(String.format(Locale.ROOT, "%s: %s %s, declared DEAD, fenced, restarted and reachable %.1f ms after the fault was armed",
                round, dead.getName(), what, recovery / 1e6));
            return true;
        }

        /** A thread on the weak kernel for a migration to crash; seen by a first, so that its descriptor is in global memory. */
        private int threadOnB() {
            int tid = call(b, () -> kernels.tasks(b.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).spawn(SpawnRequest.newBuilder()
                .setProgram("counter").setThreads(1).setKind(ThreadKind.NORMAL).putArgs("cycles", "100000").build())).getTids(0);
            census.started(tid, "started on " + b.getName() + " to be migrated when it crashes");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (tasks(a).stream().noneMatch(t -> t.getTid() == tid && t.getSteps() > 2)) {
                if (System.nanoTime() - deadline > 0) {
                    violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": thread " + tid + " spawned on " + b.getName()
                        + " made no steps seen from " + a.getName() + " within 30 s");
                    break;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            return tid;
        }

        private boolean awaitState(KernelStatus k, String wanted, int seconds) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!state(k).equals(wanted)) {
                if (System.nanoTime() - deadline > 0) {
                    stuck++;
                    violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": " + k.getName() + " was not " + wanted + " within " + seconds
                        + " s (it is " + state(k) + ")");
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            return true;
        }

        private String state(KernelStatus k) {
            return target.status().getKernelsList().stream().filter(s -> s.getId() == k.getId()).map(KernelStatus::getState).findFirst()
                .orElse("gone");
        }

        // ---------------------------------------------------------------------------------------------- invariants after a round

        private void checkAfterRound() {
            if (target.temporary()) {
                var coordinator = target.coordinator();
                BlockInvariantScan.Report report = BlockInvariantScan.scan(coordinator.memory(), coordinator.membership(),
                    coordinator.regions(), kernels);
                report.violations().forEach(v -> violations.add(Invariant.NO_BLOCK_OWNED_TWICE, round + ": " + v));
            }
            checkThreads(Set.of(a.getId(), b.getId()), 30);
        }

        /** The thread census, retried until it holds or {@code seconds} pass (a reaper may be on its way). */
        private void checkThreads(Set<Integer> live, int seconds) {
            if (census.startedCount() == 0) {
                return;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                List<String> lost = census.check(tasks(a), live);
                if (lost.isEmpty()) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    lost.forEach(l -> violations.add(Invariant.NO_THREAD_LOST, round + ": " + l + " (" + seconds + " s after the round)"));
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }

        private List<TaskInfo> tasks(KernelStatus via) {
            return call(via, () -> kernels.tasks(via.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .listTasks(ListTasksRequest.newBuilder().setAll(true).build())).getTasksList();
        }

        // ---------------------------------------------------------------------------------------------- workloads

        private List<CompletableFuture<DsmWorkloadReply>> touch(List<KernelStatus> on) {
            List<CompletableFuture<DsmWorkloadReply>> work = new ArrayList<>();
            for (KernelStatus k : on) {
                work.add(async(() -> dsm(kernels, k).withDeadlineAfter(120, TimeUnit.SECONDS)
                    .touch(DsmTouchRequest.newBuilder().setRegion(REGION).setCell(0).setDurationMs(perRound).build())));
            }
            return work;
        }

        /** The increments a workload acknowledged (each completed its read-modify-write, even when a later one failed); -1: stuck. */
        private long collect(CompletableFuture<DsmWorkloadReply> work) {
            try {
                DsmWorkloadReply reply = work.get(150, TimeUnit.SECONDS);
                if (!reply.getError().isEmpty()) {
                    workloadErrors++;
                    say(round + ": an increment failed (the workload stopped there): " + reply.getError());
                }
                return reply.getOperations();
            } catch (ExecutionException | TimeoutException | InterruptedException e) {
                stuck++;
                violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": an increment workload did not end within its deadline: " + describe(e));
                return -1;
            }
        }

        private String awaitWait(CompletableFuture<String> work, int seconds, String what) {
            try {
                return work.get(seconds, TimeUnit.SECONDS);
            } catch (TimeoutException | InterruptedException e) {
                stuck++;
                violations.add(Invariant.WAITS_WITHIN_DEADLINE, round + ": " + what + " did not end within " + seconds + " s");
                return null;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof CliException c ? c : new CliException(round + ": " + what + " failed: " + describe(e));
            }
        }

        private boolean ping(KernelStatus from, KernelStatus to) {
            try {
                kernels.mailbox(from.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .ping(MailboxPingRequest.newBuilder().setPeer(to.getId()).setRoundTrips(1).setTimeoutMs(300).build());
                return true;
            } catch (StatusRuntimeException e) {
                return false;
            }
        }

        private void heal(List<KernelStatus> all) {
            for (KernelStatus k : all) {
                call(k, () -> kernels.faults(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .setLinkFaults(LinkFaultsRequest.newBuilder().setClear(true).setPeer(-1).build()));
            }
        }

        private long read(long cell) {
            return call(a, () -> TypedMemoryControlGrpc.newBlockingStub(kernels.control(a.getControl()).getChannel())
                .withDeadlineAfter(60, TimeUnit.SECONDS).readFields(FieldsRequest.newBuilder().setRegion(REGION)
                    .setView("io.archipelago.kernel.dsm.views.DsmCell").setIndex(cell)
                    .addFields(FieldValue.newBuilder().setPath("value")).build())).getFields(0).getInteger();
        }

        private long sum() {
            long total = 0;
            for (long cell = 0; cell < CELLS; cell++) {
                total += read(cell);
            }
            return total;
        }

        // ---------------------------------------------------------------------------------------------- the report

        /** The words both kernels' mailboxes dropped, duplicated, reordered and delayed so far (this incarnation of each). */
        private Map<String, Long> wordsFaulted() {
            Map<String, Long> words = new LinkedHashMap<>();
            for (KernelStatus k : List.of(a, b)) {
                FaultState state = call(k, () -> kernels.faults(k.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .faults(FaultsRequest.getDefaultInstance()));
                words.merge("dropped", state.getWordsDropped(), Long::sum);
                words.merge("duplicated", state.getWordsDuplicated(), Long::sum);
                words.merge("reordered", state.getWordsReordered(), Long::sum);
                words.merge("delayed", state.getWordsDelayed(), Long::sum);
            }
            return words;
        }

        private ObjectNode report(long finalSum, long lost, long start, int roundCount) {
            long dropped = wordFaults.getOrDefault("dropped", 0L);
            long duplicated = wordFaults.getOrDefault("duplicated", 0L);
            long reordered = wordFaults.getOrDefault("reordered", 0L);
            long delayed = wordFaults.getOrDefault("delayed", 0L);
            if (probeTid >= 0) {
                try {
                    kernels.tasks(a.getControl()).withDeadlineAfter(30, TimeUnit.SECONDS).kill(KillRequest.newBuilder().setTid(probeTid).setHops(3).build());
                } catch (StatusRuntimeException e) {
                    say("the probe thread " + probeTid + " could not be ended: " + e.getStatus());
                }
            }
            ObjectNode root = StatusView.JSON.createObjectNode();
            root.put("cluster", target.status().getCluster()).put("temporary_cluster", target.temporary()).put("seed", seed)
                .put("rounds", roundCount).put("round_ms", perRound);
            ObjectNode faults = root.putObject("faults_injected");
            faults.put("dropped", dropped).put("duplicated", duplicated).put("reordered", reordered).put("delayed", delayed);
            injected.forEach(faults::put);
            faults.put("total", dropped + duplicated + reordered + delayed + injected.values().stream().mapToLong(Long::longValue).sum());
            ObjectNode points = faults.putObject("by_point");
            byPoint.forEach(points::put);
            ObjectNode counts = root.putObject("invariant_violations");
            violations.counts().forEach(counts::put);
            counts.put("total", violations.total());
            ArrayNode listed = root.putArray("violations");
            violations.described().forEach(listed::add);
            root.put("lost_updates", lost).put("stuck_waits", stuck).put("increments_acknowledged", acknowledged)
                .put("counter_final", finalSum).put("workload_errors", workloadErrors).put("register_operations", registerOperations)
                .put("threads_started", census.startedCount());
            ObjectNode moved = root.putObject("migrations");
            migrations.forEach(moved::put);
            ObjectNode pressure = root.putObject("balloon");
            balloon.forEach(pressure::put);
            List<Long> sorted = recoveries.stream().sorted().toList();
            root.putObject("recovery_ms").put("p50", percentileMs(sorted, 0.50)).put("p99", percentileMs(sorted, 0.99))
                .put("count", sorted.size());
            root.put("elapsed_s", (System.nanoTime() - start) / 1e9).put("load_average", loadAverage());
            ArrayNode missing = root.putArray("not_checked");
            notChecked.forEach(missing::add);
            return root;
        }
    }

    private static String describe(Exception e) {
        Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof StatusRuntimeException s ? s.getStatus().toString() : cause.toString();
    }

    private static boolean processAlive(KernelStatus k) {
        return ProcessHandle.of(k.getPid()).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Whether process {@code pid} is stopped (state T in /proc/pid/stat): the kernel reached the point armed to stop it. */
    private static boolean processStopped(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'T';
        } catch (IOException e) {
            return false;
        }
    }

    private static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new CliException("cannot send SIG" + signal + " to process " + pid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        out.printf("faults injected: %d (%d words dropped, %d duplicated, %d reordered, %d delayed; %d cuts, %d crashes, %d stops)%n",
            injected.get("total").asLong(), injected.get("dropped").asLong(), injected.get("duplicated").asLong(),
            injected.get("reordered").asLong(), injected.get("delayed").asLong(), injected.get("cut").asLong(),
            injected.get("crash").asLong(), injected.get("stop").asLong());
        out.println("  at points: " + injected.get("by_point"));
        out.printf("increments: %d acknowledged, the cell gained %d (%d failed); register operations checked: %d%n",
            f.get("increments_acknowledged").asLong(), f.get("counter_final").asLong(), f.get("workload_errors").asLong(),
            f.get("register_operations").asLong());
        out.println("migrations: " + f.get("migrations") + "; balloon pressure: " + f.get("balloon"));
        out.printf("lost updates %d, stuck waits %d, recovery (cut healed, crashed or stopped kernel restarted) p50 %.1f ms, p99 %.1f ms%n",
            f.get("lost_updates").asLong(), f.get("stuck_waits").asLong(), f.get("recovery_ms").get("p50").asDouble(),
            f.get("recovery_ms").get("p99").asDouble());
        out.println("invariant violations: " + f.get("invariant_violations"));
        f.get("violations").forEach(v -> out.println("  " + v.asText()));
        if (!f.get("not_checked").isEmpty()) {
            out.println("not checked: " + f.get("not_checked"));
        }
    }

    @Override
    int exitCode(ObjectNode figures) {
        return figures.get("invariant_violations").get("total").asInt() > 0 ? 1 : 0;
    }
}
