package io.archipelago.coordinator.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfigLoader;
import io.archipelago.directory.ClusterDirectory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class LocalKernelLauncherTest {

    @TempDir
    Path root;

    private LocalKernelLauncher launcher(ClusterConfig config) {
        // a class path of a directory: no class-data archive to dump
        return new LocalKernelLauncher(config, new ClusterDirectory(root.resolve(config.cluster()), config.cluster()), Path.of("java"),
            root.toString(), List.of("-Dtest.option=1"));
    }

    @Test
    void eachKernelGetsItsContextAsOneSetOfFlagsAndTheMailboxPollIsOneOfThem() {
        ClusterConfig config = ClusterConfigLoader.parse("""
            cluster: flags
            mailbox: {transport: unix, fifo-depth: 8, loop-spin-us: 0, loop-poll: always}
            heartbeat: {interval-ms: 300, dead-after-ms: 3000}
            balloon: {request-timeout-ms: 2000, migrate-max-pages: 7}
            """, "flags.yaml");
        LocalKernelLauncher launcher = launcher(config);
        ClusterConfig.KernelSpec weak = config.kernels().get(1);
        String command = " " + String.join(" ", launcher.command(weak)) + " ";

        assertThat(command).contains(" --cluster flags ", " --kernel-id 1 ", " --name weak-0 ", " --island weak ", " --data-model armv7 ",
            " --speed 0.25 ", " --domain b ", " --power-model cortex-m3 ", " --transport unix ", " --fifo-depth 8 ", " --loop-spin-us 0 ",
            " --loop-poll always ", " --heartbeat-ms 300 ", " --migrate-max-pages 7 ", " --balloon-timeout-ms 6000 ",
            " --watch-pid " + ProcessHandle.current().pid() + " ", " --directory " + root.resolve("flags") + " ");
        assertThat(command).as("no setting travels as a system property any more").doesNotContain("-Darchipelago.");
        assertThat(launcher.context(weak).mailbox().loopPoll().id()).isEqualTo("always");
    }

    @Test
    void theKernelDefaultsComeBeforeTheClustersOptionsSoThatTheClusterCanOverrideThem() {
        ClusterConfig config = ClusterConfigLoader.parse("""
            cluster: jfr
            kernel-jvm-options: [-Dio.netty.jfr.enabled=true]
            """, "jfr.yaml");
        List<String> command = launcher(config).command(config.kernels().get(0));

        int defaultAt = command.indexOf("-Dio.netty.jfr.enabled=false");
        assertThat(defaultAt).as("Netty's JFR events are off by default in %s", command).isPositive();
        assertThat(command.indexOf("-Dio.netty.jfr.enabled=true")).as("the cluster's choice, later, wins").isGreaterThan(defaultAt);
    }

    @Test
    void aSettingTheKernelWouldRefuseStopsTheLaunchWithTheKernelsMessage() {
        ClusterConfig config = ClusterConfig.builder().cluster("bad").loopPoll("sometimes").build();
        LocalKernelLauncher launcher = launcher(config);
        assertThatThrownBy(() -> launcher.command(config.kernels().get(0)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid kernel configuration")
            .hasMessageContaining("mailbox loop poll: expected idle-core or always, found 'sometimes'");
    }
}
