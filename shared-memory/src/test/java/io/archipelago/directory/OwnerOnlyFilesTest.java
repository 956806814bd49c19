package io.archipelago.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.registry.RegionRegistry;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster directory on a host shared with other users, with real files: owner-only modes
 * whatever the umask, and links or other users' directories refused.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OwnerOnlyFilesTest {

    @TempDir
    Path temp;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private static UserPrincipal nobody() throws Exception {
        return temp().getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    }

    private static Path temp() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** This process's user as the messages name it, e.g. {@code root (uid 0)}. */
    private static String me() throws Exception {
        return Files.getOwner(Path.of("/proc/self")).getName() + " (uid " + OwnerOnlyFiles.currentUid() + ")";
    }

    @Test
    void everyFileTheClusterCreatesIsOwnerOnlyUnderAUmaskOf022() throws Exception {
        Path home = temp.resolve("home");
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "umask 022 && exec \"$0\" \"$@\""));
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(option -> option.startsWith("--") || option.startsWith("-D")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), home.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child exits").isTrue();
        assertThat(child.exitValue()).as("child output: %s", output).isZero();

        ClusterDirectory directory = ClusterDirectory.under(home, "shared");
        assertThat(mode(directory.path().resolve("umask-probe"))).as("the child's umask is 022").isEqualTo("rw-r--r--");
        for (Path dir : List.of(home, directory.path(), directory.logsDirectory())) {
            assertThat(mode(dir)).as("%s", dir).isEqualTo("rwx------");
        }
        for (Path file : List.of(directory.memoryFile(), directory.membershipFile(), directory.membershipGenerationFile(),
            directory.regionsFile(), directory.regionsGenerationFile())) {
            assertThat(mode(file)).as("%s", file).isEqualTo("rw-------");
        }
    }

    @Test
    void anExistingDirectoryAndItsLogsAreTightened() throws Exception {
        ClusterDirectory directory = ClusterDirectory.under(temp.resolve("home"), "old");
        Files.createDirectories(directory.logsDirectory());
        Files.setPosixFilePermissions(directory.path(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(directory.logsDirectory(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = Files.writeString(directory.kernelLog("k0"), "an old run\n");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-r--r--"));

        directory.createForOwner();

        assertThat(mode(directory.path())).isEqualTo("rwx------");
        assertThat(mode(directory.logsDirectory())).isEqualTo("rwx------");
        assertThat(mode(log)).isEqualTo("rw-------");
        assertThat(Files.readString(log)).isEqualTo("an old run\n");
    }

    @Test
    void aSymbolicLinkInPlaceOfTheClusterDirectoryIsRefused() throws Exception {
        Path home = Files.createDirectory(temp.resolve("home"));
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(home.resolve("linked"), elsewhere);
        assertThatThrownBy(() -> ClusterDirectory.under(home, "linked").createForOwner())
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessage("cluster directory " + link + " is a symbolic link (to " + elsewhere + "), expected a directory owned by "
                + me() + ": refused; remove it, or choose another home with $ARCHIPELAGO_HOME or --home");
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void aSymbolicLinkAsTheHomeIsRefused() throws Exception {
        Path elsewhere = Files.createDirectory(temp.resolve("elsewhere"));
        Path home = Files.createSymbolicLink(temp.resolve("home"), elsewhere);
        assertThatThrownBy(() -> ClusterDirectory.under(home, "c").createForOwner())
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("cluster home " + home + " is a symbolic link (to " + elsewhere + ")");
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void aDirectoryOwnedByAnotherUserIsRefused() throws Exception {
        Path home = Files.createDirectory(temp.resolve("home"));
        Path theirs = Files.createDirectory(home.resolve("theirs"));
        Files.setOwner(theirs, nobody());
        assertThatThrownBy(() -> ClusterDirectory.under(home, "theirs").createForOwner())
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("cluster directory " + theirs + " is owned by nobody (uid 65534), expected " + me());
        assertThat(theirs).isEmptyDirectory();

        Path otherHome = Files.createDirectory(temp.resolve("other-home"));
        Files.setOwner(otherHome, nobody());
        assertThatThrownBy(() -> ClusterDirectory.under(otherHome, "c").createForOwner())
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("cluster home " + otherHome + " is owned by nobody (uid 65534), expected " + me());
        assertThat(otherHome).isEmptyDirectory();
    }

    @Test
    void aHomeWritableByOthersIsRefusedUnlessSticky() throws Exception {
        Path home = Files.createDirectory(temp.resolve("home"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> ClusterDirectory.under(home, "c").createForOwner())
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageContaining("cluster home " + home + " is writable by other users (mode 0777)")
            .hasMessageContaining("chmod go-w " + home);
        Files.setAttribute(home, "unix:mode", 01777);
        ClusterDirectory.under(home, "c").createForOwner();
        assertThat(mode(home.resolve("c"))).isEqualTo("rwx------");
    }

    @Test
    void nothingIsWrittenThroughALink() throws Exception {
        Path dir = Files.createDirectory(temp.resolve("dir"));
        Path victim = Files.writeString(temp.resolve("victim"), "untouched");
        Path info = Files.createSymbolicLink(dir.resolve("coordinator.json"), victim);
        Files.createSymbolicLink(dir.resolve("coordinator.json.creating"), victim);
        OwnerOnlyFiles.writeAtomically(info, "{}".getBytes(StandardCharsets.UTF_8), true);
        assertThat(Files.isSymbolicLink(info)).as("the link was replaced, not followed").isFalse();
        assertThat(Files.readString(info)).isEqualTo("{}");
        assertThat(mode(info)).isEqualTo("rw-------");
        assertThat(Files.readString(victim)).isEqualTo("untouched");

        Path log = Files.createSymbolicLink(dir.resolve("k0.log"), victim);
        assertThatThrownBy(() -> OwnerOnlyFiles.ensureFile(log, "kernel log"))
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessage("kernel log " + log + " is a symbolic link (to " + victim + "), expected a regular file: refused (nothing "
                + "is written through a link)");
        Path lock = Files.createSymbolicLink(dir.resolve("coordinator.lock"), victim);
        assertThatThrownBy(() -> OwnerOnlyFiles.openOwned(lock, "coordinator lock", StandardOpenOption.WRITE))
            .isInstanceOf(UnsafeClusterFileException.class)
            .hasMessageStartingWith("coordinator lock " + lock + " is a symbolic link");
        assertThat(Files.readString(victim)).isEqualTo("untouched");
    }

    /** Creates a cluster's directory and shared files as the coordinator does, under the umask it was started with. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            ClusterDirectory directory = ClusterDirectory.under(Path.of(args[0]), "shared");
            directory.createForOwner();
            Files.createFile(directory.path().resolve("umask-probe"));
            try (GlobalMemory memory = GlobalMemory.create(directory.memoryFile(), "shared", new MemoryGeometry(8L << 20, 4096, 1 << 20, 4), 1);
                 RegionRegistry regions = RegionRegistry.create(directory.regionsFile());
                 Membership membership = Membership.create(directory.membershipFile())) {
                System.out.println("created " + memory.file() + ", " + regions.file() + ", " + membership.file());
            }
        }
    }
}
