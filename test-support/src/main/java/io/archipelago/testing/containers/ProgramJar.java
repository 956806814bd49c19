package io.archipelago.testing.containers;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The programs of a test's class path as one program jar, for kernels that do not run with that class path
 * (containers): every class directory of the class path that lists programs in
 * {@code META-INF/services/io.archipelago.program.Program} (the test's own project: {@code target/classes},
 * {@code target/test-classes}), all of its files, with the service lists merged. Archipelago's own class
 * directories (the built-in programs) are left out: the kernels have them. The kernel loads the jar in a
 * class loader of its own, parent first, so classes it has itself are never loaded twice.
 */
public final class ProgramJar {

    /** Where a program jar lists its programs. */
    public static final String SERVICES = "META-INF/services/io.archipelago.program.Program";

    private ProgramJar() {
    }

    /**
     * Writes the programs of {@code classPath} (entries separated as in {@code java.class.path}) as
     * {@code directory/test-programs.jar}, readable by the image's user; returns the jar, or empty when the class
     * path defines no program of its own.
     */
    public static java.util.Optional<Path> write(String classPath, Path directory) {
        List<Path> sources = programDirectories(classPath);
        if (sources.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            Files.createDirectories(directory);
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path jar = directory.resolve("test-programs.jar");
            Set<String> written = new HashSet<>();
            Set<String> programs = new LinkedHashSet<>();
            try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
                for (Path source : sources) {
                    Files.readAllLines(source.resolve(SERVICES)).stream().map(line -> line.replaceAll("#.*", "").strip())
                        .filter(line -> !line.isEmpty()).forEach(programs::add);
                    try (Stream<Path> files = Files.walk(source)) {
                        for (Path path : files.filter(Files::isRegularFile).toList()) {
                            String name = source.relativize(path).toString().replace('\\', '/');
                            if (name.equals(SERVICES) || name.startsWith("META-INF/MANIFEST") || !written.add(name)) {
                                continue;
                            }
                            out.putNextEntry(new JarEntry(name));
                            out.write(Files.readAllBytes(path));
                        }
                    }
                }
                out.putNextEntry(new JarEntry(SERVICES));
                out.write((String.join("\n", programs) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            return java.util.Optional.of(jar);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the test's programs as a jar in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The class directories of {@code classPath} that list programs, Archipelago's own left out; manifest-only jars expanded. */
    static List<Path> programDirectories(String classPath) {
        List<Path> directories = new ArrayList<>();
        for (Path entry : expand(classPath)) {
            if (Files.isDirectory(entry) && Files.isRegularFile(entry.resolve(SERVICES))
                    && !Files.isDirectory(entry.resolve("io/archipelago/kernel"))) {
                directories.add(entry);
            }
        }
        return directories;
    }

    private static List<Path> expand(String classPath) {
        List<Path> entries = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            Path path = Path.of(entry).toAbsolutePath();
            entries.add(path);
            // A surefire/failsafe booter jar names the real class path in its manifest.
            if (entry.endsWith(".jar") && Files.isRegularFile(path)) {
                try (JarFile jar = new JarFile(path.toFile())) {
                    var manifest = jar.getManifest();
                    String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                    if (listed != null && path.getFileName().toString().startsWith("surefire")) {
                        for (String url : listed.split(" ")) {
                            if (!url.isBlank()) {
                                entries.add(Path.of(java.net.URI.create(url)));
                            }
                        }
                    }
                } catch (IOException | IllegalArgumentException e) {
                    // not a jar we can read: it cannot hold class directories either
                }
            }
        }
        return entries;
    }
}
