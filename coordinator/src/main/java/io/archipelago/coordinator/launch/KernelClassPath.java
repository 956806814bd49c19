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
 * {@value #RESOURCE}. A kernel plug-in (the benchmarks' workloads) joins it only when a launcher
 * asks for it by name: its jar and what it needs, which its build lists in
 * {@code /archipelago/plugins/<name>-artifacts.txt}. Where the launcher does not run from such a
 * directory of jars (tests, an IDE: class directories), its own class path is used as it is, and
 * the kernels find every plug-in on it.
 */
public final class KernelClassPath {

    static final String RESOURCE = "/archipelago/kernel-artifacts.txt";

    private KernelClassPath() {
    }

    /** The kernels' class path, taken from the launcher's own ({@code java.class.path}), with the jars of {@code plugins}. */
    public static String of(String launcherClassPath, String... plugins) {
        Optional<String> kernel = resource(RESOURCE);
        if (kernel.isEmpty()) {
            return launcherClassPath;
        }
        Set<String> leads = new HashSet<>(Set.of("kernel-node-"));
        Set<String> jars = new HashSet<>(jarNames(kernel.get()));
        for (String plugin : plugins) {
            String listing = "/archipelago/plugins/" + plugin + "-artifacts.txt";
            leads.add(plugin + "-");
            jars.addAll(jarNames(resource(listing).orElseThrow(() -> new IllegalStateException("the kernel plug-in '" + plugin
                + "' is not on the launcher's class path (no " + listing + ")"))));
        }
        return narrow(launcherClassPath, leads, jars).orElse(launcherClassPath);
    }

    private static Optional<String> resource(String name) {
        try (InputStream in = KernelClassPath.class.getResourceAsStream(name)) {
            return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + " from the class path: " + e.getMessage(), e);
        }
    }

    static Optional<String> narrow(String classPath, Set<String> kernelJars) {
        return narrow(classPath, Set.of("kernel-node-"), kernelJars);
    }

    /**
     * The entries of {@code classPath} that are a jar whose name starts with one of {@code leads}
     * (kernel-node's, a plug-in's: the modules whose listings name the others) or a jar in
     * {@code kernelJars}, if the class path is a directory of jars holding all of them; empty otherwise.
     */
    static Optional<String> narrow(String classPath, Set<String> leads, Set<String> kernelJars) {
        List<String> kept = new ArrayList<>();
        Set<String> found = new HashSet<>();
        Set<String> leadsFound = new HashSet<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            Path path = Path.of(entry);
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (!name.endsWith(".jar") || Files.isDirectory(path)) {
                return Optional.empty();
            }
            Optional<String> lead = leads.stream().filter(name::startsWith).findFirst();
            boolean listed = kernelJars.contains(name);
            lead.ifPresent(leadsFound::add);
            if (listed) {
                found.add(name);
            }
            if (listed || lead.isPresent()) {
                kept.add(entry);
            }
        }
        return leadsFound.equals(leads) && found.equals(kernelJars) ? Optional.of(String.join(java.io.File.pathSeparator, kept))
            : Optional.empty();
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
