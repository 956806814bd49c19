package io.archipelago.coordinator.launch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The JVM options every Archipelago JVM needs (Chronicle Map's exports and opens, native access, its analytics off),
 * from the one template the build fills in (the parent POM's {@code archipelago.jvm.options}); the distribution's
 * {@code jvm.options} is the same text.
 */
public final class BuildJvmOptions {

    static final String RESOURCE = "/archipelago/jvm.options";

    private BuildJvmOptions() {
    }

    public static List<String> read() {
        try (InputStream in = BuildJvmOptions.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " is missing: the coordinator was not built by Maven");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            return Arrays.stream(text.split("\\s+")).filter(option -> !option.isEmpty()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
