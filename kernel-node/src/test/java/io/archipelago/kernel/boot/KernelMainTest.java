package io.archipelago.kernel.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.kernel.KernelConfiguration;
import io.archipelago.kernel.KernelContext;
import java.nio.file.Path;
import java.time.Duration;
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

    @Test
    void theFlagsALauncherGeneratesFromAContextGiveTheKernelTheSameContext(@TempDir Path dir) {
        KernelContext sent = new KernelContext().clusterName("flags").directory(dir).kernelId(3).kernelName("weak-1").island("weak")
            .dataModel("armv7").cores(2).speed(0.25).coherenceDomain("b").powerModel("cortex-m3").transport("unix").fifoDepth(8)
            .heartbeatInterval(Duration.ofMillis(300)).initialBlocks(5).migrateMaxPages(7).balloonRequestTimeout(Duration.ofSeconds(9))
            .watchPid(12345);
        sent.mailbox().loopSpin(Duration.ofNanos(20_000)).loopPoll("always");
        sent.conclude();

        KernelMain main = new KernelMain();
        new CommandLine(main).parseArgs(KernelMain.arguments(sent).toArray(String[]::new));
        KernelContext received = main.context().conclude();

        assertThat(received.clusterName()).isEqualTo("flags");
        assertThat(received.directory()).isEqualTo(dir);
        assertThat(received.kernelId()).isEqualTo(3);
        assertThat(received.kernelName()).isEqualTo("weak-1");
        assertThat(received.island()).isEqualTo("weak");
        assertThat(received.dataModel().id()).isEqualTo("armv7");
        assertThat(received.cores()).isEqualTo(2);
        assertThat(received.speed()).isEqualTo(0.25);
        assertThat(received.coherenceDomain()).isEqualTo("b");
        assertThat(received.powerModel()).isEqualTo("cortex-m3");
        assertThat(received.transport()).isEqualTo("unix");
        assertThat(received.fifoDepth()).isEqualTo(8);
        assertThat(received.mailbox().loopSpin()).isEqualTo(Duration.ofNanos(20_000));
        assertThat(received.mailbox().loopPoll()).isEqualTo(MailboxContext.LoopPoll.ALWAYS);
        assertThat(received.heartbeatInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(received.initialBlocks()).isEqualTo(5);
        assertThat(received.migrateMaxPages()).isEqualTo(7);
        assertThat(received.balloonRequestTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(received.watchPid()).isEqualTo(12345);
    }

    @Test
    void withoutFlagsEveryOptionDefaultsToTheContextsSettingItsPropertyIncluded() {
        String saved = System.getProperty(KernelConfiguration.ISLAND_PROP);
        System.setProperty(KernelConfiguration.ISLAND_PROP, "tiny");
        try {
            KernelMain main = new KernelMain();
            new CommandLine(main).parseArgs();
            assertThat(main.context().island()).as("the property, which KernelMain's own default used to override").isEqualTo("tiny");
            assertThat(main.context().dsmTimeout()).isEqualTo(KernelConfiguration.DSM_TIMEOUT_DEFAULT);
        } finally {
            if (saved == null) {
                System.clearProperty(KernelConfiguration.ISLAND_PROP);
            } else {
                System.setProperty(KernelConfiguration.ISLAND_PROP, saved);
            }
        }
    }

    @Test
    void thePlatformAndTheKernelsDomainsReachTheKernelAndItsMailbox(@TempDir Path dir) {
        io.archipelago.interconnect.platform.Platform model = io.archipelago.interconnect.platform.Platform.OMAP4
            .withPair("a", "c", new io.archipelago.interconnect.platform.Platform.Costs(2_000, 10, 20, 30));
        KernelContext sent = new KernelContext().clusterName("flags").directory(dir).kernelId(1).coherenceDomain("b")
            .platform(model).kernelDomains(java.util.List.of("a", "b", "c", "b"));
        sent.conclude();
        KernelMain main = new KernelMain();
        new CommandLine(main).parseArgs(KernelMain.arguments(sent).toArray(String[]::new));
        KernelContext received = main.context().conclude();
        assertThat(received.platform()).isEqualTo(model);
        assertThat(received.kernelDomains()).containsExactly("a", "b", "c", "b");
        assertThat(received.mailbox().wordLatency().applyAsLong(0)).as("b to a: between domains").isEqualTo(500);
        assertThat(received.mailbox().wordLatency().applyAsLong(3)).as("b to b: within one").isZero();
        assertThat(received.mailbox().wordLatency().applyAsLong(9)).as("a peer the cluster did not configure").isEqualTo(500);

        KernelContext host = new KernelContext().clusterName("flags").directory(dir).kernelId(1).kernelDomains(java.util.List.of("a", "b"));
        host.conclude();
        assertThat(KernelMain.arguments(host)).as("the host platform adds no flag").doesNotContain("--platform", "--kernel-domains");
        assertThat(host.mailbox().wordLatency().applyAsLong(0)).isZero();
    }

    @Test
    void aBadPlatformIsAConfigurationError() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            assertThat(new CommandLine(new KernelMain()).execute("--platform", "omap5")).isEqualTo(KernelMain.EXIT_CONFIG);
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.toString()).contains("unknown platform 'omap5'");
    }
}
