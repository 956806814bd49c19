package io.archipelago.kernel.task;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why threads failed: the exception a program's step threw (its message and stack trace), kept in the
 * cluster directory as {@code task-failures/<tid>.txt} by the kernel the thread failed on, because
 * {@code ps --all} may be answered by any kernel (or, in compose, by a kernel in another container
 * sharing the directory). A file lives as long as its thread's slot: the kernel that frees the slot
 * removes it, and a new incarnation of the cluster clears the directory.
 */
final class TaskFailures {

    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);
    /** A stack trace longer than this is cut: a runaway recursion must not fill the tmpfs. */
    static final int MAX_CHARS = 16 * 1024;

    private final Path directory;

    TaskFailures(Path directory) {
        this.directory = directory;
    }

    /** Keeps why thread {@code tid} failed; a failure to keep it is logged, never thrown (the thread is gone either way). */
    void record(int tid, Throwable failure) {
        String text = describe(failure);
        try {
            Files.createDirectories(directory);
            Path temporary = directory.resolve(tid + ".txt.tmp");
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            try {
                Files.move(temporary, file(tid), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file(tid), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warn("cannot keep why thread {} failed in {}: {}", tid, directory, e.toString());
        }
    }

    /** Why thread {@code tid} failed, if it did and its slot was not freed yet. */
    Optional<String> read(int tid) {
        try {
            return Optional.of(Files.readString(file(tid), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("(why thread " + tid + " failed cannot be read from " + file(tid) + ": " + e + ")");
        }
    }

    void forget(int tid) {
        try {
            Files.deleteIfExists(file(tid));
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", file(tid), e.toString());
        }
    }

    private Path file(int tid) {
        return directory.resolve(tid + ".txt");
    }

    /** The exception as the JVM prints it (message, frames, causes), cut at {@link #MAX_CHARS}. */
    static String describe(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        String all = text.toString().stripTrailing();
        return all.length() <= MAX_CHARS ? all : all.substring(0, MAX_CHARS) + "\n\t... (cut at " + MAX_CHARS + " characters)";
    }
}
