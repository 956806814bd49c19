package io.archipelago.memory;

/**
 * Byte layout of the global memory file ({@code memory.img} in the cluster directory). All
 * multi-byte fields of the header, the ownership table and the counters are little-endian,
 * whatever the data model of the island that reads them: they are the platform's, not a
 * kernel's.
 *
 * <pre>
 *  offset 0                                                           (one page: the header)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                    magic "ARCHIPEL" (8 bytes)                 |  0
 *  +---------------------------------------------------------------+
 *  |                       magic (cont.)                           |
 *  +---------------------------------------------------------------+
 *  |                      format version                           |  8
 *  +---------------------------------------------------------------+
 *  |                 header length (bytes covered by CRC)          | 12
 *  +---------------------------------------------------------------+
 *  |                cluster id (64-bit, random at creation)        | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |          cluster name (32 bytes UTF-8, NUL padded)            | 24
 *  |                              ...                              |
 *  +---------------------------------------------------------------+
 *  |                   memory size in bytes (64-bit)               | 56
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                         page size                             | 64
 *  +---------------------------------------------------------------+
 *  |                         block size                            | 68
 *  +---------------------------------------------------------------+
 *  |                         block count                           | 72
 *  +---------------------------------------------------------------+
 *  |                         max kernels                           | 76
 *  +---------------------------------------------------------------+
 *  |              expected kernels (initial block split)           | 80
 *  +---------------------------------------------------------------+
 *  |              system blocks (header, table, counters)          | 84
 *  +---------------------------------------------------------------+
 *  |               ownership table offset (64-bit)                 | 88
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               counters area offset (64-bit)                   | 96
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 created at, epoch ms (64-bit)                 | 104
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                page directory offset (64-bit)                 | 112
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  CRC32C of bytes [0, 120)                     | 120
 *  +---------------------------------------------------------------+
 *  |                  reserved up to the page size                 | 124
 *  +---------------------------------------------------------------+
 *
 *  offset = page size: the block ownership table, one signed 32-bit entry per block
 *  +---------------+---------------+---------------+-----
 *  | owner block 0 | owner block 1 | owner block 2 | ...      owner: kernel id >= 0,
 *  +---------------+---------------+---------------+-----     FREE (-1) = the free pool,
 *                                                              SYSTEM (-2) = the blocks above,
 *                                                              -3 - k = RETAINED(k): kept for dead
 *                                                              kernel k's registered typed regions
 *
 *  counters area offset (page aligned): max kernels x KernelCountersArea.AREA_BYTES,
 *  one area per kernel id (layout in KernelCountersArea)
 *
 *  page directory offset (page aligned): one 64-bit entry per page of memory, the DSM's
 *  directory of which kernel holds each page of a software-coherent region (layout in
 *  PageDirectory)
 *
 *  device area offset (page aligned, right after the page directory): the emulated devices'
 *  registers and the NIC's receive ring, DeviceMemory.AREA_BYTES (layout in DeviceMemory)
 *
 *  mailbox rings offset (page aligned, right after the device area): the mailbox's words where
 *  both ends map this file, mailboxRingsBytes(max kernels) (layout in the interconnect's
 *  MailboxRings):
 *  +-------------------------------------------------------------------------+
 *  | member line 0 | member line 1 | ... | member line max-1 |   64 bytes each: a receiver's
 *  +-------------------------------------------------------------------------+   wake state
 *  | ring 0->0 | ring 0->1 | ... | ring 0->max-1 | ring 1->0 | ... | ring max-1->max-1 |
 *  +-------------------------------------------------------------------------+
 *    MAILBOX_RING_BYTES each; ring (sender s, receiver r) is number s * max kernels + r
 *
 *  write-back journal offset (page aligned, right after the mailbox rings): the DSM's redo
 *  records that make a page's write-back atomic for a kernel that recovers it after its holder
 *  died mid-copy, WriteBackJournal.bytes(page size, max kernels) (layout in WriteBackJournal)
 *
 *  URPC channels offset (page aligned, right after the write-back journal): the message channel's
 *  rings of cache-line slots, urpcChannelsBytes(max kernels) (layout in the interconnect's
 *  UrpcChannels and UrpcRing):
 *  +-------------------------------------------------------------------------+
 *  | wake line 0 | wake line 1 | ... | wake line max-1 |   64 bytes each: a receiver's
 *  +-------------------------------------------------------------------------+   wake state
 *  | channel 0->0 | channel 0->1 | ... | channel max-1->max-1 |  URPC_CHANNEL_BYTES each
 *  +-------------------------------------------------------------------------+
 *    channel (sender s, receiver r) is number s * max kernels + r: 3 lines of indices,
 *    then URPC_SLOTS slots of 64 bytes, each slot's last 8 bytes its sequence word
 *
 *  system blocks x block size: the first data block. Every block from there on is owned
 *  by one kernel or sits in the free pool.
 * </pre>
 *
 * The header never changes after creation: the coordinator initialises the file under a
 * temporary name and renames it into place, so an attaching kernel sees either no file or a
 * complete one.
 */
public final class GlobalMemoryLayout {

