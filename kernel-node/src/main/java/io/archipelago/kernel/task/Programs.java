package io.archipelago.kernel.task;

import io.archipelago.program.Program;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The programs this kernel can run: every {@link Program} on its class path (the built-in ones), and
 * those of the jars in the cluster's programs directory ({@code up --programs}), each jar in a class
 * loader of its own, found with {@link ServiceLoader}.
 */
public final class Programs {

    private final Map<String, Program> byName;
    private final Map<String, String> sources;

    private Programs(Map<String, Program> byName, Map<String, String> sources) {
        this.byName = Collections.unmodifiableMap(byName);
        this.sources = Collections.unmodifiableMap(sources);
    }

    /** The programs on the class path of {@code loader} only. */
    public static Programs load(ClassLoader loader) {
        return load(loader, null);
    }

    /**
     * The programs on the class path of {@code loader}, and those of every jar in {@code programsDirectory}
     * (if it exists).
     *
     * @throws ProgramLoadException naming the jar and what went wrong (a class that does not load, a jar built
     *                              against another version of the program API, two programs of one name)
     */
    public static Programs load(ClassLoader loader, Path programsDirectory) {
        Map<String, Program> found = new TreeMap<>();
        Map<String, String> sources = new TreeMap<>();
        add(ServiceLoader.load(Program.class, loader).stream().map(ServiceLoader.Provider::get).toList(), "the kernel's class path",
            found, sources);
        for (Path jar : jars(programsDirectory)) {
            URLClassLoader jarLoader = new URLClassLoader("programs:" + jar.getFileName(), new URL[] {url(jar)}, loader);
            List<Program> programs;
            try {
                programs = ServiceLoader.load(Program.class, jarLoader).stream()
                    .filter(provider -> provider.type().getClassLoader() == jarLoader).map(ServiceLoader.Provider::get).toList();
            } catch (ServiceConfigurationError e) {
                throw new ProgramLoadException("program jar " + jar + ": " + describe(e));
            } catch (LinkageError e) {
                throw new ProgramLoadException("program jar " + jar + " was built against another version of the program API ("
                    + e + "); rebuild it against this one");
            }
            if (programs.isEmpty()) {
                throw new ProgramLoadException("program jar " + jar + " names no program: expected classes implementing "
                    + Program.class.getName() + " listed in META-INF/services/" + Program.class.getName());
            }
            add(programs, jar.getFileName().toString(), found, sources);
        }
        return new Programs(found, sources);
    }

    private static void add(List<Program> programs, String source, Map<String, Program> found, Map<String, String> sources) {
        for (Program program : programs) {
            String name = program.name();
            if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,14}")) {
                throw new ProgramLoadException("program " + program.getClass().getName() + " (" + source + ") has an invalid name '" + name
                    + "': expected 1-15 characters of a-z, 0-9, '_', '-'");
            }
            Program previous = found.putIfAbsent(name, program);
            if (previous != null) {
                throw new ProgramLoadException("two programs are named '" + name + "': " + previous.getClass().getName() + " ("
                    + sources.get(name) + ") and " + program.getClass().getName() + " (" + source + ")");
            }
            sources.put(name, source);
        }
    }

    private static List<Path> jars(Path directory) {
        if (directory == null || !Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> listing = Files.list(directory)) {
            return listing.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the programs directory " + directory + ": " + e.getMessage(), e);
        }
    }

    private static URL url(Path jar) {
        try {
            return jar.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new ProgramLoadException("program jar " + jar + " has no URL: " + e.getMessage());
        }
    }

    private static String describe(ServiceConfigurationError e) {
        Throwable cause = e.getCause();
        if (cause instanceof LinkageError) {
            return "a program class does not link (" + cause + "): was it built against another version of the program API?";
        }
        return e.getMessage() + (cause != null ? " (" + cause + ")" : "");
    }

    /**
     * The program of that name.
     *
     * @throws UnknownProgramException listing the programs there are
     */
    public Program get(String name) {
        Program program = byName.get(name);
        if (program == null) {
            throw new UnknownProgramException("no program '" + name + "'; programs: " + String.join(", ", byName.keySet()));
        }
        return program;
    }

    public Map<String, Program> all() {
        return byName;
    }

    /** Where the program of that name comes from: the kernel's class path, or its jar's file name. */
    public String source(String name) {
        return sources.getOrDefault(name, "?");
    }

    /** No program of that name. */
    public static final class UnknownProgramException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public UnknownProgramException(String message) {
            super(message);
        }
    }

    /** A program jar that cannot be used; the message names the jar and the reason. */
    public static final class ProgramLoadException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public ProgramLoadException(String message) {
            super(message);
        }
    }
}
