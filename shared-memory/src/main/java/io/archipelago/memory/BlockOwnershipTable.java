package io.archipelago.memory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which kernel owns each page block of global memory: the single truth for block ownership,
 * one signed 32-bit entry per block in the file (layout in {@link GlobalMemoryLayout}).
 * Every change is a compare-and-set on the entry, so no block can ever have two owners, even
 * when kernels in several processes claim blocks at once.
 */
public final class BlockOwnershipTable {

    /** The block is in the free pool. */
    public static final int FREE = -1;
    /** The block holds the header, this table or the counters. */
    public static final int SYSTEM = -2;

    private static final VarHandle ENTRY = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final MemorySegment table;
    private final int blockCount;
    private final int firstDataBlock;

    BlockOwnershipTable(MemorySegment table, int blockCount, int firstDataBlock) {
        this.table = table;
        this.blockCount = blockCount;
        this.firstDataBlock = firstDataBlock;
    }

    /** Writes the initial table: system blocks marked SYSTEM, every other block FREE. */
    void initialise() {
        for (int block = 0; block < blockCount; block++) {
            ENTRY.setRelease(table, 4L * block, block < firstDataBlock ? SYSTEM : FREE);
        }
    }

    public int blockCount() {
        return blockCount;
    }

    public int firstDataBlock() {
        return firstDataBlock;
    }

    public int owner(int block) {
        checkBlock(block);
        return (int) ENTRY.getVolatile(table, 4L * block);
    }

    /** Moves a block from {@code expectedOwner} to {@code newOwner} if it still belongs to the former. */
    public boolean transfer(int block, int expectedOwner, int newOwner) {
        checkBlock(block);
        if (block < firstDataBlock) {
            throw new IllegalArgumentException("block " + block + " is a system block and has no owner to change");
        }
        if (newOwner < FREE) {
            throw new IllegalArgumentException("a block's new owner is a kernel id or FREE, found " + newOwner);
        }
        return ENTRY.compareAndSet(table, 4L * block, expectedOwner, newOwner);
    }

    /**
     * Claims up to {@code count} free blocks for a kernel, preferring the lowest block numbers
     * so that a kernel's memory stays contiguous. Returns the blocks claimed (fewer when the
     * pool runs out).
     */
    public List<Integer> claimFree(int kernelId, int count) {
        List<Integer> claimed = new ArrayList<>();
        for (int block = firstDataBlock; block < blockCount && claimed.size() < count; block++) {
            if (owner(block) == FREE && transfer(block, FREE, kernelId)) {
                claimed.add(block);
            }
        }
        return claimed;
    }

    /** Returns every block of a kernel to the free pool (used when a kernel is declared dead). */
    public int releaseAll(int kernelId) {
        int released = 0;
        for (int block = firstDataBlock; block < blockCount; block++) {
            if (owner(block) == kernelId && transfer(block, kernelId, FREE)) {
                released++;
            }
        }
        return released;
    }

    public List<Integer> blocksOwnedBy(int kernelId) {
        List<Integer> blocks = new ArrayList<>();
        for (int block = firstDataBlock; block < blockCount; block++) {
            if (owner(block) == kernelId) {
                blocks.add(block);
            }
        }
        return blocks;
    }

    public int freeBlocks() {
        return blocksOwnedBy(FREE).size();
    }

    /** Number of data blocks per owner (kernel id, or FREE), in owner order. */
    public Map<Integer, Integer> census() {
        Map<Integer, Integer> census = new TreeMap<>();
        for (int block = firstDataBlock; block < blockCount; block++) {
            census.merge(owner(block), 1, Integer::sum);
        }
        return census;
    }

    private void checkBlock(int block) {
        if (block < 0 || block >= blockCount) {
            throw new IndexOutOfBoundsException("block " + block + " is outside global memory: it has blocks 0.." + (blockCount - 1));
        }
    }
}
