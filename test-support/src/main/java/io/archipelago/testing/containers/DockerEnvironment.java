package io.archipelago.testing.containers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether the containers flavour can run here: a Docker engine that answers ({@code docker info}) and the
 * {@code docker-compose} command (v1). Asked once per JVM. Where the flavour is mandatory
 * ({@value #REQUIRED_ENV}{@code =true} or {@code -D}{@value #REQUIRED_PROPERTY}{@code =true}, as in CI), a
 * missing engine is a failure; elsewhere a test that asks for containers is skipped with the reason.
 */
public final class DockerEnvironment {

    /** The environment variable that makes the containers flavour mandatory. */
    public static final String REQUIRED_ENV = "ARCHIPELAGO_CONTAINERS_REQUIRED";
    /** The system property that makes the containers flavour mandatory. */
    public static final String REQUIRED_PROPERTY = "archipelago.containers.required";

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    private static volatile Optional<String> problem;

    private DockerEnvironment() {
    }

    /** Why compose clusters cannot run here, or empty when they can. */
    public static Optional<String> problem() {
        Optional<String> known = problem;
        if (known == null) {
            synchronized (DockerEnvironment.class) {
                if (problem == null) {
                    problem = probe();
                }
                known = problem;
            }
        }
        return known;
    }

    /** Whether a missing engine must fail rather than skip. */
    public static boolean required() {
        return "true".equalsIgnoreCase(System.getenv(REQUIRED_ENV)) || Boolean.getBoolean(REQUIRED_PROPERTY);
    }

    private static Optional<String> probe() {
        Optional<String> engine = ask(List.of("docker", "info", "--format", "{{.ServerVersion}}"),
            "no Docker engine answers (is dockerd running, and may this user use its socket?)");
        return engine.isPresent() ? engine
            : ask(List.of(ComposeProject.COMPOSE, "version", "--short"), "no working " + ComposeProject.COMPOSE
                + " (compose v1, e.g. apt-get install docker-compose)");
    }

    private static Optional<String> ask(List<String> command, String meaning) {
        try {
            HostCommand.Result result = HostCommand.run(PROBE_TIMEOUT, Path.of("").toAbsolutePath(), Map.of(), command);
            return result.ok() ? Optional.empty()
                : Optional.of(meaning + ": `" + String.join(" ", command) + "` exited " + result.exitCode() + ": "
                    + (result.err() + result.out()).strip());
        } catch (RuntimeException | AssertionError e) {
            return Optional.of(meaning + ": " + e.getMessage());
        }
    }
}
