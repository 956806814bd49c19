package io.archipelago.testing.containers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.testing.ClusterHandle;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * The {@link ClusterHandle.Flavour#CONTAINERS containers} flavour of a {@link ClusterHandle}: the repository's
 * {@code docker-compose.yml} (a coordinator container and K2's two kernel containers, strong x86_64 and weak
 * armv7, sharing a tmpfs volume as global memory) with {@code docker/compose-programs.yml}, whose programs
 * volume holds the test's own programs, packed from its class path into a jar ({@link ProgramJar}). The test
 * drives it as a user does, through {@code archipelago ...} in the coordinator's container ({@code docker exec})
 * and the {@code docker} command line; every wait has a deadline and fails with the cluster's status and the
 * containers' last log lines. {@link #close()} keeps the containers' logs under
 * {@code target/container-logs/<test>/} and takes everything down, volume included, even after a failed test.
 *
 * <p>Needs a Docker engine and {@code docker-compose} (v1; see {@link DockerEnvironment}), the Archipelago image
 * ({@code -Darchipelago.image} or {@code $ARCHIPELAGO_IMAGE}; in the repository's own build it is built from the
 * distribution, see {@link ArchipelagoImage}) and the repository's compose files (found upwards from the working
 * directory, or {@code -Darchipelago.source.root}).
 *
 * <p>Faults: {@link #kill9} is {@code docker kill}, {@link #freeze} {@code docker pause}, {@link #thaw}
 * {@code docker unpause}, {@link #restart} {@code docker start} (the kernel joins again, possibly under another id and name).
 */
public final class ComposeCluster implements ClusterHandle {

    /** How long the compose cluster may take to come up with every kernel RUNNING on a busy 2-core machine. */
    public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(150);
    /** How long a kernel container may take to go, or to come back. */
    public static final Duration CONTAINER_TIMEOUT = Duration.ofSeconds(90);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long POLL_MS = 300;

    private final ComposeProject compose;
    /** The coordinator's container, where the CLI runs: {@code docker exec} into it skips docker-compose's own start-up. */
    private String coordinator;

    private ComposeCluster(ComposeProject compose) {
        this.compose = compose;
    }

    /**
     * Brings the compose cluster up for test {@code testName} with the programs of this JVM's class path, and returns
     * once its two kernels are RUNNING (within {@link #BOOT_TIMEOUT}); on failure everything is taken down again.
     */
    public static ComposeCluster start(String testName) {
        Path programs = Path.of("target", "compose-programs", testName).toAbsolutePath();
        io.archipelago.testing.MiniCluster.deleteRecursively(programs);
        ProgramJar.write(System.getProperty("java.class.path"), programs);
        try {
            java.nio.file.Files.createDirectories(programs);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot make the programs directory " + programs, e);
        }
        ComposeProject compose = new ComposeProject(testName, List.of("docker/compose-programs.yml"),
            Map.of("ARCHIPELAGO_PROGRAMS", programs.toString()));
        ComposeCluster cluster = new ComposeCluster(compose);
        try {
            compose.compose("up", "-d", "--no-build");
            cluster.coordinator = compose.compose("ps", "-q", "coordinator").out().strip();
            if (cluster.coordinator.isEmpty()) {
                throw new AssertionError("docker-compose up started no coordinator container\n" + compose.logs());
            }
            cluster.awaitView(view -> !view.island("strong").isEmpty() && !view.island("weak").isEmpty()
                && view.kernels().stream().allMatch(ClusterView.Kernel::running), "up with strong and weak RUNNING", BOOT_TIMEOUT);
            return cluster;
        } catch (RuntimeException | AssertionError e) {
            compose.close();
            throw e;
        }
    }

    /** The compose project, for what the handle does not cover ({@code compose("exec", ...)}, {@code --scale}). */
    public ComposeProject compose() {
        return compose;
    }

    /** {@code archipelago <args>} in the coordinator's container; fails with its output and the logs unless it succeeds. */
    public String archipelago(String... args) {
        HostCommand.Result result = archipelagoAllowingFailure(args);
        if (!result.ok()) {
            throw new AssertionError(result + "\n" + compose.logs());
        }
        return result.out();
    }

    private HostCommand.Result archipelagoAllowingFailure(String... args) {
        List<String> command = new ArrayList<>(List.of("exec", coordinator, "archipelago"));
        command.addAll(List.of(args));
        return dockerAllowingFailure(command.toArray(String[]::new));
    }

    /** The cluster as {@code archipelago status --json} shows it. */
    public ClusterView view() {
        return ClusterView.parse(archipelago("status", "--json"));
    }

    /** Waits until the cluster's status satisfies {@code condition}; fails with the last status and the logs after {@code timeout}. */
    public ClusterView awaitView(Predicate<ClusterView> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "(no status yet)";
        while (true) {
            HostCommand.Result result = archipelagoAllowingFailure("status", "--json");
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
                throw new AssertionError("the compose cluster was not " + what + " within " + timeout.toMillis() + " ms; last status:\n"
                    + last + "\n" + compose.logs());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
    }

    @Override
    public Flavour flavour() {
        return Flavour.CONTAINERS;
    }

    @Override
    public List<String> kernelNames() {
        return view().kernels().stream().sorted(Comparator.comparingInt(ClusterView.Kernel::id)).map(ClusterView.Kernel::name).toList();
    }

    @Override
    public String kernelOf(String island) {
        ClusterView view = view();
        return view.island(island).stream().filter(ClusterView.Kernel::running).min(Comparator.comparingInt(ClusterView.Kernel::id))
            .map(ClusterView.Kernel::name)
            .orElseThrow(() -> new AssertionError("no RUNNING kernel of island '" + island + "'; the cluster:\n" + view));
    }

    @Override
    public void awaitKernelState(String name, String state, Duration timeout) {
        awaitView(view -> view.kernel(name).map(k -> k.state().equals(state)).orElse(false), "with kernel " + name + " " + state,
            timeout);
    }

    @Override
    public int run(String kernel, String program, Map<String, String> args) {
        List<String> command = new ArrayList<>(List.of("run", program, "--on", kernel, "--json"));
        args.forEach((key, value) -> command.addAll(List.of("--arg", key + "=" + value)));
        JsonNode reply = json(archipelago(command.toArray(String[]::new)), "run");
        return reply.path("threads").path(0).path("tid").asInt();
    }

    @Override
    public List<TaskInfo> tasks() {
        List<TaskInfo> tasks = new ArrayList<>();
        for (JsonNode t : json(archipelago("ps", "--all", "--json"), "ps --all").path("tasks")) {
            tasks.add(TaskInfo.newBuilder().setPid(t.path("pid").asInt()).setTid(t.path("tid").asInt()).setProgram(t.path("program").asText())
                .setKernel(t.path("kernel").asText()).setKernelId(t.path("kernel_id").asInt()).setState(t.path("state").asText())
                .setSteps(t.path("steps").asLong()).setCycles(t.path("cycles").asLong()).setMigrations(t.path("migrations").asInt())
                .setMigratingTo(t.path("migrating_to").asInt(-1)).setExitCode(t.path("exit_code").asInt())
                .setDataModel(t.path("data_model").asText()).setDataRegion(t.path("data_region").asText())
                .setDataBytes(t.path("data_bytes").asLong()).setWaitIrq(t.path("wait_irq").asInt(-1))
                .setFailure(t.path("failure").asText("")).build());
        }
        return tasks;
    }

    @Override
    public TaskInfo awaitTask(int tid, Predicate<TaskInfo> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        TaskInfo last = null;
        while (true) {
            last = task(tid).orElse(last);
            if (last != null && last.getTid() == tid && condition.test(last)) {
                return last;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + tid + " was not " + what + " within " + timeout.toMillis() + " ms; last seen: "
                    + (last == null ? "never" : last.getState() + " on " + last.getKernel() + " after " + last.getSteps() + " steps")
                    + "; the cluster:\n" + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
    }

    @Override
    public void migrateTo(int tid, String to) {
        archipelago("migrate", Integer.toString(tid), "--to", to);
    }

    @Override
    public Map<String, Long> counters(String kernel) {
        ClusterView view = view();
        return view.kernel(kernel).map(ClusterView.Kernel::counters)
            .orElseThrow(() -> new AssertionError("no kernel '" + kernel + "' in membership; the cluster:\n" + view));
    }

    /** {@code docker kill}: SIGKILL to the kernel's container (its restart policy does not bring it back); returns once it is stopped. */
    @Override
    public void kill9(String kernel) {
        String container = container(kernel);
        if (!running(container)) {
            return; // gone already (a kernel declared DEAD may have stopped itself): as a process killed twice
        }
        HostCommand.Result kill = dockerAllowingFailure("kill", "--signal", "KILL", container);
        if (!kill.ok() && running(container)) {
            throw new AssertionError(kill.toString());
        }
        long deadline = System.nanoTime() + CONTAINER_TIMEOUT.toNanos();
        while (running(container)) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the container of kernel " + kernel + " (" + container + ") was still running "
                    + CONTAINER_TIMEOUT.toSeconds() + " s after docker kill");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
        }
    }

    /** {@code docker pause}: the kernel's container is frozen (cgroup freezer), as SIGSTOP freezes a kernel process. */
    @Override
    public void freeze(String kernel) {
        docker("pause", container(kernel));
    }

    /** {@code docker unpause}. */
    @Override
    public void thaw(String kernel) {
        docker("unpause", container(kernel));
    }

    /**
     * {@code docker start} of a killed kernel's container: the kernel joins again, possibly under another id, hence
     * another name, which this returns once that kernel is RUNNING.
     */
    @Override
    public String restart(String kernel) {
        String container = container(kernel);
        ClusterView before = view();
        docker("start", container);
        ClusterView after = awaitView(view -> view.kernels().stream().anyMatch(k -> k.host().equals(container) && k.running()
            && before.kernel(k.name()).map(old -> !old.running()).orElse(true)), "with the container " + container + " of "
            + kernel + " back RUNNING", CONTAINER_TIMEOUT);
        return after.kernels().stream().filter(k -> k.host().equals(container) && k.running()).max(Comparator.comparingInt(
            ClusterView.Kernel::id)).orElseThrow().name();
    }

    /** The container a kernel runs in: its host name in membership is the container's (short) id. */
    private String container(String kernel) {
        ClusterView view = view();
        return view.kernel(kernel).map(ClusterView.Kernel::host)
            .orElseThrow(() -> new AssertionError("no kernel '" + kernel + "' in membership; the cluster:\n" + view));
    }

    private boolean running(String container) {
        return docker("inspect", "--format", "{{.State.Running}}", container).strip().equals("true");
    }

    private String docker(String... args) {
        HostCommand.Result result = dockerAllowingFailure(args);
        if (!result.ok()) {
            throw new AssertionError(result.toString());
        }
        return result.out();
    }

    private static HostCommand.Result dockerAllowingFailure(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        return HostCommand.run(ComposeProject.COMMAND_TIMEOUT, Path.of("").toAbsolutePath(), Map.of(), command);
    }

    private static JsonNode json(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("`archipelago " + what + " --json` printed something that is not its JSON: " + e.getMessage()
                + "\n" + text, e);
        }
    }

    @Override
    public String describe() {
        HostCommand.Result status = archipelagoAllowingFailure("status");
        return (status.ok() ? status.out() : status.toString()) + "\n" + compose.logs();
    }

    @Override
    public void close() {
        compose.close();
    }
}
