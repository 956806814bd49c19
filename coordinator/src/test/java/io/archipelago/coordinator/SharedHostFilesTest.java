package io.archipelago.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.SnapshotMap;
import io.archipelago.directory.UnsafeClusterFileException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator on a host shared with other users, with real files: the cluster's directory and
 * every file in it are its user's only, and a directory another user made (or a link) is refused.
 */
@Timeout(60)
class SharedHostFilesTest {

    /** An external cluster (nothing to launch) under {@code root}. */
    private static CoordinatorContext context(Path root) {
        ClusterConfig config = ClusterConfig.builder().cluster("shared")
            .islands(List.of(new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1))).mailboxTransport("tcp").launch("external")
            .kernelJvmOptions(List.of()).build();
        return new CoordinatorContext().config(config).root(root);
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void theClusterDirectoryAndEveryFileInItAreTheOwnersOnly(@TempDir Path temp) throws Exception {
        // what the test's umask gives a new file (022 gives rw-r--r--): the cluster's files must not depend on it
        Path probe = Files.createFile(temp.resolve("umask-probe"));
        System.out.println("this JVM's umask gives new files " + mode(probe));
        Path root = temp.resolve("clusters");
        try (Coordinator coordinator = Coordinator.start(context(root))) {
            ClusterDirectory directory = coordinator.directory();
            for (Path dir : List.of(root, directory.path(), directory.logsDirectory())) {
                assertThat(mode(dir)).as("%s", dir).isEqualTo("rwx------");
            }
            List<Path> files = List.of(directory.memoryFile(), directory.membershipFile(), directory.membershipGenerationFile(),
                directory.regionsFile(), directory.regionsGenerationFile(), directory.secretFile(), directory.coordinatorInfoFile(),
                directory.coordinatorLockFile(), SnapshotMap.lockFile(directory.membershipFile()), SnapshotMap.lockFile(directory.regionsFile()));
            for (Path file : files) {
                assertThat(mode(file)).as("%s", file).isEqualTo("rw-------");
            }
            try (var entries = Files.list(directory.path())) {
                assertThat(entries.filter(Files::isRegularFile).toList()).as("every file is checked above")
                    .containsExactlyInAnyOrderElementsOf(files);
            }
        }
    }

    @Test
    void aSymbolicLinkInPlaceOfTheClusterDirectoryIsRefused(@TempDir Path temp) throws Exception {
        Path root = Files.createDirectory(temp.resolve("clusters"));
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(root.resolve("shared"), elsewhere);
        assertThatThrownBy(() -> Coordinator.start(context(root)))
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("cluster directory " + link + " is a symbolic link (to " + elsewhere + "), expected a directory "
                + "owned by ");
        assertThat(elsewhere).as("nothing was written through the link").isEmptyDirectory();
    }

    @Test
    void aClusterDirectoryOwnedByAnotherUserIsRefused(@TempDir Path temp) throws Exception {
        Path root = Files.createDirectory(temp.resolve("clusters"));
        Path theirs = Files.createDirectory(root.resolve("shared"));
        Files.setOwner(theirs, theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertThatThrownBy(() -> Coordinator.start(context(root)))
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("cluster directory " + theirs + " is owned by nobody (uid 65534), expected ");
        assertThat(theirs).as("nothing was written in it").isEmptyDirectory();
    }
}
