package io.archipelago.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.interconnect.auth.ClusterSecret;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator handed a secret (a container's compose secret) adopts it instead of generating one. */
@Timeout(60)
class AdoptedSecretTest {

    private static final String SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    /** An external cluster (nothing to launch), in a unique directory. */
    private static CoordinatorContext context(Path root, Path secretFile) {
        ClusterConfig config = ClusterConfig.builder().cluster("adopt")
            .islands(List.of(new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1))).mailboxTransport("tcp").launch("external")
            .kernelJvmOptions(List.of()).build();
        return new CoordinatorContext().config(config).root(root).secretFile(secretFile);
    }

    @Test
    void theClusterDirectoryGetsTheGivenSecretReadableByItsOwnerOnly(@TempDir Path temp) throws Exception {
        Path given = Files.writeString(temp.resolve("given.secret"), SECRET + "\n", StandardCharsets.US_ASCII);
        try (Coordinator coordinator = Coordinator.start(context(temp.resolve("clusters"), given))) {
            Path written = coordinator.directory().secretFile();
            assertThat(Files.readString(written).strip()).isEqualTo(SECRET);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(written))).isEqualTo("rw-------");
            // The coordinator authenticates with it: a proof made with the given secret verifies.
            byte[] challenge = {1, 2, 3};
            assertThat(coordinator.secret().verify(ClusterSecret.readFrom(given).prove(challenge), challenge)).isTrue();
        }
    }

    @Test
    void withoutOneAFreshSecretIsGenerated(@TempDir Path temp) throws Exception {
        try (Coordinator coordinator = Coordinator.start(context(temp.resolve("clusters"), null))) {
            assertThat(Files.readString(coordinator.directory().secretFile()).strip()).hasSize(2 * ClusterSecret.BYTES).isNotEqualTo(SECRET);
        }
    }

    @Test
    void anUnreadableOrMalformedSecretIsRefusedWithItsPath(@TempDir Path temp) throws Exception {
        Path missing = temp.resolve("missing.secret");
        assertThatThrownBy(() -> Coordinator.start(context(temp.resolve("a"), missing)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("secret file").hasMessageContaining(missing.toString());
        Path malformed = Files.writeString(temp.resolve("bad.secret"), "not hex at all");
        assertThatThrownBy(() -> Coordinator.start(context(temp.resolve("b"), malformed)))
            .hasMessageContaining(malformed.toString()).hasMessageContaining("hexadecimal");
        assertThat(temp.resolve("b/adopt/coordinator.json")).doesNotExist();
    }
}
