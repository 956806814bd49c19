package io.archipelago.typed.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.archipelago.typed.DataModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asks the real compilers again: regenerates the goldens with the cross compilers into a
 * temporary directory, checks the engine against them, and checks that the committed goldens
 * are still what GCC says. Skipped, saying why (in the build's closing summary of skipped suites too),
 * where the compilers are not installed (unless {@code ARCHIPELAGO_REQUIRE_CROSS_GCC=true}, as in CI,
 * where that fails).
 */
class GccRegenerationTest {

    private static final List<String> COMPILERS = List.of("gcc", "aarch64-linux-gnu-gcc", "i686-linux-gnu-gcc",
        "arm-linux-gnueabihf-gcc", "powerpc-linux-gnu-gcc", "readelf");

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void committedGoldensAreWhatGccSaysAndTheEngineAgrees(@TempDir Path output) throws Exception {
        List<String> missing = COMPILERS.stream().filter(compiler -> !onPath(compiler)).toList();
        if ("true".equals(System.getenv("ARCHIPELAGO_REQUIRE_CROSS_GCC"))) {
            assertThat(missing).as("cross compilers required by ARCHIPELAGO_REQUIRE_CROSS_GCC=true (CI)").isEmpty();
        }
        if (!missing.isEmpty()) {
            String reason = "cross compilers not installed (" + String.join(", ", missing) + "): the golden layouts are not checked "
                + "against GCC; apt-get install gcc gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-powerpc-linux-gnu";
            recordSkip(reason);
            assumeTrue(false, "skipped: " + reason);
        }

        // the output goes to a file, not a pipe read before waitFor: a script that hangs cannot hang the read
        Path script = Path.of("src/test/gcc/generate-goldens.sh").toAbsolutePath();
        Path logFile = Files.createTempFile("generate-goldens", ".log");
        try {
            Process process = new ProcessBuilder("bash", script.toString(), output.toString()).redirectErrorStream(true)
                .redirectOutput(logFile.toFile()).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly); // the compilers it started
                process.destroyForcibly();
                throw new AssertionError("generate-goldens.sh did not finish within 2 minutes; its output:\n" + Files.readString(logFile));
            }
            assertThat(process.exitValue()).as("generate-goldens.sh exit status; output:%n%s", Files.readString(logFile)).isZero();
        } finally {
            Files.deleteIfExists(logFile);
        }

        List<String> problems = new ArrayList<>();
        for (Path header : GoldenLayouts.headers()) {
            for (DataModel model : DataModel.values()) {
                String file = GoldenLayouts.baseName(header) + "." + model.id() + ".golden";
                Path fresh = output.resolve(file);
                problems.addAll(GoldenLayouts.differences(header, model, GoldenFile.read(fresh)));
                Path committed = GoldenLayouts.committedGoldens().resolve(file);
                if (!Files.exists(committed) || !GoldenFile.layoutLines(committed).equals(GoldenFile.layoutLines(fresh))) {
                    problems.add(file + ": the committed golden differs from what GCC says now; rerun generate-goldens.sh");
                }
            }
        }
        try (var files = Files.list(output)) {
            assertThat(files.count()).as("goldens generated").isEqualTo((long) GoldenLayouts.headers().size() * DataModel.values().length);
        }
        assertThat(problems).isEmpty();
    }

    private static boolean onPath(String command) {
        try {
            Process process = new ProcessBuilder("sh", "-c", "command -v " + command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return false;
            }
            return process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** One line in the module's target/skipped-suites.txt, which the build's summary of skipped suites prints at its end. */
    private static void recordSkip(String reason) throws IOException {
        Path file = Path.of(System.getProperty("archipelago.skipped.suites", "target/skipped-suites.txt"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, GccRegenerationTest.class.getSimpleName() + ": " + reason + System.lineSeparator(), StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
    }
}
