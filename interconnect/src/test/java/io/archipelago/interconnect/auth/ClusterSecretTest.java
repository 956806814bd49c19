package io.archipelago.interconnect.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ClusterSecretTest {

    @TempDir
    Path dir;

    @Test
    void writtenOwnerOnlyAndReadBackEqual() throws Exception {
        ClusterSecret secret = ClusterSecret.generate();
        Path file = dir.resolve("secret");
        secret.writeTo(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        ClusterSecret read = ClusterSecret.readFrom(file);
        byte[] challenge = "challenge".getBytes(StandardCharsets.UTF_8);
        assertThat(read.verify(secret.prove(challenge), challenge)).isTrue();
        assertThatThrownBy(() -> secret.writeTo(file)).hasMessageContaining("never overwritten");
    }

    @Test
    void neverWrittenThroughASymbolicLink() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "untouched");
        Path file = dir.resolve("secret");
        // a link planted under the temporary name is removed, not followed
        Files.createSymbolicLink(dir.resolve("secret.creating"), victim);
        ClusterSecret.generate().writeTo(file);
        assertThat(Files.isSymbolicLink(file)).isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(victim)).isEqualTo("untouched");

        // a link at the secret's own name, even one pointing nowhere yet, is never replaced nor followed
        Path link = Files.createSymbolicLink(dir.resolve("other-secret"), dir.resolve("stolen"));
        assertThatThrownBy(() -> ClusterSecret.generate().writeTo(link)).hasMessageContaining("never overwritten");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(dir.resolve("stolen")).doesNotExist();
    }

    @Test
    void proofsDependOnTheSecretAndOnEveryPart() {
        ClusterSecret a = ClusterSecret.generate();
        ClusterSecret b = ClusterSecret.generate();
        byte[] x = {1, 2};
        byte[] y = {3};
        assertThat(b.verify(a.prove(x, y), x, y)).isFalse();
        assertThat(a.verify(a.prove(x, y), x, y)).isTrue();
        // Length prefixes: ({1,2},{3}) and ({1},{2,3}) are different messages.
        assertThat(a.verify(a.prove(x, y), new byte[] {1}, new byte[] {2, 3})).isFalse();
        assertThat(a.verify(null, x)).isFalse();
    }

    @Test
    void badFilesAreRefusedClearly() throws Exception {
        assertThatThrownBy(() -> ClusterSecret.readFrom(dir.resolve("missing"))).hasMessageContaining("no cluster secret at");
        Path notHex = dir.resolve("nothex");
        Files.writeString(notHex, "this is not hex at all!");
        assertThatThrownBy(() -> ClusterSecret.readFrom(notHex)).hasMessageContaining("hexadecimal");
        Path shortOne = dir.resolve("short");
        Files.writeString(shortOne, "abcd\n");
        assertThatThrownBy(() -> ClusterSecret.readFrom(shortOne)).hasMessageContaining("2 bytes, expected at least 16");
    }
}
