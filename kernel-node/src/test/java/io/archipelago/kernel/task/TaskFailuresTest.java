package io.archipelago.kernel.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class TaskFailuresTest {

    @Test
    void keepsTheMessageAndStackTraceUntilForgotten(@TempDir Path dir) {
        TaskFailures failures = new TaskFailures(dir.resolve("task-failures"));
        assertThat(failures.read(7)).isEmpty();

        failures.record(7, new IllegalStateException("node 3 is corrupt", new ArithmeticException("/ by zero")));
        String text = failures.read(7).orElseThrow();
        assertThat(text).startsWith("java.lang.IllegalStateException: node 3 is corrupt")
            .contains("at io.archipelago.kernel.task.TaskFailuresTest.keepsTheMessageAndStackTraceUntilForgotten(TaskFailuresTest.java:")
            .contains("Caused by: java.lang.ArithmeticException: / by zero");
        assertThat(failures.read(8)).isEmpty();

        failures.forget(7);
        assertThat(failures.read(7)).isEmpty();
    }

    @Test
    void aRunawayStackTraceIsCut() {
        String text = TaskFailures.describe(new IllegalStateException("x".repeat(TaskFailures.MAX_CHARS * 2)));
        assertThat(text).hasSizeLessThan(TaskFailures.MAX_CHARS + 100).endsWith("(cut at " + TaskFailures.MAX_CHARS + " characters)");
    }
}
