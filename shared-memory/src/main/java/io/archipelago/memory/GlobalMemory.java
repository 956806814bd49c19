package io.archipelago.memory;

import static io.archipelago.memory.GlobalMemoryLayout.*;

import io.archipelago.directory.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.zip.CRC32C;

/**
 * The platform's physical memory: one file in the cluster directory, mapped with FFM into every
 * kernel process. Created once by the coordinator; attached, after validation, by kernels and
 * tools. The byte layout is drawn in {@link GlobalMemoryLayout}.
 */
public final class GlobalMemory implements AutoCloseable {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final MemoryGeometry geometry;
    private final String clusterName;
    private final long clusterId;
    private final int expectedKernels;
    private final long createdAtMs;
    private final BlockOwnershipTable ownership;
    private final long countersOffset;
    private final PageDirectory pageDirectory;
    private final WriteBackJournal writeBackJournal;

    private GlobalMemory(Path file, Arena arena, MemorySegment memory) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.geometry = new MemoryGeometry(memory.get(LONG, MEMORY_SIZE_OFFSET), memory.get(INT, PAGE_SIZE_OFFSET),
            memory.get(INT, BLOCK_SIZE_OFFSET), memory.get(INT, MAX_KERNELS_OFFSET));
        this.clusterName = readClusterName(memory);
        this.clusterId = memory.get(LONG, CLUSTER_ID_OFFSET);
        this.expectedKernels = memory.get(INT, EXPECTED_KERNELS_OFFSET);
        this.createdAtMs = memory.get(LONG, CREATED_AT_OFFSET);
        long tableOffset = memory.get(LONG, OWNERSHIP_TABLE_OFFSET_OFFSET);
        this.ownership = new BlockOwnershipTable(memory.asSlice(tableOffset, 4L * geometry.blockCount()),
            geometry.blockCount(), geometry.systemBlocks());
        this.countersOffset = memory.get(LONG, COUNTERS_OFFSET_OFFSET);
        long directoryOffset = memory.get(LONG, PAGE_DIRECTORY_OFFSET_OFFSET);
        this.pageDirectory = new PageDirectory(memory.asSlice(directoryOffset, geometry.pageCount() * PageDirectory.ENTRY_BYTES),
            geometry.pageCount());
        this.writeBackJournal = new WriteBackJournal(memory.asSlice(GlobalMemoryLayout.writeBackJournalOffset(geometry.pageSize(),
            geometry.blockSize(), geometry.blockCount(), geometry.maxKernels()), WriteBackJournal.bytes(geometry.pageSize(),
            geometry.maxKernels())), geometry.pageSize(), geometry.maxKernels());
    }

    /**
     * Creates and initialises a new memory file. The file is written under a temporary name and
     * renamed into place, so nobody ever attaches a half-written header.
     *
     * @throws FileAlreadyExistsException (wrapped) if the file exists: memory is never recreated over a live one
     */
    public static GlobalMemory create(Path file, String clusterName, MemoryGeometry geometry, int expectedKernels) {
        byte[] name = clusterName.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length > CLUSTER_NAME_BYTES) {
            throw new IllegalArgumentException("a cluster name is 1 to " + CLUSTER_NAME_BYTES + " UTF-8 bytes, found '" + clusterName + "'");
        }
        if (expectedKernels < 1 || expectedKernels > geometry.maxKernels()) {
            throw new IllegalArgumentException("expected kernels must be between 1 and " + geometry.maxKernels()
                + " (max kernels), found " + expectedKernels);
        }
        if (Files.exists(file)) {
            throw new UncheckedIOException(new FileAlreadyExistsException(file.toString(), null,
                "global memory already exists; remove the cluster directory to start over"));
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        try {
            Files.deleteIfExists(temporary);
            try (FileChannel channel = OwnerOnlyFiles.createNew(temporary, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                Arena arena = Arena.ofShared();
                MemorySegment memory;
                try {
                    // allocated in full: on a sparse file a full tmpfs would be a SIGBUS at some page's first touch
                    FileAllocation.allocate(temporary, channel, geometry.memoryBytes(), "global memory");
                    memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, geometry.memoryBytes(), arena);
                } catch (IOException | RuntimeException e) {
                    arena.close();
                    throw e;
                }
                long tableOffset = ownershipTableOffset(geometry.pageSize());
                long countersOffset = GlobalMemoryLayout.countersOffset(geometry.pageSize(), geometry.blockCount());
                memory.set(LONG, MAGIC_OFFSET, MAGIC);
                memory.set(INT, VERSION_OFFSET, FORMAT_VERSION);
                memory.set(INT, HEADER_LENGTH_OFFSET, HEADER_LENGTH);
                memory.set(LONG, CLUSTER_ID_OFFSET, new SecureRandom().nextLong());
                MemorySegment.copy(name, 0, memory, ValueLayout.JAVA_BYTE, CLUSTER_NAME_OFFSET, name.length);
                memory.set(LONG, MEMORY_SIZE_OFFSET, geometry.memoryBytes());
                memory.set(INT, PAGE_SIZE_OFFSET, geometry.pageSize());
                memory.set(INT, BLOCK_SIZE_OFFSET, geometry.blockSize());
                memory.set(INT, BLOCK_COUNT_OFFSET, geometry.blockCount());
                memory.set(INT, MAX_KERNELS_OFFSET, geometry.maxKernels());
                memory.set(INT, EXPECTED_KERNELS_OFFSET, expectedKernels);
                memory.set(INT, SYSTEM_BLOCKS_OFFSET, geometry.systemBlocks());
                memory.set(LONG, OWNERSHIP_TABLE_OFFSET_OFFSET, tableOffset);
                memory.set(LONG, COUNTERS_OFFSET_OFFSET, countersOffset);
                memory.set(LONG, CREATED_AT_OFFSET, System.currentTimeMillis());
                memory.set(LONG, PAGE_DIRECTORY_OFFSET_OFFSET,
                    GlobalMemoryLayout.pageDirectoryOffset(geometry.pageSize(), geometry.blockCount(), geometry.maxKernels()));
                memory.set(INT, CHECKSUM_OFFSET, checksum(memory));
                GlobalMemory created = new GlobalMemory(file, arena, memory);
                created.ownership.initialise();
                memory.force();
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
                return created;
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // the error below says what went wrong first
            }
            throw new UncheckedIOException("cannot create global memory " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Maps an existing memory file after checking that it is this cluster's global memory:
     * magic, format version, checksum, cluster name and size. Nothing is written before every
     * check has passed.
     *
     * @throws GlobalMemoryMismatchException naming the first field that does not match
     */
    public static GlobalMemory attach(Path file, String expectedClusterName) {
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no global memory at " + file + ": is the cluster running?", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read global memory " + file + ": " + e.getMessage(), e);
        }
        if (fileSize < MIN_FILE_BYTES) {
            throw new GlobalMemoryMismatchException(file, "file size", "at least " + MIN_FILE_BYTES + " bytes", fileSize + " bytes");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, MIN_FILE_BYTES, arena);
            validateHeader(file, header, fileSize, expectedClusterName);
            long size = header.get(LONG, MEMORY_SIZE_OFFSET);
            MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new GlobalMemory(file, arena, memory);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map global memory " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static void validateHeader(Path file, MemorySegment header, long fileSize, String expectedClusterName) {
        long magic = header.get(LONG, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new GlobalMemoryMismatchException(file, "magic", "\"ARCHIPEL\" (0x" + Long.toHexString(MAGIC) + ")",
                "0x" + Long.toHexString(magic) + " (not an Archipelago memory file)");
        }
        int version = header.get(INT, VERSION_OFFSET);
        if (version != FORMAT_VERSION) {
            throw new GlobalMemoryMismatchException(file, "format version", String.valueOf(FORMAT_VERSION), version
                + (version < FORMAT_VERSION ? " (made by an older Archipelago, without the mailbox rings, the kernels' signals, the DSM's write-back journal, the URPC channels or the mailbox words' send times: remove the cluster directory "
                + "and start the cluster again)" : " (made by a newer Archipelago)"));
        }
        int headerLength = header.get(INT, HEADER_LENGTH_OFFSET);
        if (headerLength != HEADER_LENGTH) {
            throw new GlobalMemoryMismatchException(file, "header length", String.valueOf(HEADER_LENGTH), String.valueOf(headerLength));
        }
        int storedChecksum = header.get(INT, CHECKSUM_OFFSET);
        int computed = checksum(header);
        if (storedChecksum != computed) {
            throw new GlobalMemoryMismatchException(file, "header checksum", "0x" + Integer.toHexString(computed)
                + " (CRC32C of the header)", "0x" + Integer.toHexString(storedChecksum) + " (the header is corrupt)");
        }
        String name = readClusterName(header);
        if (expectedClusterName != null && !expectedClusterName.equals(name)) {
            throw new GlobalMemoryMismatchException(file, "cluster name", "'" + expectedClusterName + "'", "'" + name + "'");
        }
        long size = header.get(LONG, MEMORY_SIZE_OFFSET);
        if (fileSize < size) {
            throw new GlobalMemoryMismatchException(file, "file size", size + " bytes (the memory size in its header)",
                fileSize + " bytes (the file is truncated)");
        }
        try {
            MemoryGeometry geometry = new MemoryGeometry(size, header.get(INT, PAGE_SIZE_OFFSET), header.get(INT, BLOCK_SIZE_OFFSET),
                header.get(INT, MAX_KERNELS_OFFSET));
            if (geometry.blockCount() != header.get(INT, BLOCK_COUNT_OFFSET)
                || geometry.systemBlocks() != header.get(INT, SYSTEM_BLOCKS_OFFSET)) {
                throw new IllegalArgumentException("block count or system blocks disagree with the geometry");
            }
        } catch (IllegalArgumentException e) {
            throw new GlobalMemoryMismatchException(file, "geometry", "a consistent geometry", e.getMessage());
        }
    }

    private static int checksum(MemorySegment memory) {
        CRC32C crc = new CRC32C();
        crc.update(memory.asSlice(0, HEADER_LENGTH).asByteBuffer());
        return (int) crc.getValue();
    }

    private static String readClusterName(MemorySegment header) {
        byte[] bytes = header.asSlice(CLUSTER_NAME_OFFSET, CLUSTER_NAME_BYTES).toArray(ValueLayout.JAVA_BYTE);
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++;
        }
        return new String(bytes, 0, length, StandardCharsets.UTF_8);
    }

    public Path file() {
        return file;
    }

    /** The whole of global memory. */
    public MemorySegment segment() {
        return memory;
    }

    public MemoryGeometry geometry() {
        return geometry;
    }

    public String clusterName() {
        return clusterName;
    }

    public long clusterId() {
        return clusterId;
    }

    /** How many kernels the cluster was configured with: the initial even split of blocks is among them. */
    public int expectedKernels() {
        return expectedKernels;
    }

    public long createdAtMs() {
        return createdAtMs;
    }

    public BlockOwnershipTable ownership() {
        return ownership;
    }

    /** The even share of data blocks each configured kernel claims at boot. */
    public int initialShare() {
        return geometry.dataBlocks() / expectedKernels;
    }

    /** The DSM's directory: which kernel holds each page of a software-coherent region. */
    public PageDirectory pageDirectory() {
        return pageDirectory;
    }

    /** The DSM's write-back journal: redo records that make a page's write-back atomic for a recovering kernel. */
    public WriteBackJournal writeBackJournal() {
        return writeBackJournal;
    }

    /**
     * The mailbox rings area (the interconnect lays out its rings in it, see
     * {@link GlobalMemoryLayout#mailboxRingsBytes}).
     */
    public MemorySegment mailboxRings() {
        return memory.asSlice(GlobalMemoryLayout.mailboxRingsOffset(geometry.pageSize(), geometry.blockSize(), geometry.blockCount(),
            geometry.maxKernels()), GlobalMemoryLayout.mailboxRingsBytes(geometry.maxKernels()));
    }

    /**
     * The URPC channels area (the interconnect lays out its rings in it, see
     * {@link GlobalMemoryLayout#urpcChannelsBytes}).
     */
    public MemorySegment urpcChannels() {
        return memory.asSlice(GlobalMemoryLayout.urpcChannelsOffset(geometry.pageSize(), geometry.blockSize(), geometry.blockCount(),
            geometry.maxKernels()), GlobalMemoryLayout.urpcChannelsBytes(geometry.maxKernels()));
    }

    /** The page frame number of a byte offset in global memory. */
    public long pageFrame(long offset) {
        return offset / geometry.pageSize();
    }

    public KernelCountersArea countersArea(int kernelId) {
        if (kernelId < 0 || kernelId >= geometry.maxKernels()) {
            throw new IndexOutOfBoundsException("kernel id " + kernelId + " is outside 0.." + (geometry.maxKernels() - 1)
                + " (max kernels of this memory)");
        }
        return new KernelCountersArea(memory.asSlice(countersOffset + (long) kernelId * KernelCountersArea.AREA_BYTES,
            KernelCountersArea.AREA_BYTES), kernelId);
    }

    /** One page block of memory. */
    public MemorySegment block(int block) {
        if (block < ownership.firstDataBlock() || block >= geometry.blockCount()) {
            throw new IndexOutOfBoundsException("block " + block + " is not a data block: data blocks are "
                + ownership.firstDataBlock() + ".." + (geometry.blockCount() - 1));
        }
        return memory.asSlice(geometry.blockOffset(block), geometry.blockSize());
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GlobalMemory[" + file + ", cluster " + clusterName + ", " + geometry + "]";
    }
}
