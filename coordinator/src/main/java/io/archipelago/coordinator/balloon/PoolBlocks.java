package io.archipelago.coordinator.balloon;

import io.archipelago.memory.BlockOwnershipTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Chooses which blocks of the pool go to a kernel, keeping memory contiguous (K2: "maximise
 * contiguous memory"): first the free blocks that extend the kernel's own runs of blocks, then
 * whole free runs, smallest first (best fit), so the pool's largest runs stay whole for the
 * requests that need adjacent blocks. Reads the ownership table; changes nothing (the manager
 * transfers the chosen blocks by compare-and-set).
 */
final class PoolBlocks {

    private PoolBlocks() {
    }

    /** A run of free blocks: {@code length} blocks from {@code first}. */
    record Run(int first, int length) {
    }

    /**
     * Up to {@code wanted} free blocks for {@code kernel}; with {@code contiguous}, exactly
     * {@code wanted} adjacent ones or none.
     */
    static List<Integer> choose(BlockOwnershipTable table, int kernel, int wanted, boolean contiguous) {
        int first = table.firstDataBlock();
        int count = table.blockCount();
        int[] owners = new int[count];
        for (int block = first; block < count; block++) {
            owners[block] = table.owner(block);
        }
        List<Run> runs = freeRuns(owners, first);
        List<Integer> chosen = new ArrayList<>();
        if (wanted <= 0) {
            return chosen;
        }
        if (contiguous) {
            Run best = null;
            boolean bestAdjacent = false;
            for (Run run : runs) {
                if (run.length() < wanted) {
                    continue;
                }
                boolean adjacent = ownedBy(owners, run.first() - 1, kernel, first) || ownedBy(owners, run.first() + run.length(), kernel, first);
                if (best == null || adjacent && !bestAdjacent || adjacent == bestAdjacent && run.length() < best.length()) {
                    best = run;
                    bestAdjacent = adjacent;
                }
            }
            if (best != null) {
                // take the end that touches the kernel's blocks, if either does
                boolean fromEnd = ownedBy(owners, best.first() + best.length(), kernel, first) && !ownedBy(owners, best.first() - 1, kernel,
                    first);
                int start = fromEnd ? best.first() + best.length() - wanted : best.first();
                for (int block = start; block < start + wanted; block++) {
                    chosen.add(block);
                }
            }
            return chosen;
        }
        // 1. extend the kernel's runs, growing outwards from what it owns and what was just chosen
        boolean grew = true;
        while (chosen.size() < wanted && grew) {
            grew = false;
            for (int block = first; block < count && chosen.size() < wanted; block++) {
                if (owners[block] == BlockOwnershipTable.FREE
                    && (ownedBy(owners, block - 1, kernel, first) || ownedBy(owners, block + 1, kernel, first))) {
                    owners[block] = kernel; // as if taken, so the next one extends it
                    chosen.add(block);
                    grew = true;
                }
            }
        }
        // 2. best fit: the smallest free runs first, each from its low end
        List<Run> remaining = freeRuns(owners, first);
        remaining.sort(Comparator.comparingInt(Run::length).thenComparingInt(Run::first));
        for (Run run : remaining) {
            for (int block = run.first(); block < run.first() + run.length() && chosen.size() < wanted; block++) {
                chosen.add(block);
            }
        }
        chosen.sort(null);
        return chosen;
    }

    static List<Run> freeRuns(int[] owners, int first) {
        List<Run> runs = new ArrayList<>();
        int start = -1;
        for (int block = first; block <= owners.length; block++) {
            boolean free = block < owners.length && owners[block] == BlockOwnershipTable.FREE;
            if (free && start < 0) {
                start = block;
            } else if (!free && start >= 0) {
                runs.add(new Run(start, block - start));
                start = -1;
            }
        }
        return runs;
    }

    private static boolean ownedBy(int[] owners, int block, int kernel, int first) {
        return block >= first && block < owners.length && owners[block] == kernel;
    }
}
