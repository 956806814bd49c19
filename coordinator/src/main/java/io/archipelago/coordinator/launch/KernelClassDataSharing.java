package io.archipelago.coordinator.launch;

import io.archipelago.coordinator.config.ClusterConfig;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application class-data sharing (AppCDS) archive of the kernels. A kernel JVM spends most of
 * its boot loading, parsing and verifying the same seven thousand classes (Netty, gRPC, Protocol
 * Buffers, Chronicle, the kernel's own); from a CDS archive they are mapped from one file already
 * parsed, and those pages are shared by every kernel on the machine instead of being rebuilt in
 * each one's class metadata.
 *
 * <p>The archive is dumped once per build and set of JVM options, before the first kernel that
 * needs it is launched ({@code java -Xshare:dump}, a few seconds), from the list of classes a
 * kernel loads while it boots ({@value #CLASS_LIST}, recorded with
 * {@code -XX:DumpLoadedClassList}; a class the list names that no longer exists is skipped, one
 * that is missing from it is loaded as before). A dump at a kernel's exit
 * ({@code -XX:+AutoCreateSharedArchive}) was tried first: under load it outlasts the stop grace
 * and is killed. The file is named after what it depends on (the java executable, the class path,
 * the JVM options) and lives in the user's cache directory ({@code $XDG_CACHE_HOME} or
 * {@code ~/.cache}, {@code archipelago/cds/}), where it outlives the cluster directory.
 *
 * <p>Only a class path of jar files can be archived (the distribution's {@code lib/}); from class
 * directories (tests, an IDE) the kernels run without the archive. Options that choose a CDS mode
 * themselves ({@code -Xshare:...}, {@code -XX:SharedArchiveFile}, ...) turn it off:
 * {@code -Xshare:off} in the cluster's {@code kernel-jvm-options} runs the kernels without any.
 */
final class KernelClassDataSharing {

    private static final Logger LOG = LoggerFactory.getLogger(KernelClassDataSharing.class);
    static final String CLASS_LIST = "/archipelago/kernel-classes.txt";
    private static final long DUMP_TIMEOUT_S = 180;
    private static final int KEEP_ARCHIVES = 3;

    /**
     * Options that size the heap and stacks, tune the JIT or set a property: none changes which classes an archive holds
     * or whether the JVM maps it, so clusters that differ only in them (the default kernels, clusters/sixteen.yaml's)
     * share one archive, and the one the distribution's build dumps ({@link #main}) serves them all.
     */
    private static final Pattern SIZING = Pattern.compile(
        "-Xm[sxn]|-Xss|-D|-XX:(MaxHeapFreeRatio|MinHeapFreeRatio|TrimNativeHeapInterval|TieredStopAtLevel)=");

    private final Path java;
    private final String classPath;
    private final List<String> jvmOptions;
    private final Path archive;
    private boolean prepared;

    private KernelClassDataSharing(Path java, String classPath, List<String> jvmOptions, Path archive) {
        this.java = java;
        this.classPath = classPath;
        this.jvmOptions = jvmOptions;
        this.archive = archive;
    }

    /**
     * Dumps the archive the kernels of a default cluster launched from this class path will map (run by the distribution's
     * build, {@code bin/prepare-class-data}), so that the first {@code up} after a build does not wait for it.
     */
    public static void main(String[] args) {
        List<String> options = new ArrayList<>(BuildJvmOptions.read());
        options.addAll(ClusterConfig.DEFAULT_KERNEL_JVM_OPTIONS);
        KernelClassDataSharing sharing = forKernels(Path.of(System.getProperty("java.home"), "bin", "java"),
            KernelClassPath.of(System.getProperty("java.class.path")), options);
        if (sharing.archive == null) {
            System.out.println("kernels launched from this class path run without a class-data archive (not a directory of jars)");
            return;
        }
        boolean ready = !sharing.kernelOptions().isEmpty();
        System.out.println((ready ? "kernels' class-data archive: " : "no kernels' class-data archive (see the warning above): ")
            + sharing.archive);
    }

    /** Sharing for kernels started with these options; none where they choose their own or the class path is not all jars. */
    static KernelClassDataSharing forKernels(Path java, String classPath, List<String> jvmOptions) {
        if (!applies(classPath, jvmOptions)) {
            return new KernelClassDataSharing(java, classPath, jvmOptions, null);
        }
        return new KernelClassDataSharing(java, classPath, List.copyOf(jvmOptions),
            cacheDirectory().resolve("kernel-" + key(java, classPath, jvmOptions) + ".jsa"));
    }

    static boolean applies(String classPath, List<String> jvmOptions) {
        boolean chosen = jvmOptions.stream().anyMatch(option -> option.startsWith("-Xshare")
            || option.startsWith("-XX:SharedArchiveFile") || option.startsWith("-XX:ArchiveClassesAtExit")
            || option.contains("AutoCreateSharedArchive") || option.startsWith("-XX:DumpLoadedClassList"));
        if (chosen || classPath.isBlank()) {
            return false;
        }
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.endsWith(".jar") || !Files.isRegularFile(Path.of(entry))) {
                return false;
            }
        }
        return true;
    }

    /** The options for a kernel: the archive once it exists (dumped here the first time). */
    synchronized List<String> kernelOptions() {
        if (archive == null) {
            return List.of();
        }
        if (!prepared) {
            prepared = true;
            if (!Files.isRegularFile(archive)) {
                dump();
            }
        }
        // the JVM's own notes about the archive are not the kernel's; a stale one is simply not used. Since JDK 20 the JVM
        // maps the archive at a random address and relocates every pointer in it (ArchiveRelocationMode=1), which dirties
        // each page of its 60 MiB in every kernel; mapped where it was dumped, its pages stay clean and are shared by all
        // the kernels of the machine (the page cache's one copy)
        return Files.isRegularFile(archive)
            ? List.of("-XX:SharedArchiveFile=" + archive, "-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0",
                "-Xlog:cds=off", "-Xlog:cds+dynamic=off")
            : List.of();
    }

    Path archive() {
        return archive;
    }

    private void dump() {
        long start = System.nanoTime();
        Path directory = archive.getParent();
        Path list = null;
        Path partial = null;
        Path log = null;
        try (InputStream in = KernelClassDataSharing.class.getResourceAsStream(CLASS_LIST)) {
            if (in == null) {
                LOG.warn("kernels run without a class-data archive: resource {} is missing", CLASS_LIST);
                return;
            }
            Files.createDirectories(directory);
            list = Files.createTempFile(directory, "kernel-classes-", ".txt");
            Files.write(list, in.readAllBytes());
            partial = Files.createTempFile(directory, "kernel-", ".jsa.partial");
            log = Files.createTempFile(directory, "kernel-dump-", ".log");
            List<String> command = new ArrayList<>();
            command.add(java.toString());
            command.addAll(jvmOptions);
            command.addAll(List.of("-Xshare:dump", "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + partial,
                "-cp", classPath));
            LOG.info("dumping the kernels' class-data archive (once per build and JVM options) to {}", archive);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!process.waitFor(DUMP_TIMEOUT_S, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                LOG.warn("kernels run without a class-data archive: dumping it took longer than {} s", DUMP_TIMEOUT_S);
                return;
            }
            if (process.exitValue() != 0 || Files.size(partial) == 0) {
                LOG.warn("kernels run without a class-data archive: java -Xshare:dump exited with {}; its output ends with: {}",
                    process.exitValue(), tail(log));
                return;
            }
            Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            pruneOlderArchives(directory);
            LOG.info("kernels' class-data archive ready in {} ms ({} KiB)", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                Files.size(archive) / 1024);
        } catch (IOException e) {
            LOG.warn("kernels run without a class-data archive: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (Path file : new Path[] {list, partial, log}) {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // a leftover in the cache directory, harmless
                    }
                }
            }
        }
    }

    /**
     * Each build makes a new archive (about 60 MiB): only the {@value #KEEP_ARCHIVES} newest are
     * kept (several clusters may run with different JVM options at once, each with its own).
     */
    private static void pruneOlderArchives(Path directory) {
        try (var files = Files.list(directory)) {
            List<Path> archives = files.filter(f -> f.getFileName().toString().matches("kernel-[0-9a-f]+\\.jsa"))
                .sorted(Comparator.comparing(KernelClassDataSharing::modified).reversed()).toList();
            for (Path old : archives.subList(Math.min(KEEP_ARCHIVES, archives.size()), archives.size())) {
                Files.deleteIfExists(old); // a kernel that maps it keeps its pages: the file goes when the last one exits
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("could not prune old class-data archives in {}: {}", directory, e.toString());
        }
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("archipelago").resolve("cds");
    }

    private static String key(Path java, String classPath, List<String> jvmOptions) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(java.toString().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(classPath.getBytes(StandardCharsets.UTF_8));
            for (String entry : classPath.split(File.pathSeparator)) {
                // a rebuilt jar at the same path is another archive (the JVM would refuse the old one)
                try {
                    digest.update(Long.toString(Files.getLastModifiedTime(Path.of(entry)).toMillis()).getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    digest.update((byte) 1);
                }
            }
            for (String option : jvmOptions) {
                if (SIZING.matcher(option).lookingAt()) {
                    continue;
                }
                digest.update((byte) 0);
                digest.update(option.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
