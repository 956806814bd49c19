package io.archipelago.coordinator.launch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The class path a kernel process is launched with. A distribution's {@code lib/} holds every jar
 * the CLI needs (picocli's commands, the benchmarks' JMH, XChart and Jackson...); a kernel needs
 * only kernel-node and what it depends on, which kernel-node's build lists in
 * {@value #RESOURCE}. Where the launcher does not run from such a directory of jars (tests, an
 * IDE: class directories), its own class path is used as it is.
 */
public final class KernelClassPath {

    static final String RESOURCE = "/archipelago/kernel-artifacts.txt";

    private KernelClassPath() {
    }

    /** The kernels' class path, taken from the launcher's own ({@code java.class.path}). */
    public static String of(String launcherClassPath) {
        try (InputStream in = KernelClassPath.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return launcherClassPath;
            }
            return narrow(launcherClassPath, jarNames(new String(in.readAllBytes(), StandardCharsets.UTF_8))).orElse(launcherClassPath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE + " from the class path: " + e.getMessage(), e);
        }
    }

    /**
     * The entries of {@code classPath} that are kernel-node's jar or a jar in {@code kernelJars}, if
     * the class path is a directory of jars holding all of them; empty otherwise.
     */
    static Optional<String> narrow(String classPath, Set<String> kernelJars) {
        List<String> kept = new ArrayList<>();
        Set<String> found = new HashSet<>();
        boolean kernelNode = false;
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            Path path = Path.of(entry);
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (!name.endsWith(".jar") || Files.isDirectory(path)) {
                return Optional.empty();
            }
            if (name.startsWith("kernel-node-")) {
                kernelNode = true;
                kept.add(entry);
            } else if (kernelJars.contains(name)) {
                found.add(name);
                kept.add(entry);
            }
        }
        return kernelNode && found.equals(kernelJars) ? Optional.of(String.join(java.io.File.pathSeparator, kept)) : Optional.empty();
    }

    /**
     * The jar file names in the output of {@code dependency:list}: lines such as
     * {@code g:artifact:jar:1.0 -- module m} or {@code g:artifact:jar:classifier:1.0}.
     */
    static Set<String> jarNames(String listing) {
        Set<String> names = new HashSet<>();
        for (String line : listing.split("\n")) {
            String coordinates = line.strip().split("\\s+")[0];
            String[] parts = coordinates.split(":");
            if (parts.length == 4 && parts[2].equals("jar")) {
                names.add(parts[1] + "-" + parts[3] + ".jar");
            } else if (parts.length == 5 && parts[2].equals("jar")) {
                names.add(parts[1] + "-" + parts[4] + "-" + parts[3] + ".jar");
            }
        }
        return names;
    }
}
