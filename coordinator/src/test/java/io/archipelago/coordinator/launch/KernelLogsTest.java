package io.archipelago.coordinator.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A log written by a real process in append mode, as kernels write theirs, stays bounded. */
@Timeout(60)
class KernelLogsTest {

    @TempDir
    Path dir;

    @Test
    void aLogPastItsBoundIsRotatedAndTheWriterGoesOnAtItsStart() throws Exception {
        Path log = dir.resolve("k.log");
        Files.createFile(log);
        // 64-byte lines as fast as the shell writes them, until killed
        Process writer = new ProcessBuilder("sh", "-c", "while :; do echo 012345678901234567890123456789012345678901234567890123456789abc; done")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        long bound = 256 * 1024;
        int rotations = 0;
        long largest = 0;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (rotations < 3) {
                assertThat(System.nanoTime()).as("three rotations within 30 s (rotated %d times)", rotations).isLessThan(deadline);
                largest = Math.max(largest, Files.size(log));
                if (KernelLogs.bound(log, bound)) {
                    rotations++;
                }
                Thread.sleep(10);
            }
            long afterRotation = Files.size(log);
            Thread.sleep(50);
            assertThat(Files.size(log)).as("the writer goes on in the emptied log").isGreaterThan(0);
            assertThat(afterRotation).as("size right after the last rotation").isLessThan(bound);
        } finally {
            writer.destroyForcibly();
            writer.waitFor(10, TimeUnit.SECONDS);
        }
        Path previous = KernelLogs.previous(log);
        assertThat(Files.size(previous)).as("the earlier part kept").isGreaterThan(bound);
        assertThat(Files.readAllLines(previous)).as("whole lines copied").allMatch(line -> line.endsWith("abc"));
        // a sparse file (a writer not in append mode) would keep its length: the log is really short now
        assertThat(Files.size(log)).isLessThan(Files.size(previous));
    }
}
