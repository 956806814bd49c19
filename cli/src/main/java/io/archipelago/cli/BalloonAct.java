package io.archipelago.cli;

import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.control.proto.VerifyPagesRequest;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.balloon.BlockInvariantScan;
import io.archipelago.memory.MemoryCounters;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Demo scene: K2's independent memory services. The weak kernel's memory is fragmented (a few
 * movable pages left in every block); the strong kernel then allocates more than its share, and
 * the meta-level manager moves blocks to it: the weak kernel's balloon moves its pages together
 * to free whole blocks and inflates them into the pool, the strong kernel's deflates them.
 */
final class BalloonAct implements TwoKernelAct {

    @Override
    public String title() {
        return "independent memory services: the balloon moves page blocks to the kernel that needs them";
    }

    @Override
    public void run(Coordinator cluster, KernelStatus grower, KernelStatus shrinker, PrintWriter out) {
        int pagesPerBlock = cluster.memory().geometry().pagesPerBlock();
        try (KernelChannels channels = new KernelChannels(cluster.secret(), "demo")) {
            blocks(cluster, out, "at boot");
            int share = cluster.memory().ownership().blocksOwnedBy(shrinker.getId()).size();
            int slice = pagesPerBlock / 8;
            // two slices short of full, so that its free pages never fall below the manager's pressure threshold (64 by default)
            AllocatePagesReply filled = memory(channels, shrinker).allocatePages(AllocatePagesRequest.newBuilder().setPages(slice)
                .setCount(share * 8 - 2).build());
            List<Long> free = new ArrayList<>();
            for (int i = 0; i < filled.getAllocationsCount(); i++) {
                if (i % 8 != 0) {
                    free.add(filled.getAllocations(i).getHandle());
                }
            }
            memory(channels, shrinker).freePages(FreePagesRequest.newBuilder().addAllHandles(free).build());
            out.printf("%s filled its blocks with %d-page allocations and freed 7 in 8: each of its blocks keeps %d movable pages, none is "
                + "wholly free%n", shrinker.getName(), slice, slice);

            MemoryManagerStatus before = cluster.manager().status();
            int growerBlocks = cluster.memory().ownership().blocksOwnedBy(grower.getId()).size();
            int wanted = growerBlocks + 8;
            AllocatePagesReply grown = memory(channels, grower).allocatePages(AllocatePagesRequest.newBuilder().setPages(pagesPerBlock)
                .setCount(wanted).setSkipPattern(true).build());
            long steps = grown.getAllocationsList().stream().filter(a -> a.getBalloonStep()).count();
            out.printf("%s allocated %d whole blocks' worth (%d more than it owned)%s; %d allocation(s) needed a balloon step%n",
                grower.getName(), grown.getAllocationsCount(), wanted - growerBlocks, grown.getOutOfMemory().isEmpty() ? ""
                    : " and then ran out: " + grown.getOutOfMemory(), steps);
            MemoryManagerStatus after = cluster.manager().status();
            long moved = after.getBlocksGranted() - before.getBlocksGranted();
            long words = after.getWords() - before.getWords();
            KernelStatus shrunk = cluster.status().getKernelsList().stream().filter(k -> k.getId() == shrinker.getId()).findFirst()
                .orElse(shrinker);
            out.printf(Locale.ROOT, "meta-level manager: %d block(s) moved with %d mailbox word(s) (%.2f per block): %d WANT(s), %d "
                    + "INFLATE(s) asking %d block(s), %d released (reclaim rate %.0f%%)%n", moved, words, moved == 0 ? 0.0 : (double) words
                    / moved, after.getWants() - before.getWants(), after.getInflateRequests() - before.getInflateRequests(),
                after.getBlocksAsked() - before.getBlocksAsked(), after.getBlocksReleased() - before.getBlocksReleased(),
                after.getBlocksAsked() == before.getBlocksAsked() ? 100.0 : 100.0 * (after.getBlocksReleased() - before.getBlocksReleased())
                    / (after.getBlocksAsked() - before.getBlocksAsked()));
            out.printf("%s's balloon moved %d movable page(s) out of nearly free blocks, emptying %d block(s); its pages are intact: %s%n",
                shrinker.getName(), StatusView.counter(shrunk, MemoryCounters.PAGES_MOVED).orElse(0L),
                StatusView.counter(shrunk, MemoryCounters.BLOCKS_EMPTIED_BY_MOVING).orElse(0L),
                memory(channels, shrinker).verifyPages(VerifyPagesRequest.getDefaultInstance()).getCorruptCount() == 0 ? "yes" : "NO");
            blocks(cluster, out, "now");
            BlockInvariantScan.Report report = BlockInvariantScan.scan(cluster.memory(), cluster.membership(), cluster.regions(), channels);
            out.printf("invariant scan (every kernel's allocator against the ownership table): %s%n", report);
            memory(channels, grower).freePages(FreePagesRequest.newBuilder().setAll(true).build());
            memory(channels, shrinker).freePages(FreePagesRequest.newBuilder().setAll(true).build());
            out.println("(`archipelago bench memory` measures a pressure scenario: blocks moved, words per block, reclaim rate, latency)");
        } catch (StatusRuntimeException e) {
            throw new CliException("the balloon scene failed: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }

    private static KernelMemoryBlockingStub memory(KernelChannels channels, KernelStatus kernel) {
        return channels.memory(kernel.getControl()).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    private static void blocks(Coordinator cluster, PrintWriter out, String when) {
        StringBuilder line = new StringBuilder("page blocks " + when + ":");
        for (KernelStatus kernel : cluster.status().getKernelsList()) {
            line.append(' ').append(kernel.getName()).append(' ').append(kernel.getBlocks()).append(" (")
                .append(StatusView.counter(kernel, MemoryCounters.FREE_PAGES).orElse(0L)).append(" free pages),");
        }
        line.append(" pool ").append(cluster.memory().ownership().freeBlocks());
        out.println(line);
    }
}
