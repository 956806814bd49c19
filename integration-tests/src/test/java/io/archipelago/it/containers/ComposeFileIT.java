package io.archipelago.it.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The repository's {@code docker-compose.yml} as a user runs it: {@code docker-compose up}, then
 * {@code docker-compose exec coordinator archipelago status}, then {@code --scale weak=2}.
 */
@ContainerSuite(compose = true)
@Timeout(360)
class ComposeFileIT {

    static final Duration BOOT = Duration.ofSeconds(150);

    @Test
    void composeUpFormsK2sClusterAndScalingTheWeakIslandAddsAKernelThatJoins() {
        try (ComposeProject compose = new ComposeProject("compose-up")) {
            compose.compose("up", "-d", "--no-build");

            ClusterView up = compose.awaitView(view -> view.island("strong").size() == 1 && view.island("weak").size() == 1
                && view.kernels().stream().allMatch(ClusterView.Kernel::running), "strong and weak RUNNING", BOOT);
            ClusterView.Kernel strong = up.island("strong").getFirst();
            ClusterView.Kernel weak = up.island("weak").getFirst();
            assertThat(up.cluster()).isEqualTo("k2");
            assertThat(List.of(strong.dataModel(), strong.domain())).containsExactly("x86_64", "a");
            assertThat(List.of(weak.dataModel(), weak.domain())).containsExactly("armv7", "b");
            // Both kernels heartbeat into the one global memory on the shared tmpfs volume: younger than the silence after
            // which the coordinator would declare them DEAD (the bound that matters, whatever the host's load).
            assertThat(strong.heartbeatAgeMs()).isBetween(0L, ContainerClusterIT.DEAD_AFTER.toMillis());
            assertThat(weak.heartbeatAgeMs()).isBetween(0L, ContainerClusterIT.DEAD_AFTER.toMillis());
            // docker/cluster.yaml splits memory for 1 strong + 3 weak kernels: a quarter each, half stays free.
            int share = up.dataBlocks() / 4;
            assertThat(strong.blocks()).isEqualTo(share);
            assertThat(weak.blocks()).isEqualTo(share);
            assertThat(up.freeBlocks()).isEqualTo(up.dataBlocks() - 2 * share);
            // They are in different containers: different hosts (the containers' names on the compose network).
            assertThat(strong.host()).isNotEqualTo(weak.host());

            // The human-readable status, as the README shows it.
            String table = compose.compose("exec", "-T", "coordinator", "archipelago", "status").out();
            assertThat(table).contains(strong.name(), weak.name(), "RUNNING", "x86_64", "armv7");

            compose.compose("up", "-d", "--no-build", "--scale", "weak=2");
            ClusterView scaled = compose.awaitView(view -> view.island("weak").size() == 2
                && view.kernels().stream().allMatch(ClusterView.Kernel::running), "two weak kernels RUNNING", BOOT);
            ClusterView.Kernel joined = scaled.island("weak").stream().filter(k -> k.id() != weak.id()).findFirst().orElseThrow();
            assertThat(joined.name()).isEqualTo("weak-" + joined.id());
            assertThat(joined.blocks()).isEqualTo(share);
            assertThat(scaled.freeBlocks()).isEqualTo(up.dataBlocks() - 3 * share);
            assertThat(scaled.kernel(strong.name()).orElseThrow().running()).isTrue();
        }
    }
}
