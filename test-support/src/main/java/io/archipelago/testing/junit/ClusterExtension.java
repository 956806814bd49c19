package io.archipelago.testing.junit;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfigLoader;
import io.archipelago.testing.ClusterHandle;
import io.archipelago.testing.ClusterHandle.Flavour;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.containers.ComposeCluster;
import io.archipelago.testing.containers.DockerEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
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
 *
 * <p>A {@link ClusterHandle} parameter is the same kind of cluster behind the interface both flavours share;
 * annotated {@code @Cluster(flavour = CONTAINERS)} it is the repository's compose cluster instead
 * ({@link ComposeCluster}), with the test's own programs packed from its class path into the compose programs
 * volume, so one test body runs on both. Without a Docker engine such a test is skipped with the reason.
 */
public final class ClusterExtension implements ParameterResolver, ExecutionCondition {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ClusterExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == MiniCluster.class || type == ClusterHandle.class || type == ComposeCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            throw new ParameterResolutionException("a MiniCluster is given to test methods only, not to "
                + parameter.getDeclaringExecutable() + ": a cluster lives as long as one test");
        }
        Optional<Cluster> annotation = parameter.findAnnotation(Cluster.class);
        Flavour flavour = annotation.map(Cluster::flavour).orElse(Flavour.PROCESSES);
        Class<?> type = parameter.getParameter().getType();
        ClusterHandle cluster;
        if (flavour == Flavour.CONTAINERS) {
            if (type == MiniCluster.class) {
                throw new ParameterResolutionException("@Cluster(flavour = CONTAINERS) needs a ClusterHandle (or ComposeCluster) "
                    + "parameter, found a MiniCluster, which is the processes flavour");
            }
            if (!annotation.get().yaml().isBlank() || !annotation.get().config().isBlank()) {
                throw new ParameterResolutionException("@Cluster(flavour = CONTAINERS) runs the repository's docker-compose.yml "
                    + "(K2's platform): it takes no yaml or config, found " + (annotation.get().yaml().isBlank()
                        ? "config '" + annotation.get().config() + "'" : "a yaml"));
            }
            Optional<String> problem = DockerEnvironment.problem();
            if (problem.isPresent()) {
                // reached where containers are mandatory: evaluateExecutionCondition skipped the test otherwise
                throw new ParameterResolutionException("the containers flavour is mandatory here (" + DockerEnvironment.REQUIRED_ENV
                    + "=true or -D" + DockerEnvironment.REQUIRED_PROPERTY + "=true) but " + problem.get());
            }
            cluster = ComposeCluster.start(testName(context));
        } else {
            if (type == ComposeCluster.class) {
                throw new ParameterResolutionException("a ComposeCluster parameter is the containers flavour: annotate it "
                    + "@Cluster(flavour = CONTAINERS), or ask for a ClusterHandle");
            }
            cluster = MiniCluster.start(config(annotation, context), testName(context));
        }
        // The store closes the AutoCloseable values it holds when the test's context ends, after a failure too.
        context.getStore(NAMESPACE).put("cluster-" + parameter.getIndex(), cluster);
        return cluster;
    }

    /**
     * Skips, saying why, a test that asks for the containers flavour where no Docker engine or docker-compose answers
     * (unless containers are mandatory there: then resolving its parameter fails, saying what is missing).
     */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<Method> method = context.getTestMethod();
        boolean containers = method.isPresent() && Arrays.stream(method.get().getParameters()).anyMatch(p ->
            p.getType() == ComposeCluster.class
                || p.isAnnotationPresent(Cluster.class) && p.getAnnotation(Cluster.class).flavour() == Flavour.CONTAINERS);
        if (!containers) {
            return ConditionEvaluationResult.enabled("no containers flavour asked for");
        }
        Optional<String> problem = DockerEnvironment.problem();
        if (problem.isEmpty() || DockerEnvironment.required()) {
            return ConditionEvaluationResult.enabled(problem.isEmpty() ? "a Docker engine and docker-compose answer"
                : "containers are mandatory here");
        }
        String reason = "containers flavour skipped: " + problem.get();
        System.err.println(context.getDisplayName() + ": " + reason);
        SkippedSuites.record(context.getDisplayName() + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
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
