package io.archipelago.testing.junit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The suites a build skipped for a missing tool (Docker, spin, a cross compiler), one line each in
 * the module's {@code target/skipped-suites.txt} (or {@code -Darchipelago.skipped.suites}), which the
 * project's build prints in its summary at its end: a skip is never silent.
 */
public final class SkippedSuites {

    private SkippedSuites() {
    }

    /** Adds one line: what was skipped and why. */
    public static void record(String line) {
        Path file = Path.of(System.getProperty("archipelago.skipped.suites", "target/skipped-suites.txt"));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, line + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot record the skipped suite in " + file + ": " + e);
        }
    }
}
