package io.archipelago.cli;

import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.CoordinatorInfo;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ClusterConfigLoader;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.OwnerOnlyFiles;
import io.archipelago.trace.TraceRing;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "up", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Boot a cluster of kernel processes and watch it.",
    description = {"Creates the cluster directory (global memory, membership, secret), launches every kernel as a child "
        + "JVM process and watches them until stopped (Ctrl-C, SIGTERM or `archipelago down`).",
        "Without -c the cluster is K2's platform: island strong (x86_64, 2 cores, domain a) and island weak (armv7, "
        + "1 core at speed 0.25, domain b), one kernel each."})
final class UpCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Cluster configuration (YAML).")
    Path configFile;

    @Option(names = {"-d", "--detach"}, description = "Start the coordinator in the background and return once every kernel is RUNNING.")
    boolean detach;

    @Option(names = "--boot-timeout-s", paramLabel = "S", description = "How long the kernels may take to boot (default: ${DEFAULT-VALUE}).")
    long bootTimeoutSeconds = CoordinatorContext.DEFAULT_BOOT_TIMEOUT.toSeconds();

    @Option(names = "--programs", paramLabel = "JAR|DIR", split = ",",
        description = "Jars of your own programs (or directories of jars), repeatable: copied into the cluster directory, where every "
            + "kernel loads them at boot, each jar in a class loader of its own (see `archipelago programs`).")
    List<Path> programs = new ArrayList<>();

    @Option(names = "--trace", paramLabel = "FILE", description = "When the cluster stops (Ctrl-C, or `archipelago down`), write its "
        + "timeline (the newest events of every kernel's trace ring: steps, DSM faults, migrations, interrupts, mailbox words) as a "
        + "Perfetto trace to FILE, for the Perfetto UI (ui.perfetto.dev); as Chrome's trace-event JSON when FILE ends in .json. "
        + "`archipelago trace save` writes one at any moment.")
    Path trace;

    @Option(names = "--secret-file", paramLabel = "FILE",
        description = "Adopt this cluster secret (hex text, e.g. from `openssl rand -hex 32`) instead of generating one; it is copied to the cluster directory (mode 0600).")
    Path secretFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ClusterConfig config = configFile == null ? ClusterConfig.k2Default() : ClusterConfigLoader.load(configFile);
        config = config.withCluster(cluster.clusterOr(config.cluster()));
        PrintWriter out = spec.commandLine().getOut();
        for (Path program : programs) {
            if (!Files.isRegularFile(program) && !Files.isDirectory(program)) {
                throw new CliException("--programs: expected a jar or a directory of jars, found nothing at " + program.toAbsolutePath());
            }
        }
        if (detach) {
            return detach(config, out);
        }
        CoordinatorContext context = new CoordinatorContext().config(config).root(cluster.root())
            .bootTimeout(Duration.ofSeconds(bootTimeoutSeconds)).secretFile(secretFile).programs(programs);
        out.printf("booting cluster '%s': %d kernel(s) on %d island(s)...%n", config.cluster(), config.totalKernels(),
            config.islands().size());
        out.flush();
        Coordinator coordinator = Coordinator.start(context);
        AtomicBoolean traceSaved = new AtomicBoolean();
        Runnable saveTrace = () -> {
            if (trace != null && traceSaved.compareAndSet(false, true)) {
                try {
                    List<TraceRing.Snapshot> kernels = TraceCommand.save(coordinator.directory(), trace);
                    out.printf("timeline of %d kernel(s) written to %s%n", TraceCommand.kernels(kernels).size(), trace);
                } catch (CliException e) {
                    out.printf("the timeline was not written: %s%n", e.getMessage());
                }
                out.flush();
            }
        };
        Thread hook = new Thread(() -> {
            coordinator.close();
            saveTrace.run(); // the stopped kernels' rings are still in the cluster directory
        }, "coordinator-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        StatusView.printTable(coordinator.status(), out, false);
        out.printf("cluster '%s' is up; Ctrl-C or `archipelago down --cluster %s` stops it%n", config.cluster(), config.cluster());
        out.flush();
        coordinator.awaitTermination();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running: it stops the coordinator and writes the timeline
            return 0;
        }
        saveTrace.run();
        return 0;
    }

    /** Starts `archipelago up` in a background process and waits until its coordinator answers. */
    private int detach(ClusterConfig config, PrintWriter out) {
        ClusterDirectory directory = ClusterDirectory.under(cluster.root(), config.cluster());
        Optional<CoordinatorInfo> existing = CoordinatorInfo.readFrom(directory.coordinatorInfoFile());
        if (existing.isPresent() && existing.get().processAlive()) {
            throw new CliException("cluster '" + config.cluster() + "' is already running (coordinator pid " + existing.get().pid()
                + "); see `archipelago status`, or stop it with `archipelago down`");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(CoordinatorContext.defaultJvmOptions());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Archipelago.class.getName());
        command.add("up");
        command.add("--cluster");
        command.add(config.cluster());
        command.add("--home");
        command.add(cluster.root().toString());
        command.add("--boot-timeout-s");
        command.add(Long.toString(bootTimeoutSeconds));
        if (secretFile != null) {
            command.add("--secret-file");
            command.add(secretFile.toAbsolutePath().toString());
        }
        if (configFile != null) {
            command.add("--config");
            command.add(configFile.toAbsolutePath().toString());
        }
        if (trace != null) {
            command.add("--trace");
            command.add(trace.toAbsolutePath().toString());
        }
        for (Path program : programs) {
            command.add("--programs");
            command.add(program.toAbsolutePath().toString());
        }
        Path log = directory.logsDirectory().resolve("coordinator.log");
        Process process;
        try {
            // the coordinator's log is the first file of a new cluster: owner-only, like every other one
            directory.createForOwner();
            OwnerOnlyFiles.ensureFile(log, "coordinator log");
            // emptied, then appended to: the coordinator keeps it bounded by emptying it when it grows past 16 MiB (KernelLogs),
            // and its next line must then land at the start, not at its old offset
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(log, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                channel.truncate(0);
            }
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the coordinator: " + e.getMessage(), e);
        }
        out.printf("booting cluster '%s' in the background (coordinator pid %d, log %s)...%n", config.cluster(), process.pid(), log);
        out.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(bootTimeoutSeconds + 30);
        while (true) {
            if (!process.isAlive()) {
                throw new CliException("the coordinator exited with code " + process.exitValue() + " while booting; its log " + log
                    + " ends with:\n" + tail(log));
            }
            Optional<CoordinatorInfo> info = CoordinatorInfo.readFrom(directory.coordinatorInfoFile());
            if (info.isPresent() && info.get().pid() == process.pid() && info.get().ready()) {
                try (ControlClient client = ControlClient.connect(directory)) {
                    StatusView.printTable(client.status(), out, false);
                }
                out.printf("cluster '%s' is up; `archipelago status` shows it, `archipelago down` stops it%n", config.cluster());
                out.flush();
                return 0;
            }
            if (System.nanoTime() - deadline > 0) {
                process.destroy();
                throw new CliException("the coordinator did not report the cluster up within " + (bootTimeoutSeconds + 30)
                    + " s; its log " + log + " ends with:\n" + tail(log));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return "  | " + String.join("\n  | ", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "  (cannot read it: " + e.getMessage() + ")";
        }
    }
}
