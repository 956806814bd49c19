package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.archipelago.directory.Membership;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster on a tmpfs too small for it fails when it is created, with the sizes, instead of a
 * {@code SIGBUS} at the first touch of a page past the end of the tmpfs. On a real 8 MiB tmpfs,
 * mounted by the test: it needs root (CI runs as root); elsewhere it is skipped, saying why.
 */
@Timeout(60)
class FullTmpfsTest {

    private static final long MIB = 1024 * 1024;

    @TempDir
    Path parent;
    private Path tmpfs;
    private boolean mounted;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        tmpfs = Files.createDirectory(parent.resolve("small"));
        String problem = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", tmpfs.toString());
        mounted = problem == null;
        assumeTrue(mounted, () -> "cannot mount an 8 MiB tmpfs (the test needs root): " + problem);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            String problem = run("umount", tmpfs.toString());
            assertThat(problem).as("unmounting the test's tmpfs").isNull();
        }
    }

    @Test
    void globalMemoryLargerThanTheTmpfsIsRefusedAtCreationWithTheSizes() throws IOException {
        Path file = tmpfs.resolve("memory.img");
        MemoryGeometry tooLarge = new MemoryGeometry(16 * MIB, 4096, (int) MIB, 4);
        assertThatThrownBy(() -> GlobalMemory.create(file, "small", tooLarge, 1))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("global memory needs 16777216 bytes (16 MiB)")
            .hasMessageContaining("MiB free of 8 MiB")
            .hasMessageContaining("make the tmpfs larger");
        try (var files = Files.list(tmpfs)) {
            assertThat(files.toList()).as("nothing left behind").isEmpty();
        }

        // What fits is allocated in full: the tmpfs's space is taken now, not at first touch.
        MemoryGeometry fits = new MemoryGeometry(4 * MIB, 4096, (int) MIB, 4);
        long freeBefore = Files.getFileStore(tmpfs).getUsableSpace();
        try (GlobalMemory memory = GlobalMemory.create(file, "small", fits, 1)) {
            long taken = freeBefore - Files.getFileStore(tmpfs).getUsableSpace();
            assertThat(taken).as("bytes of the tmpfs taken by a 4 MiB global memory").isGreaterThanOrEqualTo(4 * MIB);
        }
    }

    @Test
    void aChronicleMapThatDoesNotFitIsRefusedAtCreation() throws IOException {
        // fill the tmpfs, leaving less than a membership map needs
        Path filler = tmpfs.resolve("filler");
        try (var channel = java.nio.channels.FileChannel.open(filler, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
            FileAllocation.allocate(filler, channel, 8 * MIB - 64 * 1024, "filler");
        }
        assertThatThrownBy(() -> Membership.create(tmpfs.resolve("membership.cm")))
            .hasMessageContaining("membership map")
            .hasMessageContaining("space");
    }

    /** Runs a command; null when it succeeds, else what it printed. */
    private static String run(String... command) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return String.join(" ", command) + " did not finish within 20 s";
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return process.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + process.exitValue() + ": " + output;
    }
}
