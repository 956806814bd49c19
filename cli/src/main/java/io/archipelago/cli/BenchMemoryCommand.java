package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.LatencySummary;
import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.InflateRequest;
import io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.control.proto.PageAllocation;
import io.archipelago.control.proto.VerifyPagesRequest;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.balloon.BlockInvariantScan;
import io.archipelago.coordinator.balloon.ClusterMemory;
import io.archipelago.coordinator.config.BalloonPolicy;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.memory.CounterDescriptor;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench memory}: a pressure scenario on a temporary cluster of K2's two
 * kernels, one growing and one shrinking, measuring what K2's balloon aims at: few messages per
 * block moved, contiguous free memory, reclaims that succeed; and the cost of a balloon step in
 * allocation latency, against the allocations of the same run that needed none.
 */
@Command(name = "memory", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Balloon pressure scenario: blocks moved, words per block, reclaim rate, contiguity, allocation latency.",
    description = {
        "Boots a temporary cluster of K2's two kernels (a strong one that grows, a weak one that shrinks) and runs:",
        "  1. the shrinker fills its page blocks with small movable allocations and frees 7 in 8: every block keeps a few pages in "
            + "use, none is wholly free (its memory is fragmented);",
        "  2. the grower allocates its share of memory (these allocations need no balloon step);",
        "  3. the grower allocates half as much again: its blocks run out, and each allocation that finds them full takes a "
            + "balloon step (one WANT to the meta-level manager, which moves blocks from the pool or asks the shrinker to inflate: its "
            + "balloon moves the movable pages together to empty whole blocks);",
        "  4. the grower frees everything, then gives back the blocks it took (so that every round starts alike).",
        "The rounds run on one cluster; with more than one, the first warms the JIT and is left out of the figures.",
        "Reported: blocks moved into the grower, mailbox words per block moved (every balloon word has the manager at one end), the "
            + "reclaim success rate (blocks released / blocks asked of the shrinker), the longest run of adjacent free blocks (in the "
            + "pool, or wholly free in their kernel) before step 3 and after step 4, allocation latency (measured in the kernel around "
            + "the allocator) with a balloon step against without one in the same run, with the ratio of the p50s, and the block "
            + "invariant scan (double_owned_blocks must be 0)."})
final class BenchMemoryCommand extends BenchSuite {

    @Option(names = "--json", description = "Print JSON: {\"blocks_moved\", \"words_per_block\", \"reclaim_success_rate\", "
        + "\"double_owned_blocks\", \"largest_free_run_blocks\": {\"before\", \"after\"}, \"latency_us\": {\"without_balloon\", "
        + "\"with_balloon\"}, \"latency_ratio_p50\", ...}.")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--quick", description = "A smaller memory (48 MiB instead of 128 MiB): a CI smoke run.")
    boolean quick;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Global memory of the temporary cluster, in MiB (default: 128; "
        + "--quick: 48).")
    Integer memoryMib;

    @Option(names = "--batch-blocks", paramLabel = "N", description = "Blocks the manager moves per request (default: ${DEFAULT-VALUE}).")
    int batchBlocks = BalloonPolicy.defaults().batchBlocks();

    @Option(names = "--allocation-pages", paramLabel = "N", description = "Pages per allocation of the grower (default: ${DEFAULT-VALUE}).")
    int allocationPages = 16;

    @Option(names = "--rounds", paramLabel = "N", description = "Rounds of the scenario on the same cluster; with more than one, the "
        + "first warms the JIT up and is not reported (default: 4; --quick: 2).")
    Integer rounds;

    @Override
    String suite() {
        return "memory";
    }

