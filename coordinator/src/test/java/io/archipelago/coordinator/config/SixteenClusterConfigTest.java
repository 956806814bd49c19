package io.archipelago.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * clusters/sixteen.yaml, the scale cluster of the README, loads: sixteen kernels on four islands, and
 * the kernel JVM options that trade speed for memory there (C1 only, a small young generation) stay
 * out of the default options every other cluster and the benches run with.
 */
@Timeout(30)
class SixteenClusterConfigTest {

    @Test
    void sixteenKernelsOnFourIslandsWithItsOwnMemorySavingJvmOptions() {
        ClusterConfig config = ClusterConfigLoader.load(Path.of("..", "clusters", "sixteen.yaml"));
        assertThat(config.cluster()).isEqualTo("sixteen");
        assertThat(config.kernels()).hasSize(16);
        assertThat(config.islands()).extracting(IslandConfig::dataModel).containsExactly("x86_64", "armv7", "ppc32", "aarch64");
        assertThat(config.kernelJvmOptions()).contains("-XX:TieredStopAtLevel=1", "-Xmn2m", "-XX:+UseSerialGC");
        assertThat(ClusterConfig.DEFAULT_KERNEL_JVM_OPTIONS).doesNotContain("-XX:TieredStopAtLevel=1", "-Xmn2m");
    }
}
