package io.archipelago.it.containers;

import io.archipelago.testing.containers.ComposeProject;
import io.archipelago.testing.junit.SkippedSuites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;
import org.testcontainers.DockerClientFactory;

/**
 * Decides whether the container suite runs: yes where a Docker engine answers; otherwise it is
 * skipped with the reason, unless the suite is mandatory (CI), where a missing engine is a
 * failure that says so.
 */
public final class DockerCondition implements ExecutionCondition {

    public static final String REQUIRED_ENV = "ARCHIPELAGO_CONTAINERS_REQUIRED";
    public static final String REQUIRED_PROPERTY = "archipelago.containers.required";

    private static volatile Optional<String> engineProblem;
    private static volatile Optional<String> composeProblem;

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        boolean compose = context.getTestClass()
            .flatMap(type -> AnnotationSupport.findAnnotation(type, ContainerSuite.class))
            .map(ContainerSuite::compose).orElse(false);
        Optional<String> problem = engineProblem();
        if (problem.isEmpty() && compose) {
            problem = composeProblem();
        }
        if (problem.isEmpty()) {
            return ConditionEvaluationResult.enabled("a Docker engine answers" + (compose ? " and docker-compose runs" : ""));
        }
        if (required()) {
            throw new IllegalStateException("the container suite is mandatory here (" + REQUIRED_ENV + "=true or -D" + REQUIRED_PROPERTY
                + "=true) but " + problem.get());
        }
        String reason = "container suite skipped: " + problem.get() + " (it is mandatory in CI, where .ci/run installs and starts Docker)";
        System.err.println(context.getDisplayName() + ": " + reason);
        SkippedSuites.record(context.getDisplayName() + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }

    static boolean required() {
        return "true".equalsIgnoreCase(System.getenv(REQUIRED_ENV)) || Boolean.getBoolean(REQUIRED_PROPERTY);
    }

    private static Optional<String> engineProblem() {
        Optional<String> known = engineProblem;
        if (known == null) {
            synchronized (DockerCondition.class) {
                if (engineProblem == null) {
                    engineProblem = probeEngine();
                }
                known = engineProblem;
            }
        }
        return known;
    }

    private static Optional<String> probeEngine() {
        try {
            DockerClientFactory factory = DockerClientFactory.instance();
            if (factory.isDockerAvailable()) {
                factory.client();
                return Optional.empty();
            }
            return Optional.of("no Docker engine answers (Testcontainers found no working Docker environment; is dockerd running?)");
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("no Docker engine answers: " + e.getMessage());
        }
    }

    private static Optional<String> composeProblem() {
        Optional<String> known = composeProblem;
        if (known == null) {
            synchronized (DockerCondition.class) {
                if (composeProblem == null) {
                    composeProblem = probeCompose();
                }
                known = composeProblem;
            }
        }
        return known;
    }

    private static Optional<String> probeCompose() {
        try {
            Process process = new ProcessBuilder(ComposeProject.COMPOSE, "version", "--short").redirectErrorStream(true).start();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.of("`" + ComposeProject.COMPOSE + " version` did not answer within 30 s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return process.exitValue() == 0 ? Optional.empty()
                : Optional.of("`" + ComposeProject.COMPOSE + " version` failed (exit " + process.exitValue() + "): " + output);
        } catch (IOException e) {
            return Optional.of("no " + ComposeProject.COMPOSE + " command (compose v1, e.g. apt-get install docker-compose): " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while looking for " + ComposeProject.COMPOSE);
        }
    }
}
