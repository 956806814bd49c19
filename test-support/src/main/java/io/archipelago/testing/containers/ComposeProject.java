package io.archipelago.testing.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The repository's {@code docker-compose.yml}, run by the {@code docker-compose} command line as a
 * user runs it, under a project name of its own and with the image under test
 * ({@code ARCHIPELAGO_IMAGE}). {@link #close()} keeps the logs and takes everything down,
 * volume included.
 */
public final class ComposeProject implements AutoCloseable {

    public static final String COMPOSE = "docker-compose";
    public static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

    private final String testName;
    private final Path root;
    private final String project;
    private final Map<String, String> environment;
    /** docker-compose.yml, then the override files the test adds (relative to the repository). */
    private final List<String> files;

    public ComposeProject(String testName) {
        this(testName, List.of(), Map.of());
    }

    /** With override files after docker-compose.yml (e.g. docker/compose-programs.yml) and the environment they read. */
    public ComposeProject(String testName, List<String> overrides, Map<String, String> environment) {
        this.testName = testName;
        this.root = ArchipelagoImage.sourceRoot();
        this.project = "archipelagoit" + Long.toString(new SecureRandom().nextLong() & 0xffffffL, 36);
        Map<String, String> all = new java.util.HashMap<>(environment);
        all.put("ARCHIPELAGO_IMAGE", ArchipelagoImage.name());
        all.put("COMPOSE_PROJECT_NAME", project);
        this.environment = Map.copyOf(all);
        this.files = new ArrayList<>(List.of("docker-compose.yml"));
        this.files.addAll(overrides);
    }

    /** Runs {@code docker-compose -p <project> -f docker-compose.yml [-f override...] <args>}; fails with its output unless it succeeds. */
    public HostCommand.Result compose(String... args) {
        HostCommand.Result result = composeAllowingFailure(args);
        if (!result.ok()) {
            throw new AssertionError(result + "\n" + logs());
        }
        return result;
    }

    public HostCommand.Result composeAllowingFailure(String... args) {
        List<String> command = new ArrayList<>(List.of(COMPOSE, "--no-ansi", "-p", project));
        for (String file : files) {
            command.addAll(List.of("-f", root.resolve(file).toString()));
        }
        command.addAll(List.of(args));
        return HostCommand.run(COMMAND_TIMEOUT, root, environment, command);
    }

    /** {@code docker-compose exec coordinator archipelago status --json}: the documented way to see the cluster. */
    public ClusterView status() {
        return ClusterView.parse(compose("exec", "-T", "coordinator", "archipelago", "status", "--json").out());
    }

    public ClusterView awaitView(Predicate<ClusterView> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "(no status yet)";
        while (true) {
            HostCommand.Result result = composeAllowingFailure("exec", "-T", "coordinator", "archipelago", "status", "--json");
            if (result.ok()) {
                ClusterView view = ClusterView.parse(result.out());
                if (condition.test(view)) {
                    return view;
                }
                last = view.toString();
            } else {
                last = result.toString(); // e.g. the coordinator is still booting
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("compose project " + project + " was not " + what + " within " + timeout.toMillis()
                    + " ms; last status:\n" + last + "\n" + logs());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
        }
    }

    public String logs() {
        HostCommand.Result logs = composeAllowingFailure("logs", "--no-color", "--tail=40");
        return "--- docker-compose logs (last 40 lines per service)\n" + logs.out() + logs.err();
    }

    @Override
    public void close() {
        try {
            HostCommand.Result logs = composeAllowingFailure("logs", "--no-color", "--timestamps");
            Files.writeString(ArchipelagoImage.logDirectory(testName).resolve("compose.log"), logs.out() + logs.err());
        } catch (IOException | RuntimeException | AssertionError e) {
            System.err.println("ComposeProject: cannot keep the logs of " + project + ": " + e);
        }
        HostCommand.Result down = composeAllowingFailure("down", "--volumes", "--timeout", "15");
        if (!down.ok()) {
            System.err.println("ComposeProject: `down` failed for " + project + ": " + down);
        }
    }
}
