package io.archipelago.kernel.task;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Why threads failed: the exception a program's step threw (its message and stack trace), kept in the
 * cluster directory by the kernel the thread failed on, because {@code ps --all} may be answered by any
 * kernel (or, in compose, by a kernel in another container sharing the directory).
 *
 * <p>While the thread's slot is in the task table its failure is {@code task-failures/<tid>.txt}. When
 * the kernel that frees the slot reclaims it, the failure is not lost with it: the file is renamed
 * {@code task-failures/reclaimed-<epoch ms>-<tid>.txt}, and {@code ps --all} keeps showing it (state
 * {@code RECLAIMED}) until {@link #KEPT} newer reclaimed failures have pushed it out: the directory holds at
 * most {@link #KEPT} of them (the oldest go first), each at most {@link #MAX_CHARS} characters, so it stays
 * small on the tmpfs. A new incarnation of the cluster clears the directory.
 *
 * <p>A file's first line describes its thread, for when the slot is gone:
 * {@code #thread tid=<tid> pid=<pid> kernel_id=<id> exit_code=<code> program=<name>}; the stack trace follows.
 */
public final class TaskFailures {

    private static final Logger LOG = LoggerFactory.getLogger(TaskFailures.class);
    /** A stack trace longer than this is cut: a runaway recursion must not fill the tmpfs. */
    static final int MAX_CHARS = 16 * 1024;
    /** How many failures of reclaimed threads the cluster keeps ({@code -Darchipelago.tasks.failures-kept} on the kernels). */
    static final int KEPT = Integer.getInteger("archipelago.tasks.failures-kept", 16);
    private static final String HEADER = "#thread ";
    private static final String RECLAIMED = "reclaimed-";

    /** The failure of a thread whose slot was reclaimed, as its file keeps it. */
    public record Reclaimed(int tid, int pid, int kernelId, int exitCode, String program, String failure) {
    }

    private final Path directory;
    private final int kept;

    TaskFailures(Path directory) {
        this(directory, KEPT);
    }

    TaskFailures(Path directory, int kept) {
        this.directory = directory;
        this.kept = kept;
    }

    /** Keeps why thread {@code tid} failed; a failure to keep it is logged, never thrown (the thread is gone either way). */
    void record(int tid, int pid, int kernelId, int exitCode, String program, Throwable failure) {
        String text = HEADER + "tid=" + tid + " pid=" + pid + " kernel_id=" + kernelId + " exit_code=" + exitCode + " program="
            + program.replaceAll("\\s", "_") + "\n" + describe(failure);
        try {
            Files.createDirectories(directory);
            Path temporary = directory.resolve(tid + ".txt.tmp");
            Files.writeString(temporary, text, StandardCharsets.UTF_8);
            move(temporary, file(tid));
        } catch (IOException e) {
            LOG.warn("cannot keep why thread {} failed in {}: {}", tid, directory, e.toString());
        }
    }

    /** Why thread {@code tid} failed, if it did and its slot was not freed yet. */
    Optional<String> read(int tid) {
        try {
            return Optional.of(body(Files.readString(file(tid), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("(why thread " + tid + " failed cannot be read from " + file(tid) + ": " + e + ")");
        }
    }

    /** Thread {@code tid}'s slot was freed: its failure, if it had one, joins the reclaimed ones, the oldest beyond {@link #KEPT} go. */
    void forget(int tid) {
        Path file = file(tid);
        if (!Files.exists(file)) {
            return;
        }
        try {
            move(file, directory.resolve(String.format("%s%013d-%d.txt", RECLAIMED, System.currentTimeMillis(), tid)));
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.debug("cannot keep the failure of reclaimed thread {}: {}", tid, e.toString());
            deleteQuietly(file);
        }
        List<Path> reclaimed = reclaimedFiles();
        for (int i = kept; i < reclaimed.size(); i++) {
            deleteQuietly(reclaimed.get(i));
        }
    }

    /** The failures of reclaimed threads still kept, newest first. */
    List<Reclaimed> reclaimed() {
        List<Reclaimed> all = new ArrayList<>();
        for (Path file : reclaimedFiles()) {
            try {
                parse(Files.readString(file, StandardCharsets.UTF_8)).ifPresent(all::add);
            } catch (IOException e) {
                // pushed out by another kernel between the listing and the read
            }
        }
        return all;
    }

    /** Newest first: the names sort by the time the slot was reclaimed. */
    private List<Path> reclaimedFiles() {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, RECLAIMED + "*.txt")) {
            entries.forEach(files::add);
        } catch (NoSuchFileException e) {
            return files;
        } catch (IOException e) {
            LOG.debug("cannot list the reclaimed failures in {}: {}", directory, e.toString());
        }
        files.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        return files;
    }

    static Optional<Reclaimed> parse(String text) {
        if (!text.startsWith(HEADER)) {
            return Optional.empty();
        }
        int end = text.indexOf('\n');
        String header = end < 0 ? text : text.substring(0, end);
        int tid = 0;
        int pid = 0;
        int kernelId = -1;
        int exitCode = 0;
        String program = "";
        try {
            for (String field : header.substring(HEADER.length()).split(" ")) {
                int equals = field.indexOf('=');
                String value = equals < 0 ? "" : field.substring(equals + 1);
                switch (equals < 0 ? field : field.substring(0, equals)) {
                    case "tid" -> tid = Integer.parseInt(value);
                    case "pid" -> pid = Integer.parseInt(value);
                    case "kernel_id" -> kernelId = Integer.parseInt(value);
                    case "exit_code" -> exitCode = Integer.parseInt(value);
                    case "program" -> program = value;
                    default -> { }
                }
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return Optional.of(new Reclaimed(tid, pid, kernelId, exitCode, program, body(text)));
    }

    private static String body(String text) {
        if (!text.startsWith(HEADER)) {
            return text;
        }
        int end = text.indexOf('\n');
        return end < 0 ? "" : text.substring(end + 1);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", file, e.toString());
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