    @Override
    ObjectNode measure() {
        int mib = memoryMib != null ? memoryMib : quick ? 48 : 128;
        if (mib < 16 || mib > 4096 || batchBlocks < 1 || allocationPages < 1 || allocationPages > 256 || rounds != null && rounds < 1) {
            throw new CliException("expected --memory 16 to 4096 (MiB), --batch-blocks >= 1, --allocation-pages 1 to 256 and --rounds >= 1; "
                + "found " + mib + ", " + batchBlocks + ", " + allocationPages + ", " + rounds);
        }
        MemoryGeometry geometry = new MemoryGeometry((long) mib << 20, MemoryGeometry.DEFAULT_PAGE_SIZE, MemoryGeometry.DEFAULT_BLOCK_SIZE, 8);
        ClusterConfig config = ClusterConfig.k2Default().withCluster("bench-memory").withMemory(geometry)
            .withBalloon(BalloonPolicy.defaults().withBatchBlocks(batchBlocks));
        try (BenchTarget target = measured(BenchTarget.temporary(config, mib + " MiB of global memory, " + geometry.dataBlocks()
                + " data blocks", this::say));
             KernelChannels channels = kernelChannels(target)) {
            return measure(target.coordinator(), channels, rounds != null ? rounds : quick ? 2 : 4);
        } catch (StatusRuntimeException e) {
            throw new CliException("bench memory: a kernel call failed: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }

    /** What one round measured. */
    private record Round(List<PageAllocation> allocations, MemoryManagerStatus before, MemoryManagerStatus after, int runBefore,
                         int runAfter, int poolRunBefore, int poolRunAfter, int growerBlocks, int shrinkerBlocks, String outOfMemory,
                         int doubleOwned, List<String> violations, int corrupt, String layoutBefore, String layoutGrown, long pagesMoved,
                         long blocksEmptied) {
    }

    private ObjectNode measure(Coordinator cluster, KernelChannels channels, int rounds) {
        List<KernelStatus> running = cluster.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING"))
            .sorted(Comparator.comparingInt(KernelStatus::getId)).toList();
        KernelStatus grower = running.get(0);
        KernelStatus shrinker = running.get(1);
        int pagesPerBlock = cluster.memory().geometry().pagesPerBlock();
        int share = cluster.memory().ownership().blocksOwnedBy(grower.getId()).size();
        int shrinkerShare = cluster.memory().ownership().blocksOwnedBy(shrinker.getId()).size();
        List<Round> results = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            say("round " + round + " of " + rounds + (round == 1 && rounds > 1 ? " (warm-up: its latencies are not reported)" : ""));
            results.add(round(cluster, channels, grower, shrinker, share, shrinkerShare));
        }
        List<Round> measured = rounds > 1 ? results.subList(1, results.size()) : results;
        Round last = results.getLast();

        Histogram without = LatencySummary.histogram();
        Histogram with = LatencySummary.histogram();
        long moved = 0;
        long words = 0;
        long asked = 0;
        long released = 0;
        long wants = 0;
        long nacks = 0;
        long pressureMoves = 0;
        long inflates = 0;
        for (Round round : measured) {
            for (PageAllocation allocation : round.allocations()) {
                (allocation.getBalloonStep() ? with : without).recordValue(Math.max(1, allocation.getLatencyNs()));
            }
            moved += round.after().getBlocksGranted() - round.before().getBlocksGranted();
            words += round.after().getWords() - round.before().getWords();
            asked += round.after().getBlocksAsked() - round.before().getBlocksAsked();
            released += round.after().getBlocksReleased() - round.before().getBlocksReleased();
            wants += round.after().getWants() - round.before().getWants();
            nacks += round.after().getNacks() - round.before().getNacks();
            pressureMoves += round.after().getPressureMoves() - round.before().getPressureMoves();
            inflates += round.after().getInflateRequests() - round.before().getInflateRequests();
        }
        LatencySummary withoutSummary = LatencySummary.of(without);
        LatencySummary withSummary = LatencySummary.of(with);

        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("suite", "memory");
        root.put("memory_bytes", cluster.memory().geometry().memoryBytes());
        root.put("data_blocks", cluster.memory().geometry().dataBlocks());
        root.put("pages_per_block", pagesPerBlock);
        root.put("batch_blocks", batchBlocks);
        root.put("allocation_pages", allocationPages);
        root.put("rounds", rounds);
        root.put("measured_rounds", measured.size());
        root.put("grower", grower.getName());
        root.put("shrinker", shrinker.getName());
        root.put("grower_share_blocks", share);
        root.put("grower_blocks_after", last.growerBlocks());
        root.put("shrinker_blocks_after", last.shrinkerBlocks());
        root.put("out_of_memory", last.outOfMemory());
        root.put("blocks_moved", moved);
        root.put("mailbox_words", words);
        root.put("words_per_block", moved == 0 ? 0.0 : round2((double) words / moved));
        root.put("wants", wants);
        root.put("nacks", nacks);
        root.put("pressure_moves", pressureMoves);
        root.put("inflate_requests", inflates);
        root.put("blocks_asked", asked);
        root.put("blocks_released", released);
        root.put("reclaim_success_rate", asked == 0 ? 1.0 : round2((double) released / asked));
        root.put("pages_moved", measured.stream().mapToLong(Round::pagesMoved).sum());
        root.put("blocks_emptied_by_moving", measured.stream().mapToLong(Round::blocksEmptied).sum());
        root.put("shrinker_corrupt_allocations", results.stream().mapToInt(Round::corrupt).sum());
        ObjectNode runs = root.putObject("largest_free_run_blocks");
        runs.put("before", last.runBefore());
        runs.put("after", last.runAfter());
        ObjectNode poolRuns = root.putObject("pool_longest_free_run_blocks");
        poolRuns.put("before", last.poolRunBefore());
        poolRuns.put("after", last.poolRunAfter());
        ObjectNode layout = root.putObject("ownership_layout");
        layout.put("legend", "one character per data block: the owner's kernel id (base 36), '.' the pool, 'R' retained");
        layout.put("before_growth", last.layoutBefore());
        layout.put("after_growth", last.layoutGrown());
        ObjectNode latency = root.putObject("latency_us");
        latency.set("without_balloon", withoutSummary.json());
        latency.set("with_balloon", withSummary.json());
        // from the histograms' own values: the no-balloon p50 is a few tenths of a microsecond, where rounding alone moves it by 25%
        root.put("latency_ratio_p50", withSummary.p50Over(withoutSummary));
        List<String> violations = new ArrayList<>();
        results.forEach(r -> violations.addAll(r.violations()));
        root.put("double_owned_blocks", results.stream().mapToInt(Round::doubleOwned).sum());
        root.put("invariant_violations", violations.size());
        root.putPOJO("violations", violations);
        return root;
    }

    /** One round of the scenario (steps 1 to 4), then the grower gives back what it took, so the next round starts alike. */
    private Round round(Coordinator cluster, KernelChannels channels, KernelStatus grower, KernelStatus shrinker,
                        int share, int shrinkerShare) {
        int pagesPerBlock = cluster.memory().geometry().pagesPerBlock();
        long pagesMovedBefore = counter(cluster, shrinker, MemoryCounters.PAGES_MOVED);
        long emptiedBefore = counter(cluster, shrinker, MemoryCounters.BLOCKS_EMPTIED_BY_MOVING);
        // 1. fragment the shrinker: a slice in use in every block, two slices short of full so it never looks under pressure
        int slice = pagesPerBlock / 8;
        say("1. " + shrinker.getName() + " fills " + shrinkerShare + " blocks with " + slice + "-page allocations, frees 7 in 8");
        AllocatePagesReply filled = memory(channels, shrinker).allocatePages(AllocatePagesRequest.newBuilder().setPages(slice)
            .setCount(shrinkerShare * 8 - 2).build());
        if (!filled.getOutOfMemory().isEmpty()) {
            throw new CliException("bench memory: " + shrinker.getName() + " could not fill its share: " + filled.getOutOfMemory());
        }
        List<Long> toFree = new ArrayList<>();
        for (int i = 0; i < filled.getAllocationsCount(); i++) {
            if (i % 8 != 0) {
                toFree.add(filled.getAllocations(i).getHandle());
            }
        }
        memory(channels, shrinker).freePages(FreePagesRequest.newBuilder().addAllHandles(toFree).build());

        // 2. the grower uses what is free of its share (the kernel's own regions, e.g. the task table, hold some),
        //    staying above the manager's pressure threshold
        long growerFree = memory(channels, grower).memoryInfo(MemoryInfoRequest.getDefaultInstance()).getFreePages();
        int ownAllocations = (int) (growerFree / allocationPages) - 2 * Math.max(1, 64 / allocationPages);
        say("2. " + grower.getName() + " allocates its share: " + ownAllocations + " x " + allocationPages + " pages");
        AllocatePagesReply own = memory(channels, grower).allocatePages(AllocatePagesRequest.newBuilder().setPages(allocationPages)
            .setCount(ownAllocations).setSkipPattern(true).build());
        List<PageAllocation> allocations = new ArrayList<>(own.getAllocationsList());
        int runBefore = ClusterMemory.longestFreeRun(cluster.memory(), ClusterMemory.collect(cluster.membership(), channels).values());
        int poolRunBefore = cluster.memory().ownership().longestFreeRun();
        MemoryManagerStatus before = cluster.manager().status();

        String layoutBefore = ClusterMemory.layout(cluster.memory());
        // 3. the grower needs half as much again
        int moreAllocations = share / 2 * pagesPerBlock / allocationPages;
        say("3. " + grower.getName() + " allocates " + moreAllocations + " x " + allocationPages + " pages more: balloon steps");
        AllocatePagesReply grown = memory(channels, grower).allocatePages(AllocatePagesRequest.newBuilder().setPages(allocationPages)
            .setCount(moreAllocations).setSkipPattern(true).build());
        allocations.addAll(grown.getAllocationsList());
        MemoryManagerStatus after = cluster.manager().status();
        BlockInvariantScan.Report duringScan = BlockInvariantScan.scan(cluster.memory(), cluster.membership(), cluster.regions(), channels);
        int corrupt = memory(channels, shrinker).verifyPages(VerifyPagesRequest.getDefaultInstance()).getCorruptCount();
        int growerBlocks = cluster.memory().ownership().blocksOwnedBy(grower.getId()).size();
        int shrinkerBlocks = cluster.memory().ownership().blocksOwnedBy(shrinker.getId()).size();
        long pagesMoved = counter(cluster, shrinker, MemoryCounters.PAGES_MOVED) - pagesMovedBefore;
        long blocksEmptied = counter(cluster, shrinker, MemoryCounters.BLOCKS_EMPTIED_BY_MOVING) - emptiedBefore;

        String layoutGrown = ClusterMemory.layout(cluster.memory());
        // 4. the grower frees everything
        say("4. " + grower.getName() + " frees everything");
        memory(channels, grower).freePages(FreePagesRequest.newBuilder().setAll(true).build());
        int runAfter = ClusterMemory.longestFreeRun(cluster.memory(), ClusterMemory.collect(cluster.membership(), channels).values());
        int poolRunAfter = cluster.memory().ownership().longestFreeRun();
        BlockInvariantScan.Report endScan = BlockInvariantScan.scan(cluster.memory(), cluster.membership(), cluster.regions(), channels);

        // reset: the grower gives back what it took, the shrinker frees its slices
        int extra = cluster.memory().ownership().blocksOwnedBy(grower.getId()).size() - share;
        if (extra > 0) {
            memory(channels, grower).inflate(InflateRequest.newBuilder().setBlocks(extra).build());
        }
        memory(channels, shrinker).freePages(FreePagesRequest.newBuilder().setAll(true).build());
        List<String> violations = new ArrayList<>(duringScan.violations());
        violations.addAll(endScan.violations());
        return new Round(allocations, before, after, runBefore, runAfter, poolRunBefore, poolRunAfter, growerBlocks, shrinkerBlocks,
            grown.getOutOfMemory(), duringScan.doubleOwnedBlocks() + endScan.doubleOwnedBlocks(), violations, corrupt, layoutBefore,
            layoutGrown, pagesMoved, blocksEmptied);
    }

    private static long counter(Coordinator cluster, KernelStatus kernel, CounterDescriptor counter) {
        return cluster.status().getKernelsList().stream().filter(k -> k.getId() == kernel.getId()).findFirst()
            .flatMap(k -> StatusView.counter(k, counter)).orElse(0L);
    }

    @Override
    void printTable(ObjectNode r, PrintWriter out) {
        out.printf(Locale.ROOT, "balloon pressure scenario: %s MiB, %d data blocks of %d pages, batches of %d block(s), %d round(s) "
                + "measured of %d%n", r.get("memory_bytes").asLong() >> 20, r.get("data_blocks").asInt(), r.get("pages_per_block").asInt(),
            r.get("batch_blocks").asInt(), r.get("measured_rounds").asInt(), r.get("rounds").asInt());
        out.printf(Locale.ROOT, "last round: %s grew from %d to %d blocks%s; %s shrank to %d%n", r.get("grower").asText(),
            r.get("grower_share_blocks").asInt(), r.get("grower_blocks_after").asInt(), r.get("out_of_memory").asText().isEmpty() ? ""
                : " (then out of memory: " + r.get("out_of_memory").asText() + ")", r.get("shrinker").asText(),
            r.get("shrinker_blocks_after").asInt());
        out.printf(Locale.ROOT, "blocks moved: %d with %d mailbox words: %.2f words per block (%d WANT, %d moved ahead of pressure, %d "
                + "INFLATE)%n", r.get("blocks_moved").asLong(), r.get("mailbox_words").asLong(), r.get("words_per_block").asDouble(),
            r.get("wants").asLong(), r.get("pressure_moves").asLong(), r.get("inflate_requests").asLong());
        out.printf(Locale.ROOT, "reclaim: %d of %d block(s) asked were released (success rate %.2f); %d movable page(s) moved emptied %d "
                + "block(s); %d corrupt allocation(s) after the moves%n", r.get("blocks_released").asLong(), r.get("blocks_asked").asLong(),
            r.get("reclaim_success_rate").asDouble(), r.get("pages_moved").asLong(), r.get("blocks_emptied_by_moving").asLong(),
            r.get("shrinker_corrupt_allocations").asInt());
        out.printf(Locale.ROOT, "largest run of adjacent free blocks (last round): %d before the growth, %d after it was freed (pool alone: "
                + "%d, %d)%n",
            r.get("largest_free_run_blocks").get("before").asInt(), r.get("largest_free_run_blocks").get("after").asInt(),
            r.get("pool_longest_free_run_blocks").get("before").asInt(), r.get("pool_longest_free_run_blocks").get("after").asInt());
        out.printf("block owners before the growth: %s%n", r.get("ownership_layout").get("before_growth").asText());
        out.printf("block owners after the growth:  %s   (kernel id per block, '.' the pool)%n",
            r.get("ownership_layout").get("after_growth").asText());
        List<String[]> rows = new ArrayList<>();
        String[] header = percentileHeader("mean", "count");
        header[0] = "allocation latency (us)";
        rows.add(header);
        rows.add(meanCountRow("without a balloon step", r.get("latency_us").get("without_balloon")));
        rows.add(meanCountRow("with a balloon step", r.get("latency_us").get("with_balloon")));
        StatusView.printRows(rows, out);
        out.printf(Locale.ROOT, "ratio p50 (with / without): %.2f%n", r.get("latency_ratio_p50").asDouble());
        out.printf(Locale.ROOT, "invariant scan: %d double-owned block(s), %d violation(s)%n", r.get("double_owned_blocks").asInt(),
            r.get("invariant_violations").asInt());
        out.flush();
    }



    private static String[] meanCountRow(String name, JsonNode latency) {
        return percentileRow(name, latency, fmt(latency.get("mean").asDouble()), Long.toString(latency.get("count").asLong()));
    }

    private static double round2(double value) {
        return Math.round(value * 100) / 100.0;
    }

    private static KernelMemoryBlockingStub memory(KernelChannels channels, KernelStatus kernel) {
        return channels.memory(kernel.getControl()).withDeadlineAfter(300, TimeUnit.SECONDS);
    }

}