    /** "ARCHIPEL" read as a little-endian 64-bit integer. */
    public static final long MAGIC = 0x4C45504948435241L;
    /**
     * 2: the mailbox rings joined the system blocks (a version 1 file has no room for them).
     * 3: each counters area's header carries its kernel's signals (asleep, IRQ waiters: {@link KernelSignals})
     * where version 2 had reserved bytes, and those facts are no longer counters; the DSM's write-back journal and the
     * URPC channels joined the system blocks.
     * 4: each mailbox ring has a fifth line, the send times of its slots' words (a modelled platform's delivery hold).
     */
    public static final int FORMAT_VERSION = 4;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int CLUSTER_ID_OFFSET = 16;
    public static final int CLUSTER_NAME_OFFSET = 24;
    public static final int CLUSTER_NAME_BYTES = 32;
    public static final int MEMORY_SIZE_OFFSET = 56;
    public static final int PAGE_SIZE_OFFSET = 64;
    public static final int BLOCK_SIZE_OFFSET = 68;
    public static final int BLOCK_COUNT_OFFSET = 72;
    public static final int MAX_KERNELS_OFFSET = 76;
    public static final int EXPECTED_KERNELS_OFFSET = 80;
    public static final int SYSTEM_BLOCKS_OFFSET = 84;
    public static final int OWNERSHIP_TABLE_OFFSET_OFFSET = 88;
    public static final int COUNTERS_OFFSET_OFFSET = 96;
    public static final int CREATED_AT_OFFSET = 104;
    public static final int PAGE_DIRECTORY_OFFSET_OFFSET = 112;
    public static final int CHECKSUM_OFFSET = 120;
    /** Bytes covered by the checksum: everything before it. */
    public static final int HEADER_LENGTH = CHECKSUM_OFFSET;

    /** One mailbox ring of one ordered pair of kernels: five cache lines (see the interconnect's MailboxRing). */
    public static final int MAILBOX_RING_BYTES = 320;
    /** One receiver's wake state in the mailbox rings area: one cache line. */
    public static final int MAILBOX_MEMBER_LINE_BYTES = 64;

    /** One URPC channel of one ordered pair of kernels: 3 lines of indices and 16 slots (see the interconnect's UrpcRing). */
    public static final int URPC_CHANNEL_BYTES = 192 + 16 * 64;
    /** One receiver's wake state in the URPC channels area: one cache line. */
    public static final int URPC_WAKE_LINE_BYTES = 64;

    /** The smallest file that can hold a header to read. */
    public static final int MIN_FILE_BYTES = 512;

    private GlobalMemoryLayout() {
    }

    public static long ownershipTableOffset(int pageSize) {
        return pageSize;
    }

    public static long countersOffset(int pageSize, int blockCount) {
        return alignUp(ownershipTableOffset(pageSize) + 4L * blockCount, pageSize);
    }

    public static long pageDirectoryOffset(int pageSize, int blockCount, int maxKernels) {
        return alignUp(countersOffset(pageSize, blockCount) + (long) maxKernels * KernelCountersArea.AREA_BYTES, pageSize);
    }

    /** Where the devices' area starts: after the page directory (see {@link DeviceMemory}). */
    public static long deviceAreaOffset(int pageSize, int blockSize, int blockCount, int maxKernels) {
        long pages = (long) blockCount * (blockSize / pageSize);
        return alignUp(pageDirectoryOffset(pageSize, blockCount, maxKernels) + pages * PageDirectory.ENTRY_BYTES, pageSize);
    }

    /** Where the mailbox rings start: after the devices' area. */
    public static long mailboxRingsOffset(int pageSize, int blockSize, int blockCount, int maxKernels) {
        return alignUp(deviceAreaOffset(pageSize, blockSize, blockCount, maxKernels) + DeviceMemory.AREA_BYTES, pageSize);
    }

    /**
     * Bytes of the mailbox rings: one wake line per kernel and one ring per ordered pair of
     * kernels, laid out in full (max kernels squared) rather than allocated as links appear, so
     * that a ring's place follows from the two ids alone and no process ever has to allocate,
     * lock or recover anything in it: 1.3 MiB for the default 64 kernels.
     */
    public static long mailboxRingsBytes(int maxKernels) {
        return (long) maxKernels * MAILBOX_MEMBER_LINE_BYTES + (long) maxKernels * maxKernels * MAILBOX_RING_BYTES;
    }

    /** Where the DSM's write-back journal starts: after the mailbox rings (see {@link WriteBackJournal}). */
    public static long writeBackJournalOffset(int pageSize, int blockSize, int blockCount, int maxKernels) {
        return alignUp(mailboxRingsOffset(pageSize, blockSize, blockCount, maxKernels) + mailboxRingsBytes(maxKernels), pageSize);
    }

    /** Where the URPC channels start: after the DSM's write-back journal. */
    public static long urpcChannelsOffset(int pageSize, int blockSize, int blockCount, int maxKernels) {
        return alignUp(writeBackJournalOffset(pageSize, blockSize, blockCount, maxKernels) + WriteBackJournal.bytes(pageSize, maxKernels),
            pageSize);
    }

    /**
     * Bytes of the URPC channels: one wake line per kernel and one channel per ordered pair of
     * kernels, laid out in full as the mailbox rings are: about 4.8 MiB for the default 64 kernels.
     */
    public static long urpcChannelsBytes(int maxKernels) {
        return (long) maxKernels * URPC_WAKE_LINE_BYTES + (long) maxKernels * maxKernels * URPC_CHANNEL_BYTES;
    }

    public static int systemBlocks(int pageSize, int blockSize, int blockCount, int maxKernels) {
        long end = urpcChannelsOffset(pageSize, blockSize, blockCount, maxKernels) + urpcChannelsBytes(maxKernels);
        return (int) (alignUp(end, blockSize) / blockSize);
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
