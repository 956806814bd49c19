package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.junit.ClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A kernel whose launcher is gone stops: even when the launcher died while the kernel was still
 * booting (it used to notice, stop beating, and then run on for good once booted: an orphan no
 * coordinator watches).
 */
@ExtendWith(ClusterExtension.class)
class OrphanKernelIT {

    @Test
    @Timeout(240)
    void aKernelWhoseLauncherDiedWhileItBootedStopsOnceUp(MiniCluster cluster) throws Exception {
        Process launcher = new ProcessBuilder("true").start();
        assertThat(launcher.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long gone = launcher.pid(); // gone before the kernel's first heartbeat: it notices while it boots

        List<String> command = Cli.javaCommand(KernelMain.class.getName());
        command.addAll(List.of("--cluster", cluster.coordinator().config().cluster(), "--directory",
            cluster.coordinator().directory().path().toString(), "--kernel-id", "5", "--name", "orphan-5", "--island", "strong",
            "--data-model", "x86_64", "--cores", "1", "--speed", "1.0", "--domain", "a", "--power-model", "cortex-a9",
            "--heartbeat-ms", "200", "--watch-pid", Long.toString(gone)));
        Path log = Files.createTempFile("orphan-kernel", ".log");
        Process kernel = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean exited = kernel.waitFor(150, TimeUnit.SECONDS);
            String output = Files.readString(log);
            assertThat(exited).as("the kernel stopped on its own; its log:\n" + output).isTrue();
            assertThat(output).contains("its launcher (pid " + gone + ") is gone; stopping").contains("kernel orphan-5 stopped");
        } finally {
            kernel.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
