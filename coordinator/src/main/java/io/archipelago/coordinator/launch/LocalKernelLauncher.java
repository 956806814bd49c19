package io.archipelago.coordinator.launch;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfig.KernelSpec;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.OwnerOnlyFiles;
import io.archipelago.kernel.KernelContext;
import io.archipelago.kernel.boot.KernelMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Launches kernels as child JVM processes of the coordinator, with the JVM options every
 * Archipelago JVM needs, the coordinator's class path, and {@code --watch-pid} set to the
 * coordinator so that no kernel outlives it. Each kernel's output goes to
 * {@code logs/<name>.log} in the cluster directory, in append mode, emptied at launch, so that
 * the coordinator can keep it bounded ({@link KernelLogs}).
 */
public final class LocalKernelLauncher {

    private static final String KERNEL_MAIN = KernelMain.class.getName();
    /**
     * Netty 4.2 instantiates its buffer allocator's JDK Flight Recorder events when JFR is available, which sets up
     * JFR's event machinery in every kernel (~110 classes, ~1 MiB of class metadata) for events nobody records.
     * Before the cluster's {@code kernel-jvm-options}, so that {@code -Dio.netty.jfr.enabled=true} there turns them on.
     */
    static final List<String> KERNEL_DEFAULTS = List.of("-Dio.netty.jfr.enabled=false");

    private final ClusterConfig config;
    private final ClusterDirectory directory;
    private final Path java;
    private final String classPath;
    private final List<String> jvmOptions;
    private final KernelClassDataSharing classDataSharing;

    public LocalKernelLauncher(ClusterConfig config, ClusterDirectory directory, Path java, String classPath, List<String> jvmOptions) {
        this.config = config;
        this.directory = directory;
        this.java = java;
        this.classPath = classPath;
        this.jvmOptions = List.copyOf(jvmOptions);
        List<String> all = new ArrayList<>(jvmOptions);
        all.addAll(config.kernelJvmOptions());
        this.classDataSharing = KernelClassDataSharing.forKernels(java, classPath, all);
    }

    /** Makes the kernels' class-data archive ready (dumped here when missing), ahead of the first launch. */
    public void prepareClassData() {
        classDataSharing.kernelOptions();
    }

    public KernelProcess launch(KernelSpec spec) {
        List<String> command = command(spec);
        Path log = directory.kernelLog(spec.name());
        try {
            // owner-only before the redirect opens it (which would create it with the umask's mode)
            OwnerOnlyFiles.ownDirectory(log.getParent(), "cluster log directory");
            OwnerOnlyFiles.ensureFile(log, "kernel log");
            try (FileChannel channel = FileChannel.open(log, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                channel.truncate(0);
            }
            Files.deleteIfExists(KernelLogs.previous(log));
            // append mode: when the coordinator empties a log that grew too long, the kernel's next line goes to its start
            ProcessBuilder builder = new ProcessBuilder(command);
            // glibc gives each thread that allocates an arena of its own; a kernel's few dozen threads
            // allocate little natively, and two arenas keep a few MiB of resident memory per kernel off
            builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
            Process process = builder
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
            return new KernelProcess(spec, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch kernel " + spec.name() + " with " + java + ": " + e.getMessage(), e);
        }
    }

    /**
     * The one context the coordinator hands this kernel (as {@link KernelMain#arguments}' flags),
     * concluded here so that a bad setting stops the launch with the kernel's own message.
     */
    KernelContext context(KernelSpec spec) {
        KernelContext context = new KernelContext()
            .clusterName(config.cluster())
            .directory(directory.path())
            .kernelId(spec.id())
            .kernelName(spec.name())
            .island(spec.island().name())
            .dataModel(spec.island().dataModel())
            .cores(spec.island().cores())
            .speed(spec.island().speed())
            .coherenceDomain(spec.island().coherenceDomain())
            .powerModel(spec.island().powerModel())
            .transport(config.mailboxTransport())
            .fifoDepth(config.fifoDepth())
            .heartbeatInterval(config.heartbeatInterval())
            .initialBlocks(config.balloon().initialBlocks())
            .migrateMaxPages(config.balloon().migrateMaxPages())
            // the manager may ask a few kernels to inflate, each within its request timeout, before it answers
            .balloonRequestTimeout(config.balloon().requestTimeout().multipliedBy(3))
            .watchPid(ProcessHandle.current().pid())
            .platform(config.platform())
            .kernelDomains(config.kernelDomains());
        context.mailbox().loopSpin(Duration.ofNanos(config.loopSpinUs() * 1000L)).loopPoll(config.loopPoll());
        return context.conclude();
    }

    List<String> command(KernelSpec spec) {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.addAll(KERNEL_DEFAULTS);
        command.addAll(config.kernelJvmOptions());
        command.addAll(classDataSharing.kernelOptions());
        command.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        command.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        command.add("-cp");
        command.add(classPath);
        command.add(KERNEL_MAIN);
        command.addAll(KernelMain.arguments(context(spec)));
        return command;
    }
}
