package io.archipelago.testing.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ProgramJarTest {

    @Test
    void packsTheClassDirectoriesThatListProgramsAndLeavesArchipelagosOwnOut(@TempDir Path dir) throws Exception {
        Path mine = classes(dir.resolve("mine"), "org/example/Mine.class", "org.example.Mine");
        Path tests = classes(dir.resolve("tests"), "org/example/MineTest.class", "# a comment\norg.example.Other");
        Path kernel = classes(dir.resolve("kernel"), "io/archipelago/kernel/programs/Counter.class", "io.archipelago.kernel.programs.Counter");
        Path plain = Files.createDirectories(dir.resolve("plain"));
        String classPath = String.join(File.pathSeparator, mine.toString(), kernel.toString(), plain.toString(), tests.toString(),
            dir.resolve("missing.jar").toString());

        Path jar = ProgramJar.write(classPath, dir.resolve("out")).orElseThrow();

        try (JarFile file = new JarFile(jar.toFile())) {
            List<String> names = Collections.list(file.entries()).stream().map(JarEntry::getName).toList();
            assertThat(names).contains("org/example/Mine.class", "org/example/MineTest.class", ProgramJar.SERVICES)
                .noneMatch(name -> name.startsWith("io/archipelago/kernel"));
            String services = new String(file.getInputStream(file.getEntry(ProgramJar.SERVICES)).readAllBytes());
            assertThat(services.lines()).containsExactly("org.example.Mine", "org.example.Other");
        }
        assertThat(ProgramJar.write(plain + File.pathSeparator + kernel, dir.resolve("none"))).isEmpty();
    }

    private static Path classes(Path root, String classFile, String services) throws Exception {
        Files.createDirectories(root.resolve(classFile).getParent());
        Files.write(root.resolve(classFile), new byte[] {(byte) 0xca, (byte) 0xfe});
        Files.createDirectories(root.resolve(ProgramJar.SERVICES).getParent());
        Files.writeString(root.resolve(ProgramJar.SERVICES), services + "\n");
        return root;
    }
}
