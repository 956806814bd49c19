package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.testing.MiniCluster;
import io.archipelago.workloads.BenchWorkloads;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernels' class list (from which the launcher dumps their class-data archive) is current: a
 * real kernel process, booted with {@code -XX:DumpLoadedClassList} and running a program, loads no
 * Archipelago class the list does not name, and the list names none that no longer exists. A class
 * missing from the list still loads, from its jar, into each kernel's own memory: this test is what
 * keeps new kernel code (a service, a protocol's messages) in the shared archive.
 *
 * <p>Exceptions and errors are left out of the comparison: which of them a kernel loads depends on
 * what went wrong while it booted (a slow peer on a loaded machine), not on the code.
 */
class KernelClassListIT {

    private static final String CLASS_LIST = "/archipelago/kernel-classes.txt";
    private static final String OWN = "io/archipelago/";

    @Test
    @Timeout(300)
    void aKernelLoadsNoArchipelagoClassTheListDoesNotName(TestInfo test, @TempDir Path dir) throws IOException {
        Path dumped = dir.resolve("kernel-classes.txt");
        ClusterConfig config = Tasks.config(List.of(new IslandConfig("xa", "x86_64", 2, 1.0, "a", "cortex-a9", 1))).toBuilder()
            .kernelJvmOptions(List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-XX:DumpLoadedClassList=" + dumped))
            .build();
        try (MiniCluster cluster = MiniCluster.start(config, test.getTestMethod().orElseThrow().getName())) {
            int tid = cluster.run("xa-0", "counter", Map.of("limit", "50"));
            assertThat(cluster.awaitExit(tid, Duration.ofSeconds(60)).getState()).as("the counter's thread").startsWith("EXITED");
        }
        assertThat(dumped).as("the class list the kernel wrote at its exit").isNotEmptyFile();

        Set<String> listed = own(listed());
        Set<String> loaded = own(Files.readAllLines(dumped, StandardCharsets.UTF_8));
        assertThat(loaded).as("the Archipelago classes the kernel loaded").hasSizeGreaterThan(500);

        Set<String> missing = new TreeSet<>(loaded);
        missing.removeAll(listed);
        assertThat(missing).as("classes a kernel loads that " + CLASS_LIST + " does not name (run bin/kernel-class-list)").isEmpty();

        List<String> gone = new ArrayList<>();
        for (String name : listed) {
            if (KernelClassListIT.class.getClassLoader().getResource(name + ".class") == null) {
                gone.add(name);
            }
        }
        assertThat(gone).as("classes " + CLASS_LIST + " names that no longer exist (run bin/kernel-class-list)").isEmpty();
    }

    private static List<String> listed() throws IOException {
        try (InputStream in = KernelClassListIT.class.getResourceAsStream(CLASS_LIST)) {
            assertThat(in).as(CLASS_LIST + " on the coordinator's class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** Whether class {@code name} comes from the bench workloads' plug-in (its module's classes or jar). */
    private static boolean benchWorkloads(String name) {
        java.net.URL where = KernelClassListIT.class.getClassLoader().getResource(name + ".class");
        return where != null && where.toString().contains(BenchWorkloads.NAME);
    }

    /** The Archipelago class names of a class list (its class lines: a name, then " id: ..."). */
    private static Set<String> own(List<String> lines) {
        Set<String> names = new TreeSet<>();
        for (String line : lines) {
            if (line.startsWith("#") || line.startsWith("@") || line.isBlank()) {
                continue;
            }
            String name = line.split(" ", 2)[0];
            // the integration tests' own programs (on a test kernel's class path) are not the distribution's, nor are the
            // benchmarks' workloads: a test kernel finds their plug-in on its class path, an `up` cluster's kernels do not
            if (name.startsWith(OWN) && !name.startsWith(OWN + "it/") && !name.endsWith("Exception") && !name.endsWith("Error")
                && !benchWorkloads(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
