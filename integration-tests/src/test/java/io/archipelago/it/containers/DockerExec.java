package io.archipelago.it.containers;

import io.archipelago.testing.containers.HostCommand;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;

/**
 * {@code docker exec} with a deadline (Testcontainers' execInContainer has none): a command that
 * does not finish in time is a test failure naming it, never a hang.
 */
final class DockerExec {

    record Result(List<String> command, long exitCode, String out, String err, Duration took) {
        boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` exited " + exitCode + " after " + took.toMillis() + " ms\n--- stdout\n"
                + HostCommand.tail(out, 30) + "\n--- stderr\n" + HostCommand.tail(err, 30);
        }
    }

    private DockerExec() {
    }

    static Result run(String containerId, Duration timeout, String... command) {
        DockerClient docker = DockerClientFactory.instance().client();
        long start = System.nanoTime();
        ExecCreateCmdResponse exec = docker.execCreateCmd(containerId).withAttachStdout(true).withAttachStderr(true)
            .withCmd(command).exec();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                ByteArrayOutputStream target = frame.getStreamType() == StreamType.STDERR ? err : out;
                synchronized (target) {
                    target.writeBytes(frame.getPayload());
                }
            }
        };
        try (ResultCallback.Adapter<Frame> running = docker.execStartCmd(exec.getId()).exec(callback)) {
            if (!running.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("`" + String.join(" ", command) + "` in container " + shortId(containerId) + " did not finish within "
                    + timeout.toMillis() + " ms; its output so far:\n" + text(out) + text(err));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running `" + String.join(" ", command) + "`", e);
        } catch (IOException e) {
            throw new AssertionError("cannot close the exec of `" + String.join(" ", command) + "`: " + e.getMessage(), e);
        }
        Long exitCode = docker.inspectExecCmd(exec.getId()).exec().getExitCodeLong();
        return new Result(List.of(command), exitCode == null ? -1 : exitCode, text(out), text(err),
            Duration.ofNanos(System.nanoTime() - start));
    }

    private static String text(ByteArrayOutputStream stream) {
        synchronized (stream) {
            return stream.toString(StandardCharsets.UTF_8);
        }
    }

    static String shortId(String containerId) {
        return containerId.substring(0, Math.min(12, containerId.length()));
    }
}
