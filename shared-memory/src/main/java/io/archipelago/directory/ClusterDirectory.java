package io.archipelago.directory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The files of one cluster, by default under {@code /dev/shm/archipelago/<cluster>/}:
 *
 * <pre>
 *   memory.img        global memory (GlobalMemory)
 *   membership.cm     Chronicle Map: kernel id -> KernelRecord
 *   membership.cm.gen the map's generation word, advanced on every write (SnapshotMap)
 *   membership.cm.lock the map's access lock, a file lock every access takes (MapAccessLock)
 *   regions.cm        Chronicle Map: global name -> region contract
 *   regions.cm.gen    its generation word
 *   regions.cm.lock   its access lock
 *   secret            the cluster secret (mode 0600); peers prove they know it
 *   coordinator.lock  held by the live coordinator (one coordinator per cluster)
 *   coordinator.json  where the coordinator serves the control API, and its pid
 *   cluster.yaml      the configuration the cluster was started with
 *   mb-&lt;id&gt;.sock       kernel &lt;id&gt;'s mailbox, when the mailbox transport is unix
 *   logs/             one log file per kernel (rotated into &lt;name&gt;.log.1 past 16 MiB) and one for the coordinator
 * </pre>
 * The directory and {@code logs/} are 0700 and every file 0600, owned by the user who runs the
 * cluster (see {@link OwnerOnlyFiles}): on a shared host nobody else reads global memory, the
 * maps or the secret, or puts a directory or a link of theirs in the cluster's place.
 */
public record ClusterDirectory(Path path, String clusterName) {

    /** The default parent of cluster directories: a tmpfs, so global memory is RAM. */
    public static final Path DEFAULT_ROOT = Path.of("/dev/shm/archipelago");
    public static final String ROOT_ENV = "ARCHIPELAGO_HOME";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");

    public ClusterDirectory {
        checkName(clusterName);
    }

    /** The directory of cluster {@code name} under {@code root}. */
    public static ClusterDirectory under(Path root, String name) {
        checkName(name);
        return new ClusterDirectory(root.resolve(name), name);
    }

    /** The root named by {@code $ARCHIPELAGO_HOME}, or {@link #DEFAULT_ROOT}. */
    public static Path defaultRoot() {
        String fromEnv = System.getenv(ROOT_ENV);
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT_ROOT : Path.of(fromEnv);
    }

    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a cluster name is 1 to 32 characters of a-z, 0-9, '_', '.', '-', starting "
                + "with a letter or digit; found '" + name + "'");
        }
    }

    public Path memoryFile() {
        return path.resolve("memory.img");
    }

    public Path membershipFile() {
        return path.resolve("membership.cm");
    }

    /** The membership map's generation word ({@link SnapshotMap#generationFile}). */
    public Path membershipGenerationFile() {
        return SnapshotMap.generationFile(membershipFile());
    }

    /** The region registry's generation word. */
    public Path regionsGenerationFile() {
        return SnapshotMap.generationFile(regionsFile());
    }

    /**
     * The files a running cluster shares, which the coordinator removes when it stops (and
     * {@code down} when a coordinator died without doing so): not the configuration, the logs or
     * the coordinator's lock.
     */
    public java.util.List<Path> runtimeFiles() {
        return java.util.List.of(coordinatorInfoFile(), memoryFile(), membershipFile(), membershipGenerationFile(),
            SnapshotMap.lockFile(membershipFile()), regionsFile(), regionsGenerationFile(), SnapshotMap.lockFile(regionsFile()),
            secretFile());
    }

    public Path regionsFile() {
        return path.resolve("regions.cm");
    }

    public Path secretFile() {
        return path.resolve("secret");
    }

    public Path coordinatorLockFile() {
        return path.resolve("coordinator.lock");
    }

    public Path coordinatorInfoFile() {
        return path.resolve("coordinator.json");
    }

    public Path configFile() {
        return path.resolve("cluster.yaml");
    }

    /** Kernel {@code kernelId}'s mailbox socket (Unix domain socket transport); short, as socket paths are limited to 107 bytes. */
    public Path mailboxSocket(int kernelId) {
        return path.resolve("mb-" + kernelId + ".sock");
    }

    public Path logsDirectory() {
        return path.resolve("logs");
    }

    /** Jars of users' programs every kernel of the cluster loads at boot ({@code up --programs}). */
    public Path programsDirectory() {
        return path.resolve("programs");
    }

    /**
     * Why threads failed: one text file per failed thread (its exception and stack trace), written by the
     * kernel it failed on and read by whichever kernel lists the task table ({@code ps --all}).
     */
    public Path taskFailuresDirectory() {
        return path.resolve("task-failures");
    }

    /**
     * Creates this cluster's directory and {@code logs/} for this process's user only (0700), or
     * checks and tightens existing ones; checks the parent (created 0700 when missing) too. Log
     * files kept from earlier runs become 0600.
     *
     * @throws UnsafeClusterFileException when the parent or the directory is a symbolic link or
     *                                    another user's, or the parent is writable by others
     */
    public void createForOwner() {
        Path absolute = path.toAbsolutePath();
        OwnerOnlyFiles.checkParent(absolute.getParent(), "cluster home");
        OwnerOnlyFiles.ownDirectory(absolute, "cluster directory");
        OwnerOnlyFiles.ownDirectory(logsDirectory(), "cluster log directory");
        try (DirectoryStream<Path> logs = Files.newDirectoryStream(logsDirectory())) {
            for (Path log : logs) {
                if (!Files.isDirectory(log, LinkOption.NOFOLLOW_LINKS)) {
                    OwnerOnlyFiles.ownFile(log, "log file");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + logsDirectory() + ": " + e.getMessage(), e);
        }
    }

    public Path kernelLog(String kernelName) {
        return logsDirectory().resolve(kernelName + ".log");
    }
}
