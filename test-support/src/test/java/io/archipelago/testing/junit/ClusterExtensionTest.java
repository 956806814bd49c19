package io.archipelago.testing.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.io.TempDir;

/** Which cluster a {@link Cluster} annotation asks for (booting one is the integration tests' business). */
@Timeout(30)
class ClusterExtensionTest {

    @TempDir
    Path dir;

    @Test
    void noAnnotationOrAnEmptyOneIsK2sPlatform() throws Exception {
        assertThat(ClusterExtension.config(Optional.empty(), context())).isEqualTo(ClusterConfig.k2Default());
        assertThat(ClusterExtension.config(Optional.of(annotation("", "")), context())).isEqualTo(ClusterConfig.k2Default());
    }

    @Test
    void inlineYamlIsReadWithItsLine() throws Exception {
        ClusterConfig config = ClusterExtension.config(Optional.of(annotation("""
            islands:
              - {name: big, data-model: aarch64, cores: 1, speed: 1.0, domain: a, kernels: 1}
              - {name: little, data-model: ppc32, cores: 1, speed: 0.5, domain: b, kernels: 2}
            """, "")), context());
        assertThat(config.totalKernels()).isEqualTo(3);
        assertThatThrownBy(() -> ClusterExtension.config(Optional.of(annotation("memory: {size: lots}", "")), context()))
            .isInstanceOf(ConfigException.class).hasMessageContaining("size").hasMessageContaining("@Cluster(yaml)");
    }

    @Test
    void aConfigIsAClassPathResourceElseAFile() throws Exception {
        assertThat(ClusterExtension.config(Optional.of(annotation("", "cluster-extension-test.yaml")), context()).totalKernels())
            .isEqualTo(4);
        Path file = dir.resolve("mine.yaml");
        Files.writeString(file, "islands:\n  - {name: solo, data-model: armv7, cores: 1, speed: 1.0, domain: a, kernels: 1}\n");
        assertThat(ClusterExtension.config(Optional.of(annotation("", file.toString())), context()).totalKernels()).isEqualTo(1);
        assertThatThrownBy(() -> ClusterExtension.config(Optional.of(annotation("", "no/such.yaml")), context()))
            .isInstanceOf(ParameterResolutionException.class).hasMessageContaining("no/such.yaml").hasMessageContaining("found neither");
        assertThatThrownBy(() -> ClusterExtension.config(Optional.of(annotation("cluster: x", "x.yaml")), context()))
            .isInstanceOf(ParameterResolutionException.class).hasMessageContaining("not both");
    }

    private static Cluster annotation(String yaml, String config) {
        return new Cluster() {
            @Override
            public String yaml() {
                return yaml;
            }

            @Override
            public String config() {
                return config;
            }

            @Override
            public io.archipelago.testing.ClusterHandle.Flavour flavour() {
                return io.archipelago.testing.ClusterHandle.Flavour.PROCESSES;
            }

            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return Cluster.class;
            }
        };
    }

    private static ExtensionContext context() {
        return (ExtensionContext) java.lang.reflect.Proxy.newProxyInstance(ClusterExtensionTest.class.getClassLoader(),
            new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                case "getDisplayName" -> "a test";
                case "getRequiredTestClass" -> ClusterExtensionTest.class;
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }
}
