package io.archipelago.memory;

/**
 * The shape of a cluster's global memory: total size, page size, page-block size and how many
 * kernels it has room for. Pages are the unit of DSM coherence and allocation; page blocks are
 * the unit of ownership that the balloon driver moves between kernels.
 *
 * @param memoryBytes total size of the memory file, a multiple of {@code blockSize}
 * @param pageSize    bytes per page, a power of two (default 4 KiB)
 * @param blockSize   bytes per page block, a power of two and a multiple of {@code pageSize} (default 1 MiB)
 * @param maxKernels  number of kernel slots (counters areas) reserved in the system blocks
 */
public record MemoryGeometry(long memoryBytes, int pageSize, int blockSize, int maxKernels) {

    public static final int DEFAULT_PAGE_SIZE = 4 * 1024;
    public static final int DEFAULT_BLOCK_SIZE = 1024 * 1024;
    public static final long DEFAULT_MEMORY_BYTES = 128L * 1024 * 1024;
    public static final int DEFAULT_MAX_KERNELS = 64;
    public static final int MAX_KERNELS_LIMIT = 1024;

    public MemoryGeometry {
        if (pageSize < 512 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two of at least 512 bytes, found " + pageSize);
        }
        if (blockSize < pageSize || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two of at least the page size ("
                + pageSize + " bytes), found " + blockSize);
        }
        if (maxKernels < 1 || maxKernels > MAX_KERNELS_LIMIT) {
            throw new IllegalArgumentException("max kernels must be between 1 and " + MAX_KERNELS_LIMIT + ", found " + maxKernels);
        }
        if (memoryBytes <= 0 || memoryBytes % blockSize != 0) {
            throw new IllegalArgumentException("memory size must be a positive multiple of the block size ("
                + blockSize + " bytes), found " + memoryBytes);
        }
        long blocks = memoryBytes / blockSize;
        if (blocks > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("memory size " + memoryBytes + " gives too many blocks of " + blockSize + " bytes");
        }
        long system = GlobalMemoryLayout.systemBlocks(pageSize, blockSize, (int) blocks, maxKernels);
        if (blocks <= system) {
            throw new IllegalArgumentException("memory size " + memoryBytes + " bytes leaves no data block: the header, block "
                + "ownership table and counters take " + system + " block(s) of " + blockSize + " bytes");
        }
    }

    public static MemoryGeometry defaults() {
        return new MemoryGeometry(DEFAULT_MEMORY_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_BLOCK_SIZE, DEFAULT_MAX_KERNELS);
    }

    public int blockCount() {
        return (int) (memoryBytes / blockSize);
    }

    public int pagesPerBlock() {
        return blockSize / pageSize;
    }

    public long pageCount() {
        return memoryBytes / pageSize;
    }

    /** Blocks at the start of memory that hold the header, the ownership table and the counters. */
    public int systemBlocks() {
        return GlobalMemoryLayout.systemBlocks(pageSize, blockSize, blockCount(), maxKernels);
    }

    /** Blocks that hold data and can be owned by kernels or sit in the free pool. */
    public int dataBlocks() {
        return blockCount() - systemBlocks();
    }

    public long blockOffset(int block) {
        return (long) block * blockSize;
    }
}
