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
 * <p>
 * An entry holds a kernel id (the block is in that kernel's page allocator), {@link #FREE} (the
 * global pool the balloon driver inflates into and deflates from), {@link #SYSTEM}, or
 * {@link #retainedFor(int) RETAINED(k)}: the block belonged to kernel {@code k}, which died while
 * typed regions still registered in it; it is handed to nobody else while they are registered
 * (a restart of {@code k} adopts it back, and the meta-level manager frees it once no registered
 * region lies in it). A separate code, rather than leaving {@code k} as owner, makes both of
 * those a compare-and-set, so a restarting {@code k} and the manager never both get the block.
 * <p>
 * A block owned by a kernel names the kernel's <em>incarnation</em> too, so that a kernel that
 * restarts with the same id and its dead predecessor never own the same block: the manager's
 * take-back of a dead incarnation's blocks, a zombie incarnation's hand-back, and a new
 * incarnation's claims are each compare-and-sets on the exact owner code.
 * <pre>
 *   an entry (signed 32-bit, little-endian)
 *    3                   2                   1                   0
 *    1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
 *   +-+-----------------------------------------+-------------------+
 *   |0|  incarnation tag (21 bits, 1..2^21-1;    |  kernel id        |  owned by a kernel incarnation
 *   | |  0 = none given: tools and tests)        |  (10 bits)        |
 *   +-+-----------------------------------------+-------------------+
 *   |1|  FREE (-1), SYSTEM (-2), RETAINED(k) = -3 - k                 |  negative: no kernel owns it
 *   +-+---------------------------------------------------------------+
 * </pre>
 * {@link #owner} and {@link #blocksOwnedBy} speak kernel ids (whatever the incarnation);
 * {@link #ownerCode}, {@link #blocksHeldBy}, {@link #transfer} and {@link #claimFree} the exact code.
 */
public final class BlockOwnershipTable {

    /** The block is in the free pool. */
    public static final int FREE = -1;
    /** The block holds the header, this table or the counters. */
    public static final int SYSTEM = -2;
    /** Owner codes from here down mean "retained for dead kernel {@code RETAINED_BASE - code}". */
    public static final int RETAINED_BASE = -3;
    /** Low bits of an owner code that hold the kernel id ({@link MemoryGeometry#MAX_KERNELS_LIMIT} is 2^10). */
    private static final int KERNEL_BITS = 10;
    private static final int KERNEL_MASK = (1 << KERNEL_BITS) - 1;
    private static final int TAGS = (1 << (31 - KERNEL_BITS)) - 1;

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

    /** The owner of a block: a kernel id (whichever incarnation), FREE, SYSTEM or RETAINED(k). */
    public int owner(int block) {
        return kernelOf(ownerCode(block));
    }

    /** The exact owner code of a block: a kernel id with its incarnation tag, FREE, SYSTEM or RETAINED(k). */
    public int ownerCode(int block) {
        checkBlock(block);
        return (int) ENTRY.getVolatile(table, 4L * block);
    }

    /**
     * The owner code of blocks owned by incarnation {@code incarnation} of kernel {@code kernelId}
     * (incarnation 0: the bare id, for tools and tests that have none).
     */
    public static int ownerCode(int kernelId, long incarnation) {
        if (kernelId < 0 || kernelId > KERNEL_MASK) {
            throw new IllegalArgumentException("a block's owner is a kernel id 0.." + KERNEL_MASK + ", found " + kernelId);
        }
        int tag = incarnation == 0 ? 0 : (int) Long.remainderUnsigned(incarnation, TAGS) + 1;
        return tag << KERNEL_BITS | kernelId;
    }

    /** The kernel id of an owner code (FREE, SYSTEM and RETAINED codes as they are). */
    public static int kernelOf(int ownerCode) {
        return ownerCode >= 0 ? ownerCode & KERNEL_MASK : ownerCode;
    }

    /** Moves a block from owner code {@code expectedOwner} to {@code newOwner} if it still has exactly the former. */
    public boolean transfer(int block, int expectedOwner, int newOwner) {
        checkBlock(block);
        if (block < firstDataBlock) {
            throw new IllegalArgumentException("block " + block + " is a system block and has no owner to change");
        }
        if (newOwner == SYSTEM || newOwner < FREE && !isRetained(newOwner)) {
            throw new IllegalArgumentException("a block's new owner is a kernel id, FREE or RETAINED(kernel), found " + newOwner);
        }
        return ENTRY.compareAndSet(table, 4L * block, expectedOwner, newOwner);
    }

    /**
     * Claims up to {@code count} free blocks for a kernel, preferring the lowest block numbers
     * so that a kernel's memory stays contiguous. Returns the blocks claimed (fewer when the
     * pool runs out).
     */
    public List<Integer> claimFree(int ownerCode, int count) {
        List<Integer> claimed = new ArrayList<>();
        for (int block = firstDataBlock; block < blockCount && claimed.size() < count; block++) {
            if (ownerCode(block) == FREE && transfer(block, FREE, ownerCode)) {
                claimed.add(block);
            }
        }
        return claimed;
    }

    /** The owner code of blocks retained for dead kernel {@code kernelId} (its typed regions live there). */
    public static int retainedFor(int kernelId) {
        if (kernelId < 0) {
            throw new IllegalArgumentException("blocks are retained for a kernel id >= 0, found " + kernelId);
        }
        return RETAINED_BASE - kernelId;
    }

    /** Whether an owner code means "retained for a dead kernel". */
    public static boolean isRetained(int owner) {
        return owner <= RETAINED_BASE;
    }

    /** The dead kernel a retained owner code is for. */
    public static int retainedKernel(int owner) {
        if (!isRetained(owner)) {
            throw new IllegalArgumentException("owner code " + owner + " is not RETAINED(kernel)");
        }
        return RETAINED_BASE - owner;
    }

    /** An owner code as people read it: "kernel 3", "FREE", "SYSTEM", "RETAINED(3)". */
    public static String describeOwner(int owner) {
        if (owner >= 0) {
            return "kernel " + kernelOf(owner);
        }
        if (owner == FREE) {
            return "FREE";
        }
        if (owner == SYSTEM) {
            return "SYSTEM";
        }
        return "RETAINED(" + retainedKernel(owner) + ")";
    }

    /** The longest run of consecutive blocks in the free pool, in blocks. */
    public int longestFreeRun() {
        int longest = 0;
        int run = 0;
        for (int block = firstDataBlock; block < blockCount; block++) {
            run = owner(block) == FREE ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /** Returns every block of an owner code (a kernel incarnation) to the free pool. */
    public int releaseAll(int ownerCode) {
        int released = 0;
        for (int block = firstDataBlock; block < blockCount; block++) {
            if (ownerCode(block) == ownerCode && transfer(block, ownerCode, FREE)) {
                released++;
            }
        }
        return released;
    }

    /** The blocks of a kernel id, whichever its incarnation (or of FREE, RETAINED(k)). */
    public List<Integer> blocksOwnedBy(int kernelId) {
        List<Integer> blocks = new ArrayList<>();
        for (int block = firstDataBlock; block < blockCount; block++) {
            if (owner(block) == kernelId) {
                blocks.add(block);
            }
        }
        return blocks;
    }

    /** The blocks whose owner code is exactly {@code ownerCode} (one kernel incarnation's). */
    public List<Integer> blocksHeldBy(int ownerCode) {
        List<Integer> blocks = new ArrayList<>();
        for (int block = firstDataBlock; block < blockCount; block++) {
            if (ownerCode(block) == ownerCode) {
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
