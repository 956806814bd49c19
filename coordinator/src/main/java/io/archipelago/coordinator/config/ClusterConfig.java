package io.archipelago.coordinator.config;

import io.archipelago.interconnect.mailbox.MailboxConfiguration;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.kernel.KernelConfiguration;
import io.archipelago.memory.MemoryGeometry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A cluster as configured in YAML (see {@link ClusterConfigLoader} for the format). The default
 * is K2's platform: a strong island (x86_64, 2 cores, domain a) and a weak island (armv7, 1 core
 * at speed 0.25, domain b), one kernel each. Built with {@link #builder()} (K2's defaults) or
 * {@link #toBuilder()}; the defaults of the settings a kernel also has are the kernel's and the
 * mailbox's ({@link KernelConfiguration}, {@link MailboxConfiguration}).
 *
 * @param launch      {@code local}: the coordinator launches the kernels as child processes;
 *                    {@code external}: kernels are started elsewhere (containers) and join
 * @param loopSpinUs  how long the kernels' mailbox interrupt contexts poll after their last word, in microseconds
 * @param loopPoll    when they may poll: {@code idle-core} or {@code always}
 * @param balloon     page blocks at boot and the meta-level manager's thresholds
 * @param devices     the emulated devices as the cluster boots with them
 * @param programs    jars of users' programs (or directories of jars), put on every kernel's program path as with
 *                    {@code up --programs}
 * @param platform    the modelled platform's costs between (and within) coherence domains; {@link Platform#HOST} injects nothing
 */
public record ClusterConfig(String cluster, MemoryGeometry memory, List<IslandConfig> islands, String controlHost, int controlPort,
                            String mailboxTransport, int fifoDepth, int loopSpinUs, String loopPoll, String launch,
                            Duration heartbeatInterval, Duration deadAfter, List<String> kernelJvmOptions, BalloonPolicy balloon,
                            DevicesConfig devices, List<Path> programs, Platform platform) {

    public static final String DEFAULT_CLUSTER = KernelConfiguration.CLUSTER_DEFAULT;

    /**
     * A kernel's JVM: its Java heap holds little (the pages, the rings and the tables live in global
     * memory), so a small one, grown by the serial collector only as needed, with no collector
     * threads. Thread stacks of 512 KiB (a kernel's threads run no deep recursion). The C2
     * compiler's arenas take some 25 MiB of native memory while a kernel boots, freed into glibc's
     * arenas and kept there; trimming the native heap every 10 s gives them back (19 MiB less
     * resident per kernel). The launcher adds
     * the kernels' class-data archive (see {@code KernelClassDataSharing}).
     */
    public static final List<String> DEFAULT_KERNEL_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-Xss512k",
        "-XX:MaxHeapFreeRatio=40", "-XX:MinHeapFreeRatio=10", "-XX:TrimNativeHeapInterval=10000");

    /** A kernel silent this long is declared DEAD. */
    public static final Duration DEFAULT_DEAD_AFTER = Duration.ofMillis(1000);

    public ClusterConfig {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(memory, "memory");
        islands = List.copyOf(islands);
        kernelJvmOptions = List.copyOf(kernelJvmOptions);
        Objects.requireNonNull(balloon, "balloon");
        Objects.requireNonNull(devices, "devices");
        programs = List.copyOf(programs);
        Objects.requireNonNull(platform, "platform");
    }

    /** A builder starting from K2's platform and every setting's default. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public static ClusterConfig k2Default() {
        return builder().build();
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
        return toBuilder().cluster(name).build();
    }

    public ClusterConfig withIslands(List<IslandConfig> newIslands) {
        return toBuilder().islands(newIslands).build();
    }

    /** This configuration with another mailbox transport ("shm", "tcp" or "unix") and FIFO depth. */
    public ClusterConfig withMailbox(String transport, int depth) {
        return toBuilder().mailboxTransport(transport).fifoDepth(depth).build();
    }

    /** This configuration with another memory policy. */
    public ClusterConfig withBalloon(BalloonPolicy policy) {
        return toBuilder().balloon(policy).build();
    }

    /** This configuration with another global memory geometry. */
    public ClusterConfig withMemory(MemoryGeometry geometry) {
        return toBuilder().memory(geometry).build();
    }

    /** This configuration with these program jars (or directories of jars) instead of its own. */
    public ClusterConfig withPrograms(List<Path> jars) {
        return toBuilder().programs(jars).build();
    }

    /** This configuration with another modelled platform. */
    public ClusterConfig withPlatform(Platform model) {
        return toBuilder().platform(model).build();
    }

    /** Every kernel's coherence domain, by kernel id (what a kernel needs to look up its peers' costs in the platform). */
    public List<String> kernelDomains() {
        return kernels().stream().map(k -> k.island().coherenceDomain()).toList();
    }

    /** A kernel to launch: its id, its name and its island. */
    public record KernelSpec(int id, String name, IslandConfig island) {
    }

    /** Fluent construction of a {@link ClusterConfig}; every setting starts at its default (K2's platform). */
    public static final class Builder {

        private String cluster = DEFAULT_CLUSTER;
        private MemoryGeometry memory = MemoryGeometry.defaults();
        private List<IslandConfig> islands = List.of(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1));
        private String controlHost = "127.0.0.1";
        private int controlPort;
        private String mailboxTransport = KernelConfiguration.TRANSPORT_DEFAULT;
        private int fifoDepth = MailboxConfiguration.FIFO_DEPTH_DEFAULT;
        private int loopSpinUs = MailboxConfiguration.LOOP_SPIN_US_DEFAULT;
        private String loopPoll = MailboxConfiguration.LOOP_POLL_DEFAULT;
        private String launch = "local";
        private Duration heartbeatInterval = KernelConfiguration.HEARTBEAT_INTERVAL_DEFAULT;
        private Duration deadAfter = DEFAULT_DEAD_AFTER;
        private List<String> kernelJvmOptions = DEFAULT_KERNEL_JVM_OPTIONS;
        private BalloonPolicy balloon = BalloonPolicy.defaults();
        private DevicesConfig devices = DevicesConfig.defaults();
        private List<Path> programs = List.of();
        private Platform platform = Platform.HOST;

        private Builder() {
        }

        private Builder(ClusterConfig c) {
            cluster = c.cluster;
            memory = c.memory;
            islands = c.islands;
            controlHost = c.controlHost;
            controlPort = c.controlPort;
            mailboxTransport = c.mailboxTransport;
            fifoDepth = c.fifoDepth;
            loopSpinUs = c.loopSpinUs;
            loopPoll = c.loopPoll;
            launch = c.launch;
            heartbeatInterval = c.heartbeatInterval;
            deadAfter = c.deadAfter;
            kernelJvmOptions = c.kernelJvmOptions;
            balloon = c.balloon;
            devices = c.devices;
            programs = c.programs;
            platform = c.platform;
        }

        public Builder cluster(String cluster) {
            this.cluster = cluster;
            return this;
        }

        public Builder memory(MemoryGeometry memory) {
            this.memory = memory;
            return this;
        }

        public Builder islands(List<IslandConfig> islands) {
            this.islands = islands;
            return this;
        }

        public Builder controlHost(String controlHost) {
            this.controlHost = controlHost;
            return this;
        }

        public Builder controlPort(int controlPort) {
            this.controlPort = controlPort;
            return this;
        }

        /** "shm", "tcp" or "unix". */
        public Builder mailboxTransport(String mailboxTransport) {
            this.mailboxTransport = mailboxTransport;
            return this;
        }

        public Builder fifoDepth(int fifoDepth) {
            this.fifoDepth = fifoDepth;
            return this;
        }

        public Builder loopSpinUs(int loopSpinUs) {
            this.loopSpinUs = loopSpinUs;
            return this;
        }

        /** "idle-core" or "always". */
        public Builder loopPoll(String loopPoll) {
            this.loopPoll = loopPoll;
            return this;
        }

        /** "local" or "external". */
        public Builder launch(String launch) {
            this.launch = launch;
            return this;
        }

        public Builder heartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
            return this;
        }

        public Builder deadAfter(Duration deadAfter) {
            this.deadAfter = deadAfter;
            return this;
        }

        public Builder kernelJvmOptions(List<String> kernelJvmOptions) {
            this.kernelJvmOptions = kernelJvmOptions;
            return this;
        }

        public Builder balloon(BalloonPolicy balloon) {
            this.balloon = balloon;
            return this;
        }

        public Builder devices(DevicesConfig devices) {
            this.devices = devices;
            return this;
        }

        public Builder programs(List<Path> programs) {
            this.programs = programs;
            return this;
        }

        public Builder platform(Platform platform) {
            this.platform = platform;
            return this;
        }

        public ClusterConfig build() {
            return new ClusterConfig(cluster, memory, islands, controlHost, controlPort, mailboxTransport, fifoDepth, loopSpinUs, loopPoll,
                launch, heartbeatInterval, deadAfter, kernelJvmOptions, balloon, devices, programs, platform);
        }
    }
}
