package io.archipelago.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** docker/cluster.yaml, the configuration the docker-compose coordinator runs, loads and says what the README says. */
@Timeout(30)
class ComposeClusterConfigTest {

    @Test
    void composeClusterIsK2WithExternalKernelsAndRoomForThreeWeakOnes() {
        ClusterConfig config = ClusterConfigLoader.load(Path.of("..", "docker", "cluster.yaml"));
        assertThat(config.cluster()).isEqualTo("k2");
        assertThat(config.launchesLocally()).isFalse();
        assertThat(config.islands()).containsExactly(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 3));
        assertThat(config.deadAfter().toMillis()).isEqualTo(3000);
        assertThat(config.controlHost()).isEqualTo("127.0.0.1");
    }
}
