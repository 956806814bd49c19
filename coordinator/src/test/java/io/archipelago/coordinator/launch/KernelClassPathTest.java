package io.archipelago.coordinator.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class KernelClassPathTest {

    @TempDir
    Path lib;

    @Test
    void theListingOfKernelNodesDependenciesNamesTheirJars() {
        Set<String> names = KernelClassPath.jarNames("""

            The following files have been resolved:
               com.github.jnr:jffi:jar:1.3.12 -- module org.jnrproject.jffi [auto]
               com.github.jnr:jffi:jar:native:1.3.12 -- module org.jnrproject.jffi.nativelibs [auto]
               io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.2.18.Final -- module io.netty.transport.epoll
               io.archipelago:shared-memory:jar:0.1.0-SNAPSHOT
            """);
        assertThat(names).containsExactlyInAnyOrder("jffi-1.3.12.jar", "jffi-1.3.12-native.jar",
            "netty-transport-native-epoll-4.2.18.Final-linux-x86_64.jar", "shared-memory-0.1.0-SNAPSHOT.jar");
    }

    @Test
    void aDistributionsKernelsGetKernelNodeAndItsDependenciesOnly() throws Exception {
        String classPath = String.join(File.pathSeparator, jar("cli-1.jar"), jar("kernel-node-1.jar"), jar("shared-memory-1.jar"),
            jar("xchart-3.8.8.jar"), jar("jmh-core-1.37.jar"), jar("netty-1.jar"));
        assertThat(KernelClassPath.narrow(classPath, Set.of("shared-memory-1.jar", "netty-1.jar")))
            .contains(String.join(File.pathSeparator, jar("kernel-node-1.jar"), jar("shared-memory-1.jar"), jar("netty-1.jar")));
    }

    @Test
    void aPluginAskedForJoinsWithItsJarAndWhatItNeeds() throws Exception {
        String classPath = String.join(File.pathSeparator, jar("cli-1.jar"), jar("bench-1.jar"), jar("bench-workloads-1.jar"),
            jar("kernel-node-1.jar"), jar("netty-1.jar"), jar("HdrHistogram-2.jar"));
        Set<String> kernelAndPlugin = Set.of("netty-1.jar", "kernel-node-1.jar", "HdrHistogram-2.jar");
        assertThat(KernelClassPath.narrow(classPath, Set.of("kernel-node-", "bench-workloads-"), kernelAndPlugin))
            .contains(String.join(File.pathSeparator, jar("bench-workloads-1.jar"), jar("kernel-node-1.jar"), jar("netty-1.jar"),
                jar("HdrHistogram-2.jar")));
        String withoutPlugin = String.join(File.pathSeparator, jar("cli-1.jar"), jar("kernel-node-1.jar"), jar("netty-1.jar"),
            jar("HdrHistogram-2.jar"));
        assertThat(KernelClassPath.narrow(withoutPlugin, Set.of("kernel-node-", "bench-workloads-"), kernelAndPlugin))
            .as("the plug-in's jar not there").isEmpty();
        assertThat(KernelClassPath.narrow(classPath, Set.of("netty-1.jar"))).as("not asked for, the plug-in stays out")
            .contains(String.join(File.pathSeparator, jar("kernel-node-1.jar"), jar("netty-1.jar")));
    }

    @Test
    void classDirectoriesOrAMissingJarKeepTheWholeClassPath() throws Exception {
        Path classes = Files.createDirectories(lib.resolve("classes"));
        String withDirectory = String.join(File.pathSeparator, jar("kernel-node-1.jar"), classes.toString(), jar("netty-1.jar"));
        assertThat(KernelClassPath.narrow(withDirectory, Set.of("netty-1.jar"))).isEmpty();
        String missing = String.join(File.pathSeparator, jar("kernel-node-1.jar"), jar("netty-1.jar"));
        assertThat(KernelClassPath.narrow(missing, Set.of("netty-1.jar", "shared-memory-1.jar"))).as("a kernel jar not there").isEmpty();
        assertThat(KernelClassPath.narrow(jar("netty-1.jar"), Set.of("netty-1.jar"))).as("no kernel-node jar").isEmpty();
    }

    private String jar(String name) throws Exception {
        Path jar = lib.resolve(name);
        if (!Files.exists(jar)) {
            Files.createFile(jar);
        }
        return jar.toString();
    }
}
