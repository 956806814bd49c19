package io.archipelago.testing;

import static org.awaitility.Awaitility.await;

import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.ClusterEvent;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.typed.proto.Contract;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real cluster for a test, in the spirit of Ratis' MiniCluster: the coordinator runs in the
 * test JVM, every kernel is its own JVM process over a real mmap'd global memory in a unique
 * directory under {@code /dev/shm}. Waits have deadlines and fail with the cluster's status;
 * {@link #close()} stops everything, even after a failed test, leaves no process behind, and
 * keeps the kernels' logs under {@code target/cluster-logs/}.
 * <p>
 * The kernels are launched with the test's own class path, so a {@code Program}
 * the test's project defines (listed in its {@code META-INF/services/io.archipelago.program.Program})
 * is a program every kernel can {@link #run}; jars of other programs go in the configuration
 * ({@link ClusterConfig#withPrograms}, or the YAML's {@code programs} key).
 * <p>
 * It is the {@link ClusterHandle.Flavour#PROCESSES processes} flavour of a {@link ClusterHandle}: a test body
 * written against that interface runs on the compose cluster's containers too.
 */
public final class MiniCluster implements ClusterHandle {

    /** How long a whole cluster may take to boot on a busy 2-core machine. */
    public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);

    private final Path root;
    private final Coordinator coordinator;
    /** Whose logs are kept under {@code target/cluster-logs/}; null for a benchmark's cluster. */
    private final String testName;
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    private MiniCluster(Path root, Coordinator coordinator, String testName) {
        this.root = root;
        this.coordinator = coordinator;
        this.testName = testName;
        coordinator.onEvent(events::add);
    }

    /** Starts K2's default platform (a strong x86_64 kernel and a weak armv7 kernel). */
    public static MiniCluster startDefault(String testName) {
        return start(ClusterConfig.k2Default(), testName);
    }

    /** Starts a cluster of the given islands (one entry per island), named after the test. */
    public static MiniCluster start(List<IslandConfig> islands, String testName) {
        return start(ClusterConfig.k2Default().withIslands(islands), testName);
    }

    /** Starts {@code config} under the test's name; the kernels' logs are kept under {@code target/cluster-logs/}. */
    public static MiniCluster start(ClusterConfig config, String testName) {
        return start(config, testName, BOOT_TIMEOUT);
    }

    /** As {@link #start(ClusterConfig, String)}, with more time to boot (many kernels on a shared machine). */
    public static MiniCluster start(ClusterConfig config, String testName, Duration bootTimeout) {
        return boot(newRoot(), config.withCluster(clusterName(testName)), testName, bootTimeout);
    }

    /**
     * Starts {@code config} as it is in {@code root}, a fresh directory the cluster then owns (closing it
     * removes the directory): for a benchmark or a tool rather than a test, so no logs are kept. The
     * kernels load the kernel plug-ins named (the benchmarks' workloads), besides the kernel itself.
     */
    public static MiniCluster startIn(Path root, ClusterConfig config, String... kernelPlugins) {
        return boot(root, config, null, BOOT_TIMEOUT, kernelPlugins);
    }

    private static MiniCluster boot(Path root, ClusterConfig config, String testName, Duration bootTimeout, String... kernelPlugins) {
        CoordinatorContext context = new CoordinatorContext().config(config).root(root).bootTimeout(bootTimeout)
            .stopGrace(Duration.ofSeconds(5)).kernelPlugins(kernelPlugins);
        try {
            return new MiniCluster(root, Coordinator.start(context), testName);
        } catch (RuntimeException e) {
            keepLogs(root, testName);
            deleteRecursively(root);
            throw e;
        }
    }

    /** A fresh private directory under {@code /dev/shm/archipelago-it} for a cluster (or a CLI's home). */
    public static Path newRoot() {
        try {
            Path base = Path.of("/dev/shm/archipelago-it");
            Files.createDirectories(base);
            return Files.createTempDirectory(base, "cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String clusterName(String testName) {
        String name = testName.toLowerCase().replaceAll("[^a-z0-9_.-]", "-").replaceAll("^[^a-z0-9]+", "");
        return name.isEmpty() ? "it" : name.substring(0, Math.min(name.length(), 32));
    }

    public Coordinator coordinator() {
        return coordinator;
    }

    public Path root() {
        return root;
    }

    public List<ClusterEvent> events() {
        return List.copyOf(events);
    }

    public ClusterStatus status() {
        return coordinator.status();
    }

    public KernelStatus kernel(String name) {
        return status().getKernelsList().stream().filter(k -> k.getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no kernel '" + name + "' in membership; the cluster:\n" + describe()));
    }

    public int kernelId(String name) {
        return coordinator.config().kernels().stream().filter(k -> k.name().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no kernel '" + name + "' in the configuration")).id();
    }

    /** Waits until the named kernel is in {@code state}; fails with the cluster's status after {@code timeout}. */
    public KernelStatus awaitState(String name, String state, Duration timeout) {
        return awaitKernel(name, k -> k.getState().equals(state), "to be " + state, timeout);
    }

    public KernelStatus awaitKernel(String name, Predicate<KernelStatus> condition, String what, Duration timeout) {
        try {
            await().alias("kernel " + name + " " + what).atMost(timeout).pollInterval(Duration.ofMillis(20))
                .pollDelay(Duration.ZERO)
                .until(() -> status().getKernelsList().stream().anyMatch(k -> k.getName().equals(name) && condition.test(k)));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("kernel " + name + " was not " + what + " within " + timeout.toMillis() + " ms; the cluster:\n"
                + describe(), e);
        }
        return kernel(name);
    }

    /** SIGKILL, as `kill -9`: no cleanup runs in the kernel. Returns once the process is gone (within 10 s). */
    public void kill9(String name) {
        ProcessHandle process = coordinator.process(kernelId(name)).orElseThrow(() ->
            new AssertionError("kernel " + name + " was not launched here")).process().toHandle();
        coordinator.kill(kernelId(name));
        try {
            process.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("kernel " + name + " (pid " + process.pid() + ") was still alive 10 s after SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for kernel " + name + " to die", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError("waiting for kernel " + name + " to die failed", e);
        }
    }

    /**
     * Cuts a kernel off the cluster by stopping its process (SIGSTOP): it sends no heartbeat, answers
     * no mailbox word and no call, as a kernel whose interconnect link is down; after the heartbeat's
     * dead-after time the others see it DEAD. {@link #thaw} lets it run on.
     */
    public void freeze(String name) {
        signal(name, "STOP");
    }

    /** Lets a kernel {@link #freeze frozen} kernel run on (SIGCONT). */
    public void thaw(String name) {
        signal(name, "CONT");
    }

    private void signal(String name, String signal) {
        long pid = pid(name);
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                kill.destroyForcibly();
                throw new AssertionError("kill -" + signal + " " + pid + " (kernel " + name + ") failed: "
                    + new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " for kernel " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while signalling kernel " + name, e);
        }
    }

    /** Launches a stopped or dead kernel again from its configuration; returns its name (the same) once it is RUNNING. */
    @Override
    public String restart(String name) {
        coordinator.restart(kernelId(name), BOOT_TIMEOUT);
        return kernel(name).getName();
    }

    @Override
    public Flavour flavour() {
        return Flavour.PROCESSES;
    }

    @Override
    public List<String> kernelNames() {
        return status().getKernelsList().stream().sorted(Comparator.comparingInt(KernelStatus::getId)).map(KernelStatus::getName)
            .toList();
    }

    @Override
    public String kernelOf(String island) {
        List<KernelStatus> kernels = status().getKernelsList();
        return kernels.stream().filter(k -> k.getIsland().equals(island) && k.getState().equals("RUNNING"))
            .min(Comparator.comparingInt(KernelStatus::getId)).map(KernelStatus::getName)
            .orElseThrow(() -> new AssertionError("no RUNNING kernel of island '" + island + "'; the cluster:\n" + describe()));
    }

    @Override
    public void awaitKernelState(String name, String state, Duration timeout) {
        awaitState(name, state, timeout);
    }

    @Override
    public void migrateTo(int tid, String to) {
        migrate(tid, to);
    }

    public List<KernelRecord> membership() {
        return coordinator.membership().all();
    }

    /** An authenticated control-API stub for a kernel, with a 10 s deadline per call. */
    public KernelControlGrpc.KernelControlBlockingStub kernelControl(String name) {
        KernelRecord record = coordinator.membership().byName(name)
            .orElseThrow(() -> new AssertionError("no kernel '" + name + "' in membership"));
        ManagedChannel channel = channels.computeIfAbsent(name + "@" + record.getIncarnation(), key ->
            NettyChannelBuilder.forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
                .intercept(ControlAuthentication.client(coordinator.secret(), "test")).build());
        return KernelControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** An authenticated task-control stub for a kernel (spawn, list, migrate, scheduling events), with a {@code deadline}. */
    public io.archipelago.task.proto.TaskControlGrpc.TaskControlBlockingStub tasks(String name, Duration deadline) {
        KernelRecord record = coordinator.membership().byName(name)
            .orElseThrow(() -> new AssertionError("no kernel '" + name + "' in membership"));
        ManagedChannel channel = channels.computeIfAbsent(name + "@" + record.getIncarnation(), key ->
            NettyChannelBuilder.forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .intercept(ControlAuthentication.client(coordinator.secret(), "test")).build());
        return io.archipelago.task.proto.TaskControlGrpc.newBlockingStub(channel).withMaxInboundMessageSize(64 << 20)
            .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ programs and tasks

    /** How long one call to a kernel's task API may take. */
    public static final Duration TASK_CALL = Duration.ofSeconds(30);

    /** Starts one thread of {@code program} in a new process on kernel {@code kernel}; returns its tid. */
    public int run(String kernel, String program) {
        return run(kernel, program, Map.of());
    }

    /**
     * Starts one thread of {@code program} in a new process on kernel {@code kernel}, with the
     * arguments of {@code archipelago run --arg key=value}; returns its tid.
     */
    @Override
    public int run(String kernel, String program, Map<String, String> args) {
        SpawnReply reply = tasks(kernel, TASK_CALL).spawn(SpawnRequest.newBuilder().setProgram(program).setThreads(1).putAllArgs(args)
            .build());
        return reply.getTids(0);
    }

    /** Thread {@code tid} as the task table says (exited ones included, until their slot is reclaimed). */
    public Optional<TaskInfo> task(int tid) {
        return tasks().stream().filter(t -> t.getTid() == tid).findFirst();
    }

    /** Every thread of the task table, exited ones included, read by the first RUNNING kernel. */
    public List<TaskInfo> tasks() {
        String reader = status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING")).map(KernelStatus::getName)
            .findFirst().orElseThrow(() -> new AssertionError("no kernel is RUNNING to read the task table; the cluster:\n" + describe()));
        return tasks(reader, TASK_CALL).listTasks(ListTasksRequest.newBuilder().setAll(true).build()).getTasksList();
    }

    /** Waits until thread {@code tid} satisfies {@code condition}; fails naming the thread, its last state and the cluster. */
    public TaskInfo awaitTask(int tid, Predicate<TaskInfo> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Optional<TaskInfo> last;
        while (true) {
            last = task(tid);
            if (last.isPresent() && condition.test(last.get())) {
                return last.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + tid + " was not " + what + " within " + timeout.toMillis() + " ms; it is "
                    + last.map(t -> t.getState() + " on " + t.getKernel() + " after " + t.getSteps() + " steps").orElse("gone")
                    + "; the cluster:\n" + describe());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * Waits until thread {@code tid} has exited; its exit code, and its failure if its program threw, are in the answer
     * (a failed thread whose slot was reclaimed meanwhile is answered as {@code ps --all} keeps it: state {@code RECLAIMED}).
     */
    @Override
    public TaskInfo awaitExit(int tid, Duration timeout) {
        return awaitTask(tid, t -> t.getState().equals("EXITED") || t.getState().equals("RECLAIMED"), "EXITED", timeout);
    }

    /** Migrates thread {@code tid} to kernel {@code to} by shared memory (its state stays where it is). */
    public MigrateReply migrate(int tid, String to) {
        return migrate(tid, to, MigrationMode.SHARED_MEMORY);
    }

    /** Migrates thread {@code tid} to kernel {@code to}, asking the kernel that owns it, by shared memory or by messages. */
    public MigrateReply migrate(int tid, String to, MigrationMode mode) {
        String owner = task(tid).map(TaskInfo::getKernel).orElseThrow(() -> new AssertionError("no thread " + tid + " in the task table"));
        return tasks(owner, Duration.ofSeconds(60)).migrate(MigrateRequest.newBuilder().setTid(tid).setTo(to).setMode(mode).setHops(3)
            .build());
    }

    // ------------------------------------------------------------------ counters and regions

    /** A kernel's counters (label to value), as {@code archipelago status} reads them from its counters area in global memory. */
    public Map<String, Long> counters(String kernel) {
        Map<String, Long> counters = new LinkedHashMap<>();
        for (Counter counter : kernel(kernel).getCountersList()) {
            counters.put(counter.getLabel(), counter.getValue());
        }
        return counters;
    }

    /** One counter of a kernel; fails naming the counters there are when it has none of that label. */
    public long counter(String kernel, String label) {
        Map<String, Long> counters = counters(kernel);
        Long value = counters.get(label);
        if (value == null) {
            throw new AssertionError("kernel " + kernel + " has no counter '" + label + "'; it has " + counters.keySet());
        }
        return value;
    }

    /** The contracts of every region of the cluster (global name, type, data model, location), from the region registry. */
    public List<Contract> regions() {
        return coordinator.regions().all();
    }

    /**
     * Reads fields of element {@code index} of a region through kernel {@code kernel} (in its own data
     * model, morphed if the region was laid out for another): paths such as {@code "next"} or
     * {@code "payload[2]"} through {@code view}, a {@code @Typed} interface the kernel knows, to their values.
     */
    public Map<String, FieldValue> readFields(String kernel, String region, String view, long index, String... paths) {
        FieldsRequest.Builder request = FieldsRequest.newBuilder().setRegion(region).setView(view).setIndex(index);
        for (String path : paths) {
            request.addFields(FieldValue.newBuilder().setPath(path));
        }
        Map<String, FieldValue> values = new LinkedHashMap<>();
        typedMemory(kernel).readFields(request.build()).getFieldsList().forEach(f -> values.put(f.getPath(), f));
        return values;
    }

    /** An authenticated typed-memory stub for a kernel (create, attach, read and write regions), with a 10 s deadline per call. */
    public TypedMemoryControlGrpc.TypedMemoryControlBlockingStub typedMemory(String name) {
        KernelRecord record = coordinator.membership().byName(name)
            .orElseThrow(() -> new AssertionError("no kernel '" + name + "' in membership"));
        ManagedChannel channel = channels.computeIfAbsent(name + "@" + record.getIncarnation(), key ->
            NettyChannelBuilder.forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .intercept(ControlAuthentication.client(coordinator.secret(), "test")).build());
        return TypedMemoryControlGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    /** The operating-system pid of a kernel this cluster launched. */
    public long pid(String name) {
        return coordinator.process(kernelId(name)).orElseThrow(() -> new AssertionError("kernel " + name + " was not launched here"))
            .pid();
    }

    /** The cluster's status as text, for failure messages. */
    public String describe() {
        try {
            StringBuilder text = new StringBuilder();
            for (KernelStatus k : status().getKernelsList()) {
                text.append("  ").append(k.getName()).append(" id=").append(k.getId()).append(" pid=").append(k.getPid())
                    .append(' ').append(k.getState()).append(k.getReason().isEmpty() ? "" : " (" + k.getReason() + ")")
                    .append(" heartbeat_age_ms=").append(k.getHeartbeatAgeMs()).append('\n');
            }
            text.append("  events: ").append(events);
            return text.toString();
        } catch (RuntimeException e) {
            return "  (status unavailable: " + e + ")";
        }
    }

    /** Stops the cluster, kills whatever survived, keeps the logs and removes the directory. */
    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        List<ProcessHandle> launched = new ArrayList<>();
        coordinator.config().kernels().forEach(k -> coordinator.process(k.id()).ifPresent(p -> launched.add(p.process().toHandle())));
        try {
            coordinator.shutdown(Duration.ofSeconds(5));
        } finally {
            for (ProcessHandle process : launched) {
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
            }
            keepLogs(root, testName);
            deleteRecursively(root);
        }
    }

    private static void keepLogs(Path root, String testName) {
        if (testName == null) {
            return;
        }
        Path target = Path.of("target", "cluster-logs", testName);
        try (Stream<Path> logs = Files.exists(root) ? Files.walk(root) : Stream.empty()) {
            for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                Files.createDirectories(target);
                Files.copy(log, target.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            System.err.println("MiniCluster: cannot keep the logs of " + testName + ": " + e);
        }
    }

    /** Removes {@code root} and everything under it; a failure is reported on stderr, not thrown. */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("MiniCluster: cannot remove " + root + ": " + e);
        }
    }
}
