package io.archipelago.testing.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.testing.ClusterHandle;
import io.archipelago.testing.ClusterHandle.Flavour;
import io.archipelago.testing.MiniCluster;
import io.archipelago.testing.containers.ComposeCluster;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;

/** What the extension refuses about flavours before it starts anything (no cluster, no Docker needed). */
@Timeout(30)
class ClusterFlavourResolutionTest {

    @SuppressWarnings("unused")
    static void declared(@Cluster(flavour = Flavour.CONTAINERS) MiniCluster processesAsked, @Cluster(flavour = Flavour.CONTAINERS,
        yaml = "heartbeat: {interval-ms: 200}") ClusterHandle withYaml, ComposeCluster unannotated, ClusterHandle handle, String other) {
    }

    private static final Method DECLARED = method();
    private final ClusterExtension extension = new ClusterExtension();

    @Test
    void takesTheHandleTheProcessesClusterAndTheComposeClusterAndNothingElse() {
        assertThat(extension.supportsParameter(parameter(0), context())).isTrue();
        assertThat(extension.supportsParameter(parameter(2), context())).isTrue();
        assertThat(extension.supportsParameter(parameter(3), context())).isTrue();
        assertThat(extension.supportsParameter(parameter(4), context())).isFalse();
    }

    @Test
    void refusesContainersForAMiniClusterAYamlForContainersAndAComposeClusterWithoutTheFlavour() {
        assertThatThrownBy(() -> extension.resolveParameter(parameter(0), context())).isInstanceOf(ParameterResolutionException.class)
            .hasMessageContaining("needs a ClusterHandle").hasMessageContaining("found a MiniCluster");
        assertThatThrownBy(() -> extension.resolveParameter(parameter(1), context())).isInstanceOf(ParameterResolutionException.class)
            .hasMessageContaining("docker-compose.yml").hasMessageContaining("takes no yaml or config, found a yaml");
        assertThatThrownBy(() -> extension.resolveParameter(parameter(2), context())).isInstanceOf(ParameterResolutionException.class)
            .hasMessageContaining("@Cluster(flavour = CONTAINERS)");
    }

    private static Method method() {
        for (Method m : ClusterFlavourResolutionTest.class.getDeclaredMethods()) {
            if (m.getName().equals("declared")) {
                return m;
            }
        }
        throw new AssertionError("no declared method");
    }

    private static ParameterContext parameter(int index) {
        Parameter parameter = DECLARED.getParameters()[index];
        return (ParameterContext) Proxy.newProxyInstance(ClusterFlavourResolutionTest.class.getClassLoader(),
            new Class<?>[] {ParameterContext.class}, (proxy, method, args) -> switch (method.getName()) {
                case "getParameter" -> parameter;
                case "getIndex" -> index;
                case "getDeclaringExecutable" -> DECLARED;
                case "findAnnotation" -> Optional.ofNullable(parameter.getAnnotation((Class<? extends java.lang.annotation.Annotation>) args[0]));
                case "isAnnotated" -> parameter.isAnnotationPresent((Class<? extends java.lang.annotation.Annotation>) args[0]);
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }

    private static ExtensionContext context() {
        return (ExtensionContext) Proxy.newProxyInstance(ClusterFlavourResolutionTest.class.getClassLoader(),
            new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                case "getDisplayName" -> "a test";
                case "getTestMethod" -> Optional.of(DECLARED);
                case "getRequiredTestClass" -> ClusterFlavourResolutionTest.class;
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }
}
