package io.archipelago.kernel.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class TaskFailuresTest {

    @Test
    void keepsTheMessageAndStackTraceUntilForgotten(@TempDir Path dir) {
        TaskFailures failures = new TaskFailures(dir.resolve("task-failures"));
        assertThat(failures.read(7)).isEmpty();

        failures.record(7, 5, 0, -1, "walker", new IllegalStateException("node 3 is corrupt", new ArithmeticException("/ by zero")));
        String text = failures.read(7).orElseThrow();
        assertThat(text).startsWith("java.lang.IllegalStateException: node 3 is corrupt")
            .contains("at io.archipelago.kernel.task.TaskFailuresTest.keepsTheMessageAndStackTraceUntilForgotten(TaskFailuresTest.java:")
            .contains("Caused by: java.lang.ArithmeticException: / by zero");
        assertThat(failures.read(8)).isEmpty();

        failures.forget(7);
        assertThat(failures.read(7)).isEmpty();
        assertThat(failures.reclaimed()).singleElement().satisfies(gone -> {
            assertThat(List.of(gone.tid(), gone.pid(), gone.kernelId(), gone.exitCode())).containsExactly(7, 5, 0, -1);
            assertThat(gone.program()).isEqualTo("walker");
            assertThat(gone.failure()).isEqualTo(text);
        });
        failures.forget(8); // no failure: nothing to keep
        assertThat(failures.reclaimed()).hasSize(1);
    }

    @Test
    void keepsOnlyTheNewestReclaimedFailures(@TempDir Path dir) throws Exception {
        TaskFailures failures = new TaskFailures(dir.resolve("task-failures"), 3);
        for (int tid = 1; tid <= 5; tid++) {
            failures.record(tid, tid, 1, -1, "thrower", new IllegalStateException("failure " + tid));
            failures.forget(tid);
            // names sort by the millisecond of the reclaim: give each its own
            long now = System.currentTimeMillis();
            while (System.currentTimeMillis() == now) {
                Thread.onSpinWait();
            }
        }
        assertThat(failures.reclaimed()).extracting(TaskFailures.Reclaimed::tid).containsExactly(5, 4, 3);
        try (var files = Files.list(dir.resolve("task-failures"))) {
            assertThat(files.count()).as("the directory stays bounded").isEqualTo(3);
        }
    }

    @Test
    void aRunawayStackTraceIsCut() {
        String text = TaskFailures.describe(new IllegalStateException("x".repeat(TaskFailures.MAX_CHARS * 2)));
        assertThat(text).hasSizeLessThan(TaskFailures.MAX_CHARS + 100).endsWith("(cut at " + TaskFailures.MAX_CHARS + " characters)");
    }
}
