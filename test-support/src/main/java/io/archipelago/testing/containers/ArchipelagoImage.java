package io.archipelago.testing.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Archipelago image the containers flavour runs. The image under test, built once per test JVM the way a user builds it: by
 * {@code docker/build-image.sh} from the distribution this very build packaged
 * ({@code cli/target/archipelago}), on the local base image {@code archipelago-base:25}
 * (made by {@code docker/build-base-image.sh} when missing: no registry is needed). Another base
 * can be named with {@code -Darchipelago.docker.base-image} or {@code $ARCHIPELAGO_BASE_IMAGE}.
 */
public final class ArchipelagoImage {

    public static final String TAG = "archipelago:it";
    public static final String LOCAL_BASE = "archipelago-base:25";
    /** Well within the tests' own timeouts: building the local base (jlink) takes about 15 s, the image a few. */
    public static final Duration BUILD_TIMEOUT = Duration.ofMinutes(4);

    private static volatile String built;

    private ArchipelagoImage() {
    }

    /** The system property naming an image to use as it is (no build), e.g. for tests outside the repository. */
    public static final String IMAGE_PROPERTY = "archipelago.image";
    /** The environment variable naming an image to use as it is. */
    public static final String IMAGE_ENV = "ARCHIPELAGO_IMAGE";

    /**
     * The image's name: the one named by {@code -Darchipelago.image} or {@code $ARCHIPELAGO_IMAGE}, else {@value #TAG}
     * after building it (once per JVM) from the current distribution.
     */
    public static String name() {
        String named = System.getProperty(IMAGE_PROPERTY);
        if (named == null || named.isBlank()) {
            named = System.getenv(IMAGE_ENV);
        }
        if (named != null && !named.isBlank()) {
            return named;
        }
        if (built == null) {
            synchronized (ArchipelagoImage.class) {
                if (built == null) {
                    build();
                    built = TAG;
                }
            }
        }
        return built;
    }

    public static String baseImage() {
        String fromProperty = System.getProperty("archipelago.docker.base-image");
        if (fromProperty != null && !fromProperty.isBlank()) {
            return fromProperty;
        }
        String fromEnv = System.getenv("ARCHIPELAGO_BASE_IMAGE");
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : LOCAL_BASE;
    }

    /** The repository's top directory: where the Dockerfile and docker-compose.yml are. */
    public static Path sourceRoot() {
        String configured = System.getProperty("archipelago.source.root");
        Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path dir = start.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("Dockerfile")) && Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository (a directory with Dockerfile and docker-compose.yml) from " + start);
    }

    /** Where the logs of a test's containers are kept: {@code target/container-logs/<test>/} under the working directory. */
    public static Path logDirectory(String testName) {
        Path dir = Path.of("target", "container-logs", testName).toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static void build() {
        Path root = sourceRoot();
        Path distribution = root.resolve("cli/target/archipelago");
        if (!Files.isRegularFile(distribution.resolve("jvm.options")) || !Files.isDirectory(distribution.resolve("lib"))) {
            throw new IllegalStateException("no distribution in " + distribution + " to put in the image: the reactor builds it "
                + "before the integration tests (./mvnw verify, or -pl integration-tests -am)");
        }
        String base = baseImage();
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("docker/build-image.sh").toString(),
            "--tag", TAG, "--skip-dist"));
        if (base.equals(LOCAL_BASE)) {
            command.add("--local-base");
        } else {
            command.addAll(List.of("--base", base));
        }
        HostCommand.Result result = HostCommand.run(BUILD_TIMEOUT, root, Map.of(), command);
        try {
            Files.writeString(logDirectory("image").resolve("build-image.log"), result.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!result.ok()) {
            throw new IllegalStateException("cannot build the image " + TAG + " on " + base + ":\n" + result);
        }
    }
}
