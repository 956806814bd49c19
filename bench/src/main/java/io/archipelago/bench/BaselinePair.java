package io.archipelago.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Two JVM processes running {@link SocketPingPong} or {@link CacheLinePingPong} (echo and ping), launched like kernels (same
 * java, class path and JVM options), driven over the pinger's stdin/stdout. A watchdog kills both
 * after the deadline, so a stuck baseline becomes an error, not a hang.
 */
public final class BaselinePair implements AutoCloseable {

    private final Process echo;
    private final Process pinger;
    private final BufferedReader pingerOut;
    private final Writer pingerIn;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "baseline-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private BaselinePair(Process echo, Process pinger, Duration deadline) {
        this.echo = echo;
        this.pinger = pinger;
        this.pingerOut = new BufferedReader(new InputStreamReader(pinger.getInputStream(), StandardCharsets.US_ASCII));
        this.pingerIn = new OutputStreamWriter(pinger.getOutputStream(), StandardCharsets.US_ASCII);
        watchdog.schedule(this::kill, deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the echo process, then the pinger connected to it.
     *
     * @param socketPath the Unix socket to use, or null for TCP loopback
     */
    public static BaselinePair start(Path java, String classPath, List<String> jvmOptions, Path socketPath, Duration deadline) {
        return start(java, classPath, jvmOptions, socketPath, deadline, 0, "idle-core");
    }

    /**
     * Starts the echo process, then the pinger connected to it, both polling their socket for
     * {@code pollUs} microseconds after each word before they wait (0: blocking reads), under the
     * rule {@code pollRule} ({@code idle-core} or {@code always}, see {@link SocketPingPong}).
     *
     * @param socketPath the Unix socket to use, or null for TCP loopback
     */
    public static BaselinePair start(Path java, String classPath, List<String> jvmOptions, Path socketPath, Duration deadline,
                                     int pollUs, String pollRule) {
        if (pollUs < 0) {
            throw new IllegalArgumentException("a baseline's poll window is 0 or more microseconds, found " + pollUs);
        }
        if (pollUs > 0) {
            jvmOptions = new ArrayList<>(jvmOptions);
            jvmOptions.add("-D" + SocketPingPong.POLL_US_PROPERTY + "=" + pollUs);
            jvmOptions.add("-D" + SocketPingPong.POLL_RULE_PROPERTY + "=" + pollRule);
        }
        String transport = socketPath == null ? "tcp" : "unix";
        List<String> echoArgs = new ArrayList<>(List.of("echo", transport));
        if (socketPath != null) {
            echoArgs.add(socketPath.toString());
        }
        return start(java, classPath, jvmOptions, SocketPingPong.class, echoArgs, where -> List.of("ping", transport, where), deadline,
            "the baseline processes");
    }

    /**
     * Starts the physical floor: two processes ping-ponging a cache line of {@code file} (created
     * by the echo; it must not exist), see {@link CacheLinePingPong}.
     */
    public static BaselinePair cacheLine(Path java, String classPath, List<String> jvmOptions, Path file, Duration deadline) {
        return start(java, classPath, jvmOptions, CacheLinePingPong.class, List.of("echo", file.toString()), where -> List.of("ping", where),
            deadline, "the cache-line ping-pong");
    }

    /** Starts {@code main}'s echo, waits for its READY, then starts its pinger with the arguments for where the echo is. */
    private static BaselinePair start(Path java, String classPath, List<String> jvmOptions, Class<?> main, List<String> echoArgs,
                                      java.util.function.Function<String, List<String>> pingArgs, Duration deadline, String what) {
        Process echo = null;
        try {
            echo = launch(java, classPath, jvmOptions, main, echoArgs);
            Process pinger = launch(java, classPath, jvmOptions, main, pingArgs.apply(ready(echo)));
            return new BaselinePair(echo, pinger, deadline);
        } catch (IOException e) {
            if (echo != null) {
                echo.destroyForcibly();
            }
            throw new UncheckedIOException("cannot start " + what + " with " + java + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            echo.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + what, e);
        } catch (RuntimeException e) {
            if (echo != null) {
                echo.destroyForcibly();
            }
            throw e;
        }
    }

    /** What the echo process says once it is ready: "READY &lt;where&gt;"; returns where. */
    private static String ready(Process echo) throws IOException, InterruptedException {
        BufferedReader echoOut = new BufferedReader(new InputStreamReader(echo.getInputStream(), StandardCharsets.US_ASCII));
        String ready = echoOut.readLine();
        if (ready == null || !ready.startsWith("READY ")) {
            throw new IllegalStateException("the baseline echo process did not start: it said '" + ready + "' and "
                + (echo.isAlive() ? "still runs" : "exited with " + echo.waitFor()));
        }
        return ready.substring(6);
    }

    private static Process launch(Path java, String classPath, List<String> jvmOptions, Class<?> main, List<String> args)
        throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(main.getName());
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** {@code count} round trips, one after the other; their durations in nanoseconds. */
    public long[] ping(int count) {
        String header = command("PING " + count);
        if (!header.equals("SAMPLES " + count)) {
            throw new IllegalStateException("the baseline pinger answered '" + header + "', expected 'SAMPLES " + count + "'");
        }
        long[] samples = new long[count];
        for (int i = 0; i < count; i++) {
            samples[i] = Long.parseLong(line());
        }
        return samples;
    }

    /** {@code count} words one way as fast as the socket takes them; the elapsed nanoseconds. */
    public long stream(int count) {
        String answer = command("STREAM " + count);
        if (!answer.startsWith("STREAM ")) {
            throw new IllegalStateException("the baseline pinger answered '" + answer + "', expected 'STREAM <ns>'");
        }
        return Long.parseLong(answer.substring(7));
    }

    private String command(String command) {
        try {
            pingerIn.write(command + "\n");
            pingerIn.flush();
        } catch (IOException e) {
            throw new IllegalStateException("the baseline pinger is gone (" + describe() + "): " + e.getMessage(), e);
        }
        return line();
    }

    private String line() {
        try {
            String line = pingerOut.readLine();
            if (line == null) {
                throw new IllegalStateException("the baseline pinger stopped answering (" + describe() + ")");
            }
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String describe() {
        return "pinger " + (pinger.isAlive() ? "running" : "exited with " + pinger.exitValue()) + ", echo "
            + (echo.isAlive() ? "running" : "exited with " + echo.exitValue());
    }

    private void kill() {
        pinger.destroyForcibly();
        echo.destroyForcibly();
    }

    @Override
    public void close() {
        try {
            pingerIn.write("EXIT\n");
            pingerIn.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!pinger.waitFor(2, TimeUnit.SECONDS) || !echo.waitFor(2, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        } finally {
            watchdog.shutdownNow();
        }
    }
}
