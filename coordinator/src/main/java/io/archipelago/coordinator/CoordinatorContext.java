package io.archipelago.coordinator;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.launch.BuildJvmOptions;
import io.archipelago.coordinator.launch.KernelClassPath;
import io.archipelago.directory.ClusterDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a coordinator needs (after Aeron's {@code MediaDriver.Context}): the cluster
 * configuration, where cluster directories live, how kernels are launched, and its deadlines.
 * {@link #conclude()} validates and fills in defaults.
 */
public final class CoordinatorContext {

    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(5);

    private ClusterConfig config = ClusterConfig.k2Default();
    private Path root = ClusterDirectory.defaultRoot();
    private Duration bootTimeout = DEFAULT_BOOT_TIMEOUT;
    private Duration stopGrace = DEFAULT_STOP_GRACE;
    private Path javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java");
    private String classPath = KernelClassPath.of(System.getProperty("java.class.path"));
    private List<String> jvmOptions;
    private Path secretFile;
    private List<Path> programs = List.of();

    public CoordinatorContext conclude() {
        List<String> problems = new ArrayList<>();
        if (config == null) {
            problems.add("config: a cluster configuration is required");
        }
        if (root == null) {
            problems.add("root: a directory for cluster directories is required");
        }
        if (bootTimeout.isNegative() || bootTimeout.isZero()) {
            problems.add("boot timeout: expected > 0, found " + bootTimeout);
        }
        if (stopGrace.isNegative()) {
            problems.add("stop grace: expected >= 0, found " + stopGrace);
        }
        if (secretFile != null && !java.nio.file.Files.isReadable(secretFile)) {
            problems.add("secret file: expected a readable file with the cluster secret (hex text), found nothing readable at "
                + secretFile);
        }
        List<Path> allPrograms = new ArrayList<>(programs);
        if (config != null) {
            allPrograms.addAll(config.programs());
        }
        for (Path program : allPrograms) {
            if (!java.nio.file.Files.isRegularFile(program) && !java.nio.file.Files.isDirectory(program)) {
                problems.add("programs: expected a jar or a directory of jars, found nothing at " + program);
            }
        }
        if (classPath == null || classPath.isBlank()) {
            problems.add("class path: the kernels' class path is empty");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid coordinator configuration:\n  - " + String.join("\n  - ", problems));
        }
        if (jvmOptions == null) {
            jvmOptions = defaultJvmOptions();
        }
        return this;
    }

    /** The build's JVM options (Chronicle Map exports/opens, native access, analytics off). */
    public static List<String> defaultJvmOptions() {
        return BuildJvmOptions.read();
    }

    public ClusterDirectory clusterDirectory() {
        return ClusterDirectory.under(root, config.cluster());
    }

    public ClusterConfig config() {
        return config;
    }

    public CoordinatorContext config(ClusterConfig config) {
        this.config = config;
        return this;
    }

    public Path root() {
        return root;
    }

    public CoordinatorContext root(Path root) {
        this.root = root;
        return this;
    }

    public Duration bootTimeout() {
        return bootTimeout;
    }

    public CoordinatorContext bootTimeout(Duration bootTimeout) {
        this.bootTimeout = bootTimeout;
        return this;
    }

    public Duration stopGrace() {
        return stopGrace;
    }

    public CoordinatorContext stopGrace(Duration stopGrace) {
        this.stopGrace = stopGrace;
        return this;
    }

    public Path javaExecutable() {
        return javaExecutable;
    }

    public CoordinatorContext javaExecutable(Path javaExecutable) {
        this.javaExecutable = javaExecutable;
        return this;
    }

    public String classPath() {
        return classPath;
    }

    public CoordinatorContext classPath(String classPath) {
        this.classPath = classPath;
        return this;
    }

    /**
     * The kernels' class path with the jars of the kernel plug-ins {@code plugins} (by name, as
     * the benchmarks' workloads): a distribution launches its kernels with kernel-node's jars only
     * unless a launcher asks for a plug-in here; from class directories every plug-in is there.
     */
    public CoordinatorContext kernelPlugins(String... plugins) {
        this.classPath = KernelClassPath.of(System.getProperty("java.class.path"), plugins);
        return this;
    }

    public List<String> jvmOptions() {
        return jvmOptions;
    }

    public CoordinatorContext jvmOptions(List<String> jvmOptions) {
        this.jvmOptions = List.copyOf(jvmOptions);
        return this;
    }

    /** The cluster secret to adopt, or null (the default) to generate a fresh one. */
    public Path secretFile() {
        return secretFile;
    }

    /**
     * Adopts an existing cluster secret (hex text, e.g. {@code openssl rand -hex 32}) instead of
     * generating one: for clusters whose members are handed the secret from outside, such as
     * containers given a compose secret.
     */
    public CoordinatorContext secretFile(Path secretFile) {
        this.secretFile = secretFile;
        return this;
    }

    /** Jars (or directories of jars) of users' programs, put in the cluster directory for every kernel to load. */
    public List<Path> programs() {
        return programs;
    }

    public CoordinatorContext programs(List<Path> programs) {
        this.programs = List.copyOf(programs);
        return this;
    }
}
