package io.archipelago.coordinator.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class KernelClassDataSharingTest {

    @TempDir
    Path dir;

    private String jars() throws IOException {
        Path a = Files.createFile(dir.resolve("kernel-node-1.0.jar"));
        Path b = Files.createFile(dir.resolve("netty-4.2.jar"));
        return a + java.io.File.pathSeparator + b;
    }

    @Test
    void aClassPathOfJarsIsArchived() throws IOException {
        assertThat(KernelClassDataSharing.applies(jars(), List.of("-XX:+UseSerialGC", "-Xmx128m"))).isTrue();
    }

    @Test
    void classDirectoriesAreNot() throws IOException {
        Path classes = Files.createDirectory(dir.resolve("classes"));
        assertThat(KernelClassDataSharing.applies(jars() + java.io.File.pathSeparator + classes, List.of())).isFalse();
    }

    @Test
    void optionsThatChooseTheirOwnSharingTurnItOff() throws IOException {
        String jars = jars();
        for (String option : List.of("-Xshare:off", "-Xshare:auto", "-XX:SharedArchiveFile=/x.jsa", "-XX:ArchiveClassesAtExit=/x.jsa",
            "-XX:+AutoCreateSharedArchive", "-XX:DumpLoadedClassList=/x.txt")) {
            assertThat(KernelClassDataSharing.applies(jars, List.of("-Xmx64m", option))).as(option).isFalse();
        }
    }

    @Test
    void noArchiveMeansNoOptions() {
        KernelClassDataSharing none = KernelClassDataSharing.forKernels(Path.of("/no/java"), dir.resolve("classes").toString(), List.of());
        assertThat(none.archive()).isNull();
        assertThat(none.kernelOptions()).isEmpty();
    }

    @Test
    void theArchiveIsNamedAfterTheOptions() throws IOException {
        String jars = jars();
        Path a = KernelClassDataSharing.forKernels(Path.of("/j/bin/java"), jars, List.of("-XX:+UseSerialGC", "-Xmx64m")).archive();
        Path b = KernelClassDataSharing.forKernels(Path.of("/j/bin/java"), jars, List.of("-XX:+UseG1GC", "-Xmx64m")).archive();
        assertThat(a).isNotEqualTo(b);
        // heap and stack sizes, JIT tiers and properties do not change the archive: one serves them all
        Path sized = KernelClassDataSharing.forKernels(Path.of("/j/bin/java"), jars, List.of("-XX:+UseSerialGC", "-Xmx128m", "-Xms16m",
            "-Xmn2m", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:MaxHeapFreeRatio=40", "-XX:MinHeapFreeRatio=10",
            "-XX:TrimNativeHeapInterval=10000", "-Dio.netty.jfr.enabled=false")).archive();
        assertThat(sized).isEqualTo(a);
        assertThat(a.getFileName().toString()).startsWith("kernel-").endsWith(".jsa");
        assertThat(KernelClassDataSharing.class.getResource(KernelClassDataSharing.CLASS_LIST)).as("the class list is packaged").isNotNull();
    }
}
