package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.testing.MiniCluster;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real kernel process refuses a global memory file that is not its cluster's, and writes nothing to it. */
@Timeout(120)
class ForeignMemoryIT {

    private Path home;
    private ClusterDirectory directory;

    @BeforeEach
    void cluster() throws Exception {
        home = MiniCluster.newRoot();
        directory = ClusterDirectory.under(home, "k2");
        Files.createDirectories(directory.path());
        ClusterSecret.generate().writeTo(directory.secretFile());
        Membership.create(directory.membershipFile()).close();
    }

    @AfterEach
    void cleanUp() {
        MiniCluster.deleteRecursively(home);
    }

    @Test
    void aFileOfRandomBytesIsRefusedByItsMagic() throws Exception {
        byte[] garbage = new byte[1 << 20];
        new Random(42).nextBytes(garbage);
        Files.write(directory.memoryFile(), garbage);
        assertRefused("magic", "not an Archipelago memory file");
    }

    @Test
    void anotherClustersMemoryIsRefusedByItsName() throws Exception {
        GlobalMemory.create(directory.memoryFile(), "someone-else", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 1).close();
        assertRefused("cluster name", "'someone-else'");
    }

    @Test
    void aTruncatedFileIsRefusedBySize() throws Exception {
        GlobalMemory.create(directory.memoryFile(), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 1).close();
        try (RandomAccessFile file = new RandomAccessFile(directory.memoryFile().toFile(), "rw")) {
            file.setLength(8L << 20);
        }
        assertRefused("file size", "truncated");
    }

    @Test
    void aCorruptHeaderIsRefusedByItsChecksum() throws Exception {
        GlobalMemory.create(directory.memoryFile(), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 1).close();
        try (RandomAccessFile file = new RandomAccessFile(directory.memoryFile().toFile(), "rw")) {
            file.seek(60); // inside the memory size field
            file.write(0x7f);
        }
        assertRefused("header checksum", "corrupt");
    }

    private void assertRefused(String field, String detail) throws Exception {
        String before = digest(directory.memoryFile());
        List<String> command = Cli.javaCommand(KernelMain.class.getName());
        command.addAll(List.of("--cluster", "k2", "--directory", directory.path().toString(), "--kernel-id", "0",
            "--attach-timeout-ms", "5000"));
        Path err = Files.createTempFile("kernel", ".err");
        Process kernel = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        try {
            assertThat(kernel.waitFor(60, TimeUnit.SECONDS)).as("the kernel exits").isTrue();
            String output = Files.readString(err);
            assertThat(kernel.exitValue()).as(output).isEqualTo(KernelMain.EXIT_BOOT);
            assertThat(output).contains("refusing to attach").contains(field).contains(detail).contains("expected")
                .doesNotContain("\tat ");
        } finally {
            kernel.destroyForcibly();
            Files.deleteIfExists(err);
        }
        assertThat(digest(directory.memoryFile())).as("the kernel wrote nothing to the file").isEqualTo(before);
        try (Membership membership = Membership.open(directory.membershipFile())) {
            assertThat(membership.all()).as("the kernel did not register").isEmpty();
        }
    }

    private static String digest(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
