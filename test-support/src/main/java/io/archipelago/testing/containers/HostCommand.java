package io.archipelago.testing.containers;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A command on this machine (docker-compose, the image build script), with a deadline and its output kept. */
public final class HostCommand {

    public record Result(List<String> command, int exitCode, String out, String err, Duration took) {
        public boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` exited " + exitCode + " after " + took.toMillis() + " ms\n--- stdout\n"
                + tail(out, 40) + "\n--- stderr\n" + tail(err, 40);
        }
    }

    private HostCommand() {
    }

    /**
     * Runs {@code command} in {@code directory} with {@code environment} added; throws an
     * AssertionError naming the command if it has not finished after {@code timeout}.
     */
    public static Result run(Duration timeout, Path directory, Map<String, String> environment, List<String> command) {
        long start = System.nanoTime();
        try {
            Path out = Files.createTempFile("archipelago-cmd", ".out");
            Path err = Files.createTempFile("archipelago-cmd", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                builder.environment().putAll(environment);
                Process process = builder.start();
                boolean finished;
                try {
                    finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    destroy(process); // the test timed out: leave nothing running behind it
                    throw e;
                }
                if (!finished) {
                    destroy(process);
                    throw new AssertionError("`" + String.join(" ", command) + "` did not finish within " + timeout.toSeconds()
                        + " s; its output so far:\n" + tail(Files.readString(out), 40) + "\n" + tail(Files.readString(err), 40));
                }
                return new Result(List.copyOf(command), process.exitValue(), Files.readString(out), Files.readString(err),
                    Duration.ofNanos(System.nanoTime() - start));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run `" + String.join(" ", command) + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running `" + String.join(" ", command) + "`", e);
        }
    }

    private static void destroy(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    public static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
