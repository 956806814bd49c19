package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class GlobalMemoryTest {

    private static final MemoryGeometry SMALL = new MemoryGeometry(16L * 1024 * 1024, 4096, 1024 * 1024, 8);

    @TempDir
    Path dir;

    @Test
    void createdMemoryAttachesWithTheSameHeader() {
        Path file = dir.resolve("memory.img");
        try (GlobalMemory created = GlobalMemory.create(file, "k2", SMALL, 2);
             GlobalMemory attached = GlobalMemory.attach(file, "k2")) {
            assertThat(attached.geometry()).isEqualTo(SMALL);
            assertThat(attached.clusterName()).isEqualTo("k2");
            assertThat(attached.clusterId()).isEqualTo(created.clusterId());
            assertThat(attached.expectedKernels()).isEqualTo(2);
            assertThat(attached.initialShare()).isEqualTo(SMALL.dataBlocks() / 2);
            // Both mappings see the same bytes: a write through one is read through the other.
            created.block(SMALL.systemBlocks()).set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);
            assertThat(attached.block(SMALL.systemBlocks()).get(java.lang.foreign.ValueLayout.JAVA_LONG, 8)).isEqualTo(0x1122334455667788L);
        }
        assertThat(Files.exists(dir.resolve("memory.img.creating"))).isFalse();
    }

    @Test
    void systemBlocksAreOwnedBySystemAndDataBlocksStartFree() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", SMALL, 2)) {
            BlockOwnershipTable table = memory.ownership();
            for (int block = 0; block < SMALL.systemBlocks(); block++) {
                assertThat(table.owner(block)).isEqualTo(BlockOwnershipTable.SYSTEM);
            }
            assertThat(table.freeBlocks()).isEqualTo(SMALL.dataBlocks());
            assertThatThrownBy(() -> table.transfer(0, BlockOwnershipTable.SYSTEM, 1)).hasMessageContaining("system block");
            assertThatThrownBy(() -> memory.block(0)).hasMessageContaining("not a data block");
        }
    }

    @Test
    void createNeverOverwritesAnExistingFile() throws IOException {
        Path file = dir.resolve("memory.img");
        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> GlobalMemory.create(file, "k2", SMALL, 2)).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("already exists");
        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
    }

    @Test
    void refusesAForeignFileNamingTheMagic() throws Exception {
        Path file = dir.resolve("memory.img");
        byte[] garbage = new byte[64 * 1024];
        new Random(7).nextBytes(garbage);
        Files.write(file, garbage);
        String before = digest(file);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("magic");
            assertThat(e.getMessage()).contains("ARCHIPEL").contains("not an Archipelago memory file").contains(file.toString());
        });
        assertThat(digest(file)).isEqualTo(before);
    }

    @Test
    void refusesATinyFile() throws Exception {
        Path file = dir.resolve("memory.img");
        Files.write(file, new byte[12]);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class,
            e -> assertThat(e.getMessage()).contains("file size").contains("12 bytes"));
    }

    @Test
    void refusesAnotherClustersMemoryNamingBothClusters() throws Exception {
        Path file = dir.resolve("memory.img");
        GlobalMemory.create(file, "other", SMALL, 1).close();
        String before = digest(file);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("cluster name");
            assertThat(e.expected()).isEqualTo("'k2'");
            assertThat(e.found()).isEqualTo("'other'");
        });
        assertThat(digest(file)).isEqualTo(before);
    }

    @Test
    void refusesAnotherFormatVersion() throws Exception {
        Path file = dir.resolve("memory.img");
        GlobalMemory.create(file, "k2", SMALL, 1).close();
        patchInt(file, GlobalMemoryLayout.VERSION_OFFSET, 99);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("format version");
            assertThat(e.expected()).isEqualTo(String.valueOf(GlobalMemoryLayout.FORMAT_VERSION));
            assertThat(e.found()).startsWith("99 ").contains("newer");
        });
    }

    @Test
    void refusesAFileOfTheFormatBeforeTheMailboxRingsWithTheRemedy() throws Exception {
        Path file = dir.resolve("memory.img");
        GlobalMemory.create(file, "k2", SMALL, 1).close();
        patchInt(file, GlobalMemoryLayout.VERSION_OFFSET, 1);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("format version");
            assertThat(e.found()).startsWith("1 ").contains("older", "remove the cluster directory");
        });
    }

    @Test
    void mailboxRingsLieInTheSystemBlocksAfterTheDevices() {
        MemoryGeometry geometry = SMALL;
        long rings = GlobalMemoryLayout.mailboxRingsOffset(geometry.pageSize(), geometry.blockSize(), geometry.blockCount(),
            geometry.maxKernels());
        assertThat(rings).isGreaterThanOrEqualTo(GlobalMemoryLayout.deviceAreaOffset(geometry.pageSize(), geometry.blockSize(),
            geometry.blockCount(), geometry.maxKernels()) + DeviceMemory.AREA_BYTES);
        assertThat(rings + GlobalMemoryLayout.mailboxRingsBytes(geometry.maxKernels()))
            .isLessThanOrEqualTo((long) geometry.systemBlocks() * geometry.blockSize());
        assertThat(GlobalMemoryLayout.mailboxRingsBytes(64)).isEqualTo(64 * 64 + 64L * 64 * 320);
    }

    @Test
    void urpcChannelsLieInTheSystemBlocksAfterTheMailboxRings() {
        MemoryGeometry geometry = SMALL;
        long rings = GlobalMemoryLayout.mailboxRingsOffset(geometry.pageSize(), geometry.blockSize(), geometry.blockCount(),
            geometry.maxKernels());
        long urpc = GlobalMemoryLayout.urpcChannelsOffset(geometry.pageSize(), geometry.blockSize(), geometry.blockCount(),
            geometry.maxKernels());
        assertThat(urpc).isGreaterThanOrEqualTo(rings + GlobalMemoryLayout.mailboxRingsBytes(geometry.maxKernels()));
        assertThat(urpc % geometry.pageSize()).isZero();
        assertThat(urpc + GlobalMemoryLayout.urpcChannelsBytes(geometry.maxKernels()))
            .isLessThanOrEqualTo((long) geometry.systemBlocks() * geometry.blockSize());
        assertThat(GlobalMemoryLayout.urpcChannelsBytes(64)).isEqualTo(64 * 64 + 64L * 64 * (192 + 16 * 64));
    }

    @Test
    void refusesACorruptHeaderByItsChecksum() throws Exception {
        Path file = dir.resolve("memory.img");
        GlobalMemory.create(file, "k2", SMALL, 1).close();
        patchInt(file, GlobalMemoryLayout.BLOCK_SIZE_OFFSET, 2 * 1024 * 1024);
        String before = digest(file);
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("header checksum");
            assertThat(e.found()).contains("corrupt");
        });
        assertThat(digest(file)).isEqualTo(before);
    }

    @Test
    void refusesATruncatedFileNamingBothSizes() throws Exception {
        Path file = dir.resolve("memory.img");
        GlobalMemory.create(file, "k2", SMALL, 1).close();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(SMALL.memoryBytes() / 2);
        }
        assertThatThrownBy(() -> GlobalMemory.attach(file, "k2")).isInstanceOfSatisfying(GlobalMemoryMismatchException.class, e -> {
            assertThat(e.field()).isEqualTo("file size");
            assertThat(e.expected()).startsWith(Long.toString(SMALL.memoryBytes()));
            assertThat(e.found()).startsWith(Long.toString(SMALL.memoryBytes() / 2)).contains("truncated");
        });
    }

    @Test
    void aMissingFileSaysTheClusterIsNotRunning() {
        assertThatThrownBy(() -> GlobalMemory.attach(dir.resolve("memory.img"), "k2")).isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("no global memory at").hasMessageContaining("is the cluster running");
    }

    @Test
    void geometryRejectsInconsistentValuesWithTheirNumbers() {
        assertThatThrownBy(() -> new MemoryGeometry(16L << 20, 3000, 1 << 20, 8)).hasMessageContaining("page size").hasMessageContaining("3000");
        assertThatThrownBy(() -> new MemoryGeometry(16L << 20, 4096, 2048, 8)).hasMessageContaining("block size");
        assertThatThrownBy(() -> new MemoryGeometry((16L << 20) + 1, 4096, 1 << 20, 8)).hasMessageContaining("multiple of the block size");
        assertThatThrownBy(() -> new MemoryGeometry(1L << 20, 4096, 1 << 20, 8)).hasMessageContaining("leaves no data block");
    }

    private static void patchInt(Path file, int offset, int value) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value), offset);
        }
    }

    private static String digest(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
