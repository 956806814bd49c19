package io.archipelago.kernel.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(30)
class KernelMainTest {

    @Test
    void badConfigurationExitsWithCode2AndListsEveryProblem() {
        StringWriter err = new StringWriter();
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            CommandLine cli = new CommandLine(new KernelMain());
            cli.setErr(new PrintWriter(err));
            int code = cli.execute("--data-model", "sparc64", "--cores", "0", "--transport", "smoke-signals",
                "--fifo-depth", "0");
            assertThat(code).isEqualTo(KernelMain.EXIT_CONFIG);
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString())
            .contains("unknown data model 'sparc64'")
            .contains("cores: expected 1 to 256, found 0")
            .contains("mailbox transport: expected 'shm', 'tcp' or 'unix', found 'smoke-signals'")
            .contains("mailbox FIFO depth: expected 1 to 1024 words, found 0");
    }

    @Test
    void aKernelWithNoClusterGivesUpAfterItsDeadline(@TempDir Path dir) {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        long start = System.nanoTime();
        try {
            int code = new CommandLine(new KernelMain()).execute("--directory", dir.toString(), "--attach-timeout-ms", "300");
            assertThat(code).isEqualTo(KernelMain.EXIT_BOOT);
        } finally {
            System.setErr(saved);
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
        assertThat(captured.toString()).contains("did not appear").contains("memory.img").contains("300 ms");
    }
}
