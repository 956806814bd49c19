package io.archipelago.it.containers;

import io.archipelago.testing.containers.ArchipelagoImage;
import io.archipelago.testing.containers.HostCommand;
import io.archipelago.testing.containers.ClusterView;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import io.archipelago.testing.MiniCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A cluster built from containers for a test (the container counterpart of the MiniCluster):
 * a coordinator container ({@code archipelago up}, {@code launch: external}) and one container
 * per kernel ({@code archipelago kernel}), all of the image under test, on a network of their
 * own, sharing one tmpfs volume as the cluster directory (global memory, membership). The
 * cluster secret is the test's, handed to every container as a file ({@code --secret-file}),
 * never in the image.
 *
 * <p>The test sees the cluster as users do: through {@code archipelago status --json} run in the
 * coordinator's container, and through {@link ControlProbe} run in one member's container
 * against another member over the network. It can kill a kernel's container, and cut a kernel
 * off the network and reconnect it. Every wait has a deadline and fails with the cluster's
 * status. {@link #close()} keeps every container's log under
 * {@code integration-tests/target/container-logs/<test>/} and removes containers, network and
 * volume, even after a failed test.
 */
final class ContainerCluster implements AutoCloseable {

    static final String CLUSTER = "k2";
    static final String CLUSTER_ROOT = "/var/lib/archipelago";
    static final String SECRET_FILE = "/run/secrets/archipelago";
    static final String PROBE_CLASSES = "/opt/probe";
    static final int CONTROL_PORT = 7070;
    /** A container JVM boots in seconds; on a busy 2-core machine with several at once, allow much more. */
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(40);
    static final String JAVA_OPTS = "-Xms32m -Xmx192m";

    /** An island as a kernel container declares it on its command line. */
    record Island(String name, String dataModel, int cores, double speed, String domain, String powerModel) {
        static final Island STRONG = new Island("strong", "x86_64", 2, 1.0, "a", "cortex-a9");
        static final Island WEAK = new Island("weak", "armv7", 1, 0.25, "b", "cortex-m3");
    }

    /** What {@link ControlProbe} printed: one member's view of another's control API. */
    record Probe(String from, String target, boolean answered, long elapsedMs, Map<String, String> fields, String output) {
        String field(String key) {
            String value = fields.get(key);
            if (value == null) {
                throw new AssertionError("the probe from " + from + " to " + target + " printed no " + key + ": " + output);
            }
            return value;
        }

        @Override
        public String toString() {
            return "probe " + from + " -> " + target + ": " + output.strip();
        }
    }

    private final String testName;
    private final String image;
    private final DockerClient docker = DockerClientFactory.instance().client();
    private final Network network;
    private final String volume;
    /** The kernels' mailbox transport (their --transport), or null for the kernels' default (shm). */
    private final String transport;
    private final String secret;
    private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
    private final Map<String, Island> islands = new LinkedHashMap<>();

    private ContainerCluster(String testName, String transport) {
        this.transport = transport;
        this.testName = testName;
        this.image = ArchipelagoImage.name();
        this.network = Network.newNetwork();
        this.volume = "archipelago-it-" + testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-") + "-"
            + Long.toHexString(new SecureRandom().nextLong() & 0xffffffL);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.secret = HexFormat.of().formatHex(key) + "\n";
        docker.createVolumeCmd().withName(volume).withDriver("local")
            .withDriverOpts(Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=256m,uid=10001,gid=10001,mode=0700")).exec();
    }

    /** K2's platform: a coordinator and the kernels {@code strong} (x86_64, domain a) and {@code weak} (armv7, domain b). */
    static ContainerCluster startK2(String testName) {
        return startK2(testName, null);
    }

    /** K2's platform with the kernels' mailbox over {@code transport} ("shm", "tcp", "unix"; null: the default). */
    static ContainerCluster startK2(String testName, String transport) {
        Map<String, Island> kernels = new LinkedHashMap<>();
        kernels.put("strong", Island.STRONG);
        kernels.put("weak", Island.WEAK);
        return start(testName, kernels, transport);
    }

    /** Starts a coordinator, then the kernels (named by the map's keys) at once; returns when all are RUNNING. */
    static ContainerCluster start(String testName, Map<String, Island> kernels) {
        return start(testName, kernels, null);
    }

    private static ContainerCluster start(String testName, Map<String, Island> kernels, String transport) {
        ContainerCluster cluster = new ContainerCluster(testName, transport);
        try {
            cluster.startCoordinator();
            // All kernels boot at once, as docker-compose starts them.
            try (ExecutorService starters = Executors.newFixedThreadPool(kernels.size())) {
                List<CompletableFuture<Void>> starts = new ArrayList<>();
                kernels.forEach((name, island) -> starts.add(CompletableFuture.runAsync(() -> cluster.startKernel(name, island), starters)));
                CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get(BOOT_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
            }
            cluster.awaitView(view -> kernels.keySet().stream().allMatch(name -> view.kernel(name).map(ClusterView.Kernel::running)
                .orElse(false)), "every kernel RUNNING", BOOT_TIMEOUT);
            return cluster;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cluster.close();
            throw new AssertionError("interrupted while starting the cluster", e);
        } catch (ExecutionException | TimeoutException | RuntimeException | AssertionError e) {
            String logs = cluster.logTails();
            cluster.close();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new AssertionError("cluster " + testName + " did not start: " + cause + "\n" + logs, cause);
        }
    }

    private GenericContainer<?> container(String alias) {
        Mount clusterVolume = new Mount().withType(MountType.VOLUME).withSource(volume).withTarget(CLUSTER_ROOT);
        String probe = ControlProbe.class.getName().replace('.', '/') + ".class";
        return new GenericContainer<>(DockerImageName.parse(image))
            .withNetwork(network)
            .withNetworkAliases(alias)
            .withCreateContainerCmdModifier(cmd -> cmd.withHostName(alias).getHostConfig().withMounts(List.of(clusterVolume)))
            .withCopyToContainer(Transferable.of(secret.getBytes(StandardCharsets.US_ASCII), 0444), SECRET_FILE)
            .withCopyToContainer(MountableFile.forClasspathResource(probe), PROBE_CLASSES + "/" + probe)
            .withEnv("ARCHIPELAGO_JAVA_OPTS", JAVA_OPTS)
            .withEnv("TZ", "UTC")
            .withStartupAttempts(1);
    }

    private void startCoordinator() {
        GenericContainer<?> coordinator = container("coordinator")
            .withCommand("up", "--config", "/etc/archipelago/cluster.yaml", "--secret-file", SECRET_FILE)
            .waitingFor(Wait.forLogMessage(".*control API on.*\\n", 1).withStartupTimeout(BOOT_TIMEOUT));
        synchronized (containers) {
            containers.put("coordinator", coordinator);
        }
        coordinator.start();
    }

    /** Starts one more kernel container; it joins the running cluster (returns once it logged RUNNING). */
    void startKernel(String name, Island island) {
        GenericContainer<?> kernel = container(name)
            .withCommand("kernel", "--cluster=" + CLUSTER, "--kernel-id=-1", "--name=" + name, "--secret-file=" + SECRET_FILE,
                "--bind-host=0.0.0.0", "--advertised-host=" + name, "--control-port=" + CONTROL_PORT, "--heartbeat-ms=200",
                "--attach-timeout-ms=" + BOOT_TIMEOUT.toMillis(), "--island=" + island.name(), "--data-model=" + island.dataModel(),
                "--cores=" + island.cores(), "--speed=" + island.speed(), "--domain=" + island.domain(),
                "--power-model=" + island.powerModel(), "--transport=" + (transport == null ? "shm" : transport))
            .waitingFor(Wait.forLogMessage(".*RUNNING on island.*\\n", 1).withStartupTimeout(BOOT_TIMEOUT));
        synchronized (containers) {
            containers.put(name, kernel);
            islands.put(name, island);
        }
        kernel.start();
    }

    /** The cluster as {@code archipelago status --json} in the coordinator's container reports it. */
    ClusterView status() {
        DockerExec.Result result = DockerExec.run(containerId("coordinator"), STATUS_TIMEOUT, "archipelago", "status", "--json");
        if (!result.ok()) {
            throw new AssertionError("`archipelago status --json` failed in the coordinator's container: " + result);
        }
        return ClusterView.parse(result.out());
    }

    /** Polls the status until {@code condition} holds; fails after {@code timeout} with the last status and the logs. */
    ClusterView awaitView(Predicate<ClusterView> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClusterView last = null;
        while (true) {
            last = status();
            if (condition.test(last)) {
                return last;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("cluster " + testName + " was not " + what + " within " + timeout.toMillis() + " ms; last status:\n"
                    + last + "\n" + logTails());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    ClusterView.Kernel awaitKernel(String name, Predicate<ClusterView.Kernel> condition, String what, Duration timeout) {
        return awaitView(view -> view.kernel(name).filter(condition).isPresent(), "showing kernel " + name + " " + what, timeout)
            .kernel(name).orElseThrow();
    }

    ClusterView.Kernel kernel(String name) {
        ClusterView view = status();
        return view.kernel(name).orElseThrow(() -> new AssertionError("no kernel " + name + " in membership:\n" + view));
    }

    /** {@code docker kill}: SIGKILL to the kernel's JVM, no cleanup runs; the container stays for its log. */
    void kill(String name) {
        docker.killContainerCmd(containerId(name)).exec();
    }

    /** Cuts a kernel's container off the cluster network: it keeps its shared memory, loses every socket path. */
    void disconnect(String name) {
        docker.disconnectFromNetworkCmd().withNetworkId(network.getId()).withContainerId(containerId(name)).withForce(true).exec();
    }

    /** Plugs a cut-off kernel back in, under the same name. */
    void reconnect(String name) {
        docker.connectToNetworkCmd().withNetworkId(network.getId()).withContainerId(containerId(name))
            .withContainerNetwork(new ContainerNetwork().withAliases(name)).exec();
    }

    /** The kernel's address on the cluster network now (empty when it is cut off). */
    String ipAddress(String name) {
        ContainerNetwork attachment = docker.inspectContainerCmd(containerId(name)).exec().getNetworkSettings().getNetworks()
            .values().stream().filter(n -> network.getId().equals(n.getNetworkID())).findFirst().orElse(null);
        return attachment == null ? "" : attachment.getIpAddress();
    }

    /**
     * Runs {@link ControlProbe} in {@code from}'s container against {@code target}'s control API
     * ({@code host} is the name or address to dial), with a call deadline of {@code deadline}.
     */
    Probe probe(String from, String target, String host, Duration deadline) {
        return call(from, target, host, deadline, "describe");
    }

    /**
     * Runs {@link ControlProbe} in {@code from}'s container: asks {@code target}'s kernel (dialled
     * as {@code host}) to do {@code mode} with {@code arguments} (see ControlProbe), within
     * {@code deadline}.
     */
    Probe call(String from, String target, String host, Duration deadline, String mode, String... arguments) {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("java", "@/opt/archipelago/jvm.options",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", PROBE_CLASSES + ":/opt/archipelago/lib/*", ControlProbe.class.getName(),
            mode, host, Integer.toString(CONTROL_PORT), SECRET_FILE, Long.toString(deadline.toMillis())));
        command.addAll(java.util.List.of(arguments));
        DockerExec.Result result = DockerExec.run(containerId(from), deadline.plus(STATUS_TIMEOUT), command.toArray(String[]::new));
        String line = result.out().lines().filter(l -> l.startsWith("result=")).reduce((a, b) -> b)
            .orElseThrow(() -> new AssertionError("the probe printed no result line: " + result));
        Map<String, String> fields = new LinkedHashMap<>();
        for (String pair : line.split("\t")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                fields.put(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        String outcome = fields.get("result");
        if (!"ok".equals(outcome) && !"error".equals(outcome)) {
            throw new AssertionError("the probe did not run: " + result);
        }
        return new Probe(from, target, "ok".equals(outcome), Long.parseLong(fields.getOrDefault("elapsed_ms", "-1")), Map.copyOf(fields),
            line);
    }

    Probe probe(String from, String target, Duration deadline) {
        return probe(from, target, target, deadline);
    }

    String containerId(String name) {
        GenericContainer<?> container;
        synchronized (containers) {
            container = containers.get(name);
        }
        if (container == null || container.getContainerId() == null) {
            throw new AssertionError("no container '" + name + "' in cluster " + testName + " (have " + containers.keySet() + ")");
        }
        return container.getContainerId();
    }

    /**
     * When the coordinator logged a line containing {@code text} (its log lines start with the
     * time of day, HH:mm:ss.SSS, from the clock the containers share with this machine), or empty.
     */
    Optional<LocalTime> coordinatorLogged(String text) {
        GenericContainer<?> coordinator;
        synchronized (containers) {
            coordinator = containers.get("coordinator");
        }
        return logOf(coordinator).lines().filter(line -> line.contains(text)).findFirst()
            .filter(line -> line.length() > 12 && line.charAt(2) == ':' && line.charAt(8) == '.')
            .map(line -> LocalTime.parse(line.substring(0, 12)));
    }

    /** The last lines of every container's log, for failure messages. */
    String logTails() {
        StringBuilder text = new StringBuilder();
        List<Map.Entry<String, GenericContainer<?>>> all;
        synchronized (containers) {
            all = List.copyOf(containers.entrySet());
        }
        for (Map.Entry<String, GenericContainer<?>> entry : all) {
            text.append("--- log of ").append(entry.getKey()).append(" (last 15 lines)\n").append(HostCommand.tail(logOf(entry.getValue()), 15))
                .append('\n');
        }
        return text.toString();
    }

    private static String logOf(GenericContainer<?> container) {
        try {
            return container.getContainerId() == null ? "(not created)" : container.getLogs();
        } catch (RuntimeException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Keeps the logs, then removes every container, the network and the volume. */
    @Override
    public void close() {
        Path logs = ArchipelagoImage.logDirectory(testName);
        List<Map.Entry<String, GenericContainer<?>>> all;
        synchronized (containers) {
            all = new ArrayList<>(containers.entrySet());
        }
        for (Map.Entry<String, GenericContainer<?>> entry : all.reversed()) {
            try {
                Files.writeString(logs.resolve(entry.getKey() + ".log"), logOf(entry.getValue()));
            } catch (IOException e) {
                System.err.println("ContainerCluster: cannot keep the log of " + entry.getKey() + ": " + e);
            }
            try {
                entry.getValue().stop();
            } catch (RuntimeException e) {
                System.err.println("ContainerCluster: cannot remove container " + entry.getKey() + ": " + e);
            }
        }
        try {
            network.close();
        } catch (RuntimeException e) {
            System.err.println("ContainerCluster: cannot remove network " + network.getId() + ": " + e);
        }
        try {
            docker.removeVolumeCmd(volume).exec();
        } catch (RuntimeException e) {
            System.err.println("ContainerCluster: cannot remove volume " + volume + ": " + e);
        }
    }
}
