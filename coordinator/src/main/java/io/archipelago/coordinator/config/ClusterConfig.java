package io.archipelago.coordinator.config;

import io.archipelago.memory.MemoryGeometry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A cluster as configured in YAML (see {@link ClusterConfigLoader} for the format). The default
 * is K2's platform: a strong island (x86_64, 2 cores, domain a) and a weak island (armv7, 1 core
 * at speed 0.25, domain b), one kernel each.
 *
 * @param launch   {@code local}: the coordinator launches the kernels as child processes;
 *                 {@code external}: kernels are started elsewhere (containers) and join
 * @param balloon  page blocks at boot and the meta-level manager's thresholds
 * @param devices  the emulated devices as the cluster boots with them
 * @param programs jars of users' programs (or directories of jars), put on every kernel's program path as with
 *                 {@code up --programs}
 */
public record ClusterConfig(String cluster, MemoryGeometry memory, List<IslandConfig> islands, String controlHost, int controlPort,
                            String mailboxTransport, int fifoDepth, String launch, Duration heartbeatInterval, Duration deadAfter,
                            List<String> kernelJvmOptions, BalloonPolicy balloon, DevicesConfig devices, List<Path> programs) {

    public static final String DEFAULT_CLUSTER = "k2";

    /**
     * A kernel's JVM: its Java heap holds little (the pages, the rings and the tables live in global
     * memory), so a small one, grown by the serial collector only as needed, with no collector
     * threads. Thread stacks of 512 KiB (a kernel's threads run no deep recursion). The launcher adds
     * the kernels' class-data archive (see {@code KernelClassDataSharing}).
     */
    public static final List<String> DEFAULT_KERNEL_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-Xss512k",
        "-XX:MaxHeapFreeRatio=40", "-XX:MinHeapFreeRatio=10");

    public ClusterConfig {
        islands = List.copyOf(islands);
        kernelJvmOptions = List.copyOf(kernelJvmOptions);
        java.util.Objects.requireNonNull(balloon, "balloon");
        java.util.Objects.requireNonNull(devices, "devices");
        programs = List.copyOf(programs);
    }

    /** A configuration without programs of its own. */
    public ClusterConfig(String cluster, MemoryGeometry memory, List<IslandConfig> islands, String controlHost, int controlPort,
                         String mailboxTransport, int fifoDepth, String launch, Duration heartbeatInterval, Duration deadAfter,
                         List<String> kernelJvmOptions, BalloonPolicy balloon, DevicesConfig devices) {
        this(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval, deadAfter,
            kernelJvmOptions, balloon, devices, List.of());
    }

    /** A configuration with the default devices. */
    public ClusterConfig(String cluster, MemoryGeometry memory, List<IslandConfig> islands, String controlHost, int controlPort,
                         String mailboxTransport, int fifoDepth, String launch, Duration heartbeatInterval, Duration deadAfter,
                         List<String> kernelJvmOptions, BalloonPolicy balloon) {
        this(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval, deadAfter,
            kernelJvmOptions, balloon, DevicesConfig.defaults());
    }

    /** A configuration with the default memory policy. */
    public ClusterConfig(String cluster, MemoryGeometry memory, List<IslandConfig> islands, String controlHost, int controlPort,
                         String mailboxTransport, int fifoDepth, String launch, Duration heartbeatInterval, Duration deadAfter,
                         List<String> kernelJvmOptions) {
        this(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval, deadAfter,
            kernelJvmOptions, BalloonPolicy.defaults());
    }

    public static ClusterConfig k2Default() {
        return new ClusterConfig(DEFAULT_CLUSTER, MemoryGeometry.defaults(), List.of(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1)),
            "127.0.0.1", 0, "shm", 4, "local", Duration.ofMillis(200), Duration.ofMillis(1000),
            DEFAULT_KERNEL_JVM_OPTIONS, BalloonPolicy.defaults());
    }

    public int totalKernels() {
        return islands.stream().mapToInt(IslandConfig::kernels).sum();
    }

    public boolean launchesLocally() {
        return "local".equals(launch);
    }

    /** Every kernel of the configuration, ids assigned in island order: strong-0 = 0, weak-0 = 1, ... */
    public List<KernelSpec> kernels() {
        List<KernelSpec> kernels = new ArrayList<>();
        int id = 0;
        for (IslandConfig island : islands) {
            for (int i = 0; i < island.kernels(); i++) {
                kernels.add(new KernelSpec(id++, island.name() + "-" + i, island));
            }
        }
        return kernels;
    }

    public ClusterConfig withCluster(String name) {
        return new ClusterConfig(name, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch,
            heartbeatInterval, deadAfter, kernelJvmOptions, balloon, devices, programs);
    }

    public ClusterConfig withIslands(List<IslandConfig> newIslands) {
        return new ClusterConfig(cluster, memory, newIslands, controlHost, controlPort, mailboxTransport, fifoDepth, launch,
            heartbeatInterval, deadAfter, kernelJvmOptions, balloon, devices, programs);
    }

    /** This configuration with another mailbox transport ("shm", "tcp" or "unix") and FIFO depth. */
    public ClusterConfig withMailbox(String transport, int depth) {
        return new ClusterConfig(cluster, memory, islands, controlHost, controlPort, transport, depth, launch, heartbeatInterval,
            deadAfter, kernelJvmOptions, balloon, devices, programs);
    }

    /** This configuration with another memory policy. */
    public ClusterConfig withBalloon(BalloonPolicy policy) {
        return new ClusterConfig(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval,
            deadAfter, kernelJvmOptions, policy, devices, programs);
    }

    /** This configuration with another global memory geometry. */
    public ClusterConfig withMemory(MemoryGeometry geometry) {
        return new ClusterConfig(cluster, geometry, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval,
            deadAfter, kernelJvmOptions, balloon, devices, programs);
    }

    /** This configuration with these program jars (or directories of jars) instead of its own. */
    public ClusterConfig withPrograms(List<Path> jars) {
        return new ClusterConfig(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, launch, heartbeatInterval,
            deadAfter, kernelJvmOptions, balloon, devices, jars);
    }

    /** A kernel to launch: its id, its name and its island. */
    public record KernelSpec(int id, String name, IslandConfig island) {
    }
}
