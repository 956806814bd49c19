package io.archipelago.it.faults;

import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.launch.KernelClassPath;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.testing.MiniCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A kernel process that joins a running cluster the way a container kernel does: started here,
 * not by the coordinator, so the coordinator cannot kill it when it declares it DEAD. Its output
 * goes to {@code logs/<name>.log} in the cluster directory, beside the launched kernels' logs.
 */
final class UnsupervisedKernel implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private UnsupervisedKernel(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts kernel {@code name} on an armv7 island in coherence domain b and waits (bounded) until it is RUNNING. */
    static UnsupervisedKernel join(MiniCluster cluster, String name, Duration timeout) {
        return join(cluster, name, timeout, List.of());
    }

    /** As {@link #join(MiniCluster, String, Duration)}, with more JVM options (e.g. {@code -Darchipelago.faults=...}). */
    static UnsupervisedKernel join(MiniCluster cluster, String name, Duration timeout, List<String> jvmOptions) {
        UnsupervisedKernel kernel = start(cluster, name, jvmOptions);
        kernel.awaitState(cluster, KernelState.RUNNING, timeout);
        return kernel;
    }

    /** Starts kernel {@code name} (as {@link #join}) without waiting for it to boot. */
    static UnsupervisedKernel start(MiniCluster cluster, String name, List<String> jvmOptions) {
        var config = cluster.coordinator().config();
        Path directory = cluster.coordinator().directory().path();
        Path log = cluster.coordinator().directory().kernelLog(name);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(CoordinatorContext.defaultJvmOptions());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", KernelClassPath.of(System.getProperty("java.class.path")), "io.archipelago.kernel.boot.KernelMain",
            "--cluster", config.cluster(), "--directory", directory.toString(), "--name", name, "--island", "rogue",
            "--data-model", "armv7", "--cores", "1", "--speed", "0.25", "--domain", "b", "--power-model", "cortex-m3",
            "--transport", config.mailboxTransport(), "--fifo-depth", Integer.toString(config.fifoDepth()),
            "--heartbeat-ms", Long.toString(config.heartbeatInterval().toMillis())));
        Process process;
        try {
            Files.createDirectories(log.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start kernel " + name + ": " + e.getMessage(), e);
        }
        return new UnsupervisedKernel(name, process, log);
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    /** Whether the process is stopped now (state T in /proc/pid/stat). */
    boolean stopped() throws IOException {
        Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
        if (!Files.exists(stat)) {
            return false;
        }
        String text = Files.readString(stat);
        int close = text.lastIndexOf(')');
        return close > 0 && text.length() > close + 2 && text.charAt(close + 2) == 'T';
    }

    /** Sends the process a signal ({@code STOP}, {@code CONT}, ...) with kill(1). */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " (kernel " + name + ") failed");
        }
    }

    /** Waits until membership shows this kernel in {@code state}, or fails naming what it shows. */
    KernelRecord awaitState(MiniCluster cluster, KernelState state, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<KernelRecord> record = cluster.coordinator().membership().byName(name);
            if (record.isPresent() && record.get().getState() == state) {
                return record.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("kernel " + name + " not " + state + " within " + timeout.toMillis() + " ms: membership shows "
                    + record.map(r -> r.getState() + " " + r.getReason()).orElse("no record") + "; process "
                    + (process.isAlive() ? "alive" : "exited " + process.exitValue()) + "; log " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Waits (bounded) for the process to exit; returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("kernel " + name + " (pid " + process.pid() + ") still runs " + timeout.toMillis() + " ms later; log " + log);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
