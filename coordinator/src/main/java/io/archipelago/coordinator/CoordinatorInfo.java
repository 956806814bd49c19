package io.archipelago.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.directory.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a live coordinator serves its control API: {@code coordinator.json} in the cluster
 * directory, written once the API is up ({@code ready} false), again once every kernel is
 * RUNNING ({@code ready} true), and removed when the coordinator stops.
 */
public record CoordinatorInfo(String cluster, long pid, String host, int port, long startedAtMs, boolean ready) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Replaces the file atomically; readable by its owner only (0600), written without following links. */
    public void writeTo(Path file) {
        try {
            OwnerOnlyFiles.writeAtomically(file, JSON.writeValueAsBytes(this), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static Optional<CoordinatorInfo> readFrom(Path file) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), CoordinatorInfo.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (is it a coordinator.json?): " + e.getMessage(), e);
        }
    }

    public boolean processAlive() {
        return io.archipelago.coordinator.launch.OsProcess.running(pid);
    }
}
