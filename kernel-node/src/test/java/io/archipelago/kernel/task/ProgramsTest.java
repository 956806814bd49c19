package io.archipelago.kernel.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Program jars in the cluster's programs directory: what a bad one says. */
@Timeout(30)
class ProgramsTest {

    @TempDir
    Path programs;

    @Test
    void withoutJarsTheBuiltInProgramsAreThereFromTheClassPath() {
        Programs loaded = Programs.load(ProgramsTest.class.getClassLoader(), programs.resolve("missing"));
        assertThat(loaded.all()).containsKeys("counter", "mail-sync", "render", "page-pingpong", "memwalk");
        assertThat(loaded.source("counter")).isEqualTo("the kernel's class path");
    }

    @Test
    void aJarNamingAClassThatIsNotThereIsRefusedNamingTheJar() throws Exception {
        jar("broken.jar", "example.NoSuchProgram");
        assertThatThrownBy(() -> Programs.load(ProgramsTest.class.getClassLoader(), programs))
            .isInstanceOf(Programs.ProgramLoadException.class).hasMessageContaining("broken.jar").hasMessageContaining("example.NoSuchProgram");
    }

    @Test
    void aJarWithNoProgramIsRefusedSayingWhatIsExpected() throws Exception {
        jar("empty.jar", null);
        assertThatThrownBy(() -> Programs.load(ProgramsTest.class.getClassLoader(), programs))
            .isInstanceOf(Programs.ProgramLoadException.class).hasMessageContaining("empty.jar names no program")
            .hasMessageContaining("META-INF/services/io.archipelago.program.Program");
    }

    private void jar(String name, String service) throws Exception {
        try (OutputStream file = Files.newOutputStream(programs.resolve(name)); JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry("README"));
            jar.write("nothing".getBytes(StandardCharsets.UTF_8));
            if (service != null) {
                jar.putNextEntry(new JarEntry("META-INF/services/io.archipelago.program.Program"));
                jar.write((service + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
