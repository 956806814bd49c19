package io.archipelago.cli;

import io.archipelago.control.proto.ShutdownReply;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.CoordinatorInfo;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.launch.OsProcess;
import io.archipelago.directory.ClusterDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "down", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Stop a running cluster and leave no process behind.",
    description = {"Stops every kernel (SIGTERM, then SIGKILL after the grace period), then the coordinator, and removes "
        + "the cluster's global memory, maps and secret; the logs stay in <directory>/logs. Also cleans up after a "
        + "coordinator that died."})
final class DownCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--grace-s", paramLabel = "S", description = "How long kernels get to stop after SIGTERM (default: ${DEFAULT-VALUE}).")
    long graceSeconds = CoordinatorContext.DEFAULT_STOP_GRACE.toSeconds();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ClusterDirectory directory = cluster.directory(ClusterConfig.DEFAULT_CLUSTER);
        PrintWriter out = spec.commandLine().getOut();
        Optional<CoordinatorInfo> info = CoordinatorInfo.readFrom(directory.coordinatorInfoFile());
        if (info.isEmpty()) {
            if (cleanStale(directory)) {
                out.printf("cluster '%s' was not running; removed the files its coordinator left in %s%n", directory.clusterName(),
                    directory.path());
                out.flush();
                return 0;
            }
            throw new CliException("no cluster '" + directory.clusterName() + "' is running (nothing in " + directory.path() + ")");
        }
        if (!info.get().processAlive()) {
            cleanStale(directory);
            out.printf("cluster '%s' was not running (its coordinator, pid %d, was gone); removed what it left in %s%n",
                directory.clusterName(), info.get().pid(), directory.path());
            out.flush();
            return 0;
        }
        ShutdownReply reply;
        List<Long> pids = new java.util.ArrayList<>();
        pids.add(info.get().pid());
        try (ControlClient client = ControlClient.connect(directory)) {
            client.status().getKernelsList().forEach(kernel -> pids.add(kernel.getPid()));
            reply = client.shutdown(Duration.ofSeconds(graceSeconds));
        }
        // Done only when the coordinator and every kernel it knew are gone.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds + 20);
        while (pids.stream().anyMatch(OsProcess::running)) {
            if (System.nanoTime() - deadline > 0) {
                throw new CliException("cluster '" + directory.clusterName() + "' still has processes running " + (graceSeconds + 20)
                    + " s after it was asked to stop: pids " + pids.stream().filter(OsProcess::running).toList());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        List<String> stopped = reply.getStoppedList();
        out.printf("cluster '%s' stopped: %s%n", directory.clusterName(),
            stopped.isEmpty() ? "no kernel was running" : "kernels " + String.join(", ", stopped) + " and the coordinator");
        out.flush();
        return 0;
    }

    /** A coordinator that ended without cleaning up leaves files; they are stale when nobody holds the lock. */
    private static boolean cleanStale(ClusterDirectory directory) {
        if (!Files.exists(directory.coordinatorLockFile())) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(directory.coordinatorLockFile(), StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            if (lock == null) {
                throw new CliException("cluster '" + directory.clusterName() + "' has a live coordinator holding "
                    + directory.coordinatorLockFile() + " but no coordinator.json yet: it is booting; try again");
            }
            boolean removed = false;
            for (Path file : directory.runtimeFiles()) {
                removed |= Files.deleteIfExists(file);
            }
            return removed;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up " + directory.path() + ": " + e.getMessage(), e);
        }
    }

}
