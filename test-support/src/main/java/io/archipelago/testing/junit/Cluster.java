package io.archipelago.testing.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The cluster a test gets as a {@link io.archipelago.testing.MiniCluster} parameter, from
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
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Cluster {

    /** A cluster YAML (the format of {@code archipelago up -c}), written in the test. */
    String yaml() default "";

    /**
     * A cluster YAML file: a resource on the test's class path, else a path on the file system
     * (relative to the working directory).
     */
    String config() default "";
}
