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
            while (rotations < 2) {
                assertThat(System.nanoTime()).as("two rotations within 30 s (rotated %d times)", rotations).isLessThan(deadline);
                largest = Math.max(largest, Files.size(log));
                if (KernelLogs.bound(log, bound)) {
                    rotations++;
                }
                Thread.sleep(10);
            }
            // stopped, the writer cannot add lines between the rotation and the look at the log
            signal("STOP", writer);
            assertThat(KernelLogs.bound(log, 0)).as("a log with lines in it is over a bound of 0").isTrue();
            assertThat(Files.size(log)).as("size right after a rotation").isZero();
            signal("CONT", writer);
            long resumed = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.size(log) == 0) {
                assertThat(System.nanoTime()).as("the writer goes on in the emptied log within 10 s").isLessThan(resumed);
                Thread.sleep(1);
            }
            assertThat(largest).as("largest size seen: the bound plus what was written between two checks").isGreaterThan(bound);
        } finally {
            writer.destroyForcibly();
            writer.waitFor(10, TimeUnit.SECONDS);
        }
        Path previous = KernelLogs.previous(log);
        assertThat(Files.size(previous)).as("the earlier part kept").isPositive();
        assertThat(Files.readAllLines(previous)).as("whole lines copied").allMatch(line -> line.endsWith("abc"));
        // a writer not in append mode would have gone on at its old offset, leaving a hole of zeros before its lines
        assertThat(Files.readAllLines(log).getFirst()).as("the first line after the rotation").endsWith("abc");
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s", signal).isZero();
    }
}
