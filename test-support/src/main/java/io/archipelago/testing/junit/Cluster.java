package io.archipelago.testing.junit;

import io.archipelago.testing.ClusterHandle.Flavour;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The cluster a test gets as a {@link io.archipelago.testing.MiniCluster} (or {@link io.archipelago.testing.ClusterHandle})
 * parameter, from
 * {@link ClusterExtension}. Without this annotation (or with neither attribute) the cluster is K2's
 * platform: a strong x86_64 kernel and a weak armv7 kernel. At most one attribute may be given.
 *
 * <pre>{@code
 * @ExtendWith(ClusterExtension.class)
 * class MyProtocolTest {
 *     @Test
 *     void survivesAKill(@Cluster(yaml = """
 *             heartbeat: {interval-ms: 200, dead-after-ms: 3000}
 *             islands:
 *               - {name: strong, data-model: x86_64, cores: 2, speed: 1.0, domain: a, kernels: 1}
 *               - {name: weak, data-model: ppc32, cores: 1, speed: 0.25, domain: b, kernels: 2}
 *             """) MiniCluster cluster) { ... }
 * }
 * }</pre>
 *
 * <p>The same test body runs on the compose cluster's containers when the parameter is a
 * {@link io.archipelago.testing.ClusterHandle} and the flavour is {@link Flavour#CONTAINERS}:
 *
 * <pre>{@code
 * @Test
 * void onProcesses(ClusterHandle cluster) { migratesAndExits(cluster); }
 *
 * @Test
 * void onContainers(@Cluster(flavour = Flavour.CONTAINERS) ClusterHandle cluster) { migratesAndExits(cluster); }
 * }</pre>
 *
 * The containers flavour is the repository's {@code docker-compose.yml} (K2's platform): it takes no
 * {@link #yaml} nor {@link #config}. Where no Docker engine or {@code docker-compose} answers, such a test is
 * skipped, saying why (or fails, where containers are mandatory: see
 * {@link io.archipelago.testing.containers.DockerEnvironment}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Cluster {

    /** How the cluster runs: kernel processes (the default) or the compose cluster's containers. */
    Flavour flavour() default Flavour.PROCESSES;

    /** A cluster YAML (the format of {@code archipelago up -c}), written in the test. */
    String yaml() default "";

    /**
     * A cluster YAML file: a resource on the test's class path, else a path on the file system
     * (relative to the working directory).
     */
    String config() default "";
}
