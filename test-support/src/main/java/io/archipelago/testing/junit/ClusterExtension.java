package io.archipelago.testing.junit;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfigLoader;
import io.archipelago.testing.MiniCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test method a real cluster: a {@link MiniCluster} parameter (optionally annotated with
 * {@link Cluster}) is a cluster of kernel processes over a real mmap'd global memory, booted before
 * the method runs (every kernel RUNNING, within {@link MiniCluster#BOOT_TIMEOUT}) and torn down after
 * it, whether it passed or failed: every process stopped or killed, the directory removed, the
 * kernels' logs kept under {@code target/cluster-logs/<test>/}.
 *
 * <p>Register it with {@code @ExtendWith(ClusterExtension.class)}. Each test method that asks for a
 * cluster gets its own. The kernels run with the test's class path, so the programs the test's project
 * defines are theirs to run: {@link MiniCluster#run}, {@link MiniCluster#migrate}, {@link MiniCluster#awaitExit};
 * and faults: {@link MiniCluster#kill9}, {@link MiniCluster#restart}, {@link MiniCluster#freeze}.
 */
public final class ClusterExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ClusterExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == MiniCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("a MiniCluster is given to test methods only, not to "
                + parameter.getDeclaringExecutable() + ": a cluster lives as long as one test");
        }
        ClusterConfig config = config(parameter.findAnnotation(Cluster.class), context);
        MiniCluster cluster = MiniCluster.start(config, testName(context));
        // The store closes the AutoCloseable values it holds when the test's context ends, after a failure too.
        context.getStore(NAMESPACE).put("cluster-" + parameter.getIndex(), cluster);
        return cluster;
    }

    static ClusterConfig config(Optional<Cluster> annotation, ExtensionContext context) {
        if (annotation.isEmpty()) {
            return ClusterConfig.k2Default();
        }
        String yaml = annotation.get().yaml();
        String file = annotation.get().config();
        if (!yaml.isBlank() && !file.isBlank()) {
            throw new ParameterResolutionException("@Cluster takes a yaml or a config file, not both (found yaml and config '"
                + file + "')");
        }
        if (!yaml.isBlank()) {
            return ClusterConfigLoader.parse(yaml, "@Cluster(yaml) of " + context.getDisplayName());
        }
        if (file.isBlank()) {
            return ClusterConfig.k2Default();
        }
        Class<?> testClass = context.getRequiredTestClass();
        String resource = file.startsWith("/") ? file.substring(1) : file;
        try (InputStream in = testClass.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                return ClusterConfigLoader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the cluster configuration " + file + " from the class path", e);
        }
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new ParameterResolutionException("@Cluster(config = \"" + file + "\"): expected a resource on the test's class path "
                + "or a file (relative to " + Path.of("").toAbsolutePath() + "), found neither");
        }
        return ClusterConfigLoader.load(path);
    }

    private static String testName(ExtensionContext context) {
        String method = context.getTestMethod().map(Method::getName).orElse("test");
        return context.getRequiredTestClass().getSimpleName() + "-" + method;
    }
}
