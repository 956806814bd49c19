package io.archipelago.kernel.task;

import io.archipelago.program.Program;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The programs this kernel can run: every {@link Program} on its class path, found with {@link ServiceLoader}. */
public final class Programs {

    private final Map<String, Program> byName;

    private Programs(Map<String, Program> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    public static Programs load(ClassLoader loader) {
        Map<String, Program> found = new TreeMap<>();
        for (Program program : ServiceLoader.load(Program.class, loader)) {
            String name = program.name();
            if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,14}")) {
                throw new IllegalStateException("program " + program.getClass().getName() + " has an invalid name '" + name
                    + "': expected 1-15 characters of a-z, 0-9, '_', '-'");
            }
            Program previous = found.putIfAbsent(name, program);
            if (previous != null) {
                throw new IllegalStateException("two programs are named '" + name + "': " + previous.getClass().getName() + " and "
                    + program.getClass().getName());
            }
        }
        return new Programs(found);
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

    /** No program of that name. */
    public static final class UnknownProgramException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public UnknownProgramException(String message) {
            super(message);
        }
    }
}
