package io.archipelago.directory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The cluster's files on a host shared with other users: every directory the cluster creates is
 * 0700 and every file 0600, whatever the umask (the mode is set again after creation, as the
 * umask only ever removes bits at creation); files are created new ({@code O_CREAT|O_EXCL}) and
 * opened without following symbolic links, and a directory or file that is a symbolic link, or
 * owned by another user, is refused with its path, the owner expected and the owner found.
 */
public final class OwnerOnlyFiles {

    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE = PosixFilePermissions.asFileAttribute(DIRECTORY_MODE);
    private static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE = PosixFilePermissions.asFileAttribute(FILE_MODE);
    private static final int ROOT_UID = 0;
    private static final int STICKY = 01000;
    private static final int GROUP_OR_OTHER_WRITE = 0022;

    private OwnerOnlyFiles() {
    }

    /**
     * Creates {@code directory} (0700) if it does not exist, or checks it: a directory, not a
     * symbolic link, owned by this process's user; then sets it to 0700.
     *
     * @param what what the directory is, for errors ("cluster directory")
     * @throws UnsafeClusterFileException when it is a link, not a directory, or someone else's
     */
    public static void ownDirectory(Path directory, String what) {
        create(directory);
        PosixFileAttributes attributes = checkOwnedDirectory(directory, what);
        if (!attributes.permissions().equals(DIRECTORY_MODE)) {
            setMode(directory, DIRECTORY_MODE);
        }
    }

    /**
     * Creates the parent of cluster directories (0700) if it does not exist (its own parents
     * as usual), or checks it: not a symbolic link, a directory owned by this process's user (or a
     * sticky directory of root's, such as {@code /tmp}), and not writable by others unless sticky,
     * so that nobody else can put a cluster directory there or rename ours. An existing parent
     * keeps its mode: it may be a directory the user chose for other things too.
     */
    public static void checkParent(Path root, String what) {
        try {
            Path above = root.toAbsolutePath().getParent();
            if (above != null && !Files.isDirectory(above)) {
                Files.createDirectories(above);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root.toAbsolutePath().getParent() + " for the " + what + ": "
                + e.getMessage(), e);
        }
        if (create(root)) {
            setMode(root, DIRECTORY_MODE);
        }
        PosixFileAttributes attributes = attributes(root, what);
        refuseLinkOrNonDirectory(root, what, attributes);
        int uid = uid(root);
        int mode = mode(root);
        boolean sticky = (mode & STICKY) != 0;
        if (uid != currentUid() && !(uid == ROOT_UID && sticky)) {
            throw new UnsafeClusterFileException(what + " " + root + " is owned by " + ownerName(attributes, uid) + ", expected "
                + currentUserName() + " (uid " + currentUid() + ") or a sticky directory of root's: another user could put a "
                + "cluster directory there first; choose another with $" + ClusterDirectory.ROOT_ENV + " or --home");
        }
        if ((mode & GROUP_OR_OTHER_WRITE) != 0 && !sticky) {
            throw new UnsafeClusterFileException(what + " " + root + " is writable by other users (mode "
                + String.format("%04o", mode & 07777) + "), expected no write permission for group and others (or the sticky bit): "
                + "another user could replace a cluster directory in it; run `chmod go-w " + root + "`");
        }
    }

    /**
     * Makes an existing file the owner's only (0600), without following a symbolic link, after
     * checking it is a regular file owned by this process's user.
     */
    public static void ownFile(Path file, String what) {
        PosixFileAttributes attributes = attributes(file, what);
        if (attributes.isSymbolicLink() || !attributes.isRegularFile()) {
            throw new UnsafeClusterFileException(what + " " + file + " is " + kind(file, attributes)
                + ", expected a regular file: refused (nothing is written through a link)");
        }
        int uid = uid(file);
        if (uid != currentUid()) {
            throw notOwned(file, what, attributes, uid);
        }
        if (!attributes.permissions().equals(FILE_MODE)) {
            setMode(file, FILE_MODE);
        }
    }

    /** Creates an empty owner-only file, or makes an existing one owner-only (see {@link #ownFile}). */
    public static void ensureFile(Path file, String what) {
        try {
            Files.createFile(file, FILE_ATTRIBUTE);
            setMode(file, FILE_MODE);
        } catch (FileAlreadyExistsException exists) {
            ownFile(file, what);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a new file, 0600, that must not exist (not even as a symbolic link): {@code CREATE_NEW}
     * and {@code NOFOLLOW_LINKS} are added to {@code options}.
     */
    public static FileChannel createNew(Path file, OpenOption... options) throws IOException {
        List<OpenOption> all = new ArrayList<>(List.of(options));
        all.remove(StandardOpenOption.CREATE);
        all.add(StandardOpenOption.CREATE_NEW);
        all.add(LinkOption.NOFOLLOW_LINKS);
        all.add(StandardOpenOption.WRITE);
        FileChannel channel = FileChannel.open(file, Set.copyOf(all), FILE_ATTRIBUTE);
        try {
            setModeOrThrow(file, FILE_MODE);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Opens (creating it if needed, 0600) a file kept from one run to the next, such as a lock,
     * without following a symbolic link, and makes it owner-only.
     */
    public static FileChannel openOwned(Path file, String what, OpenOption... options) throws IOException {
        List<OpenOption> all = new ArrayList<>(List.of(options));
        all.add(StandardOpenOption.CREATE);
        all.add(LinkOption.NOFOLLOW_LINKS);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, Set.copyOf(all), FILE_ATTRIBUTE);
        } catch (IOException e) {
            if (Files.isSymbolicLink(file)) {
                throw new UnsafeClusterFileException(what + " " + file + " is a symbolic link (to " + linkTarget(file)
                    + "), expected a regular file: refused (nothing is written through a link)");
            }
            throw e;
        }
        try {
            ownFile(file, what);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        return channel;
    }

    /**
     * Writes {@code content} to {@code file} atomically, owner-only: into a new temporary file
     * beside it ({@code CREATE_NEW}, no links followed, 0600), then renamed over it (a rename
     * replaces a symbolic link at {@code file} rather than writing through it).
     *
     * @param replace whether an existing {@code file} is replaced; if not, an existing one is an error
     */
    public static void writeAtomically(Path file, byte[] content, boolean replace) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        Files.deleteIfExists(temporary);
        try (FileChannel channel = createNew(temporary, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            if (replace) {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileAlreadyExistsException(file.toString());
                }
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }

    /** Sets a mode exactly (not subject to the umask), without following a symbolic link. */
    public static void setMode(Path path, Set<PosixFilePermission> mode) {
        try {
            setModeOrThrow(path, mode);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set the mode of " + path + " to " + PosixFilePermissions.toString(mode) + ": "
                + e.getMessage(), e);
        }
    }

    private static void setModeOrThrow(Path path, Set<PosixFilePermission> mode) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(mode);
    }

    /** The uid this process's files get (the owner of {@code /proc/self}: the effective uid). */
    public static int currentUid() {
        return CurrentUser.UID;
    }

    /** @return whether it created the directory */
    private static boolean create(Path directory) {
        try {
            Files.createDirectory(directory, DIRECTORY_ATTRIBUTE);
            setMode(directory, DIRECTORY_MODE);
            return true;
        } catch (FileAlreadyExistsException exists) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory + ": " + e.getMessage(), e);
        }
    }

    private static PosixFileAttributes checkOwnedDirectory(Path directory, String what) {
        PosixFileAttributes attributes = attributes(directory, what);
        refuseLinkOrNonDirectory(directory, what, attributes);
        int uid = uid(directory);
        if (uid != currentUid()) {
            throw notOwned(directory, what, attributes, uid);
        }
        return attributes;
    }

    private static void refuseLinkOrNonDirectory(Path directory, String what, PosixFileAttributes attributes) {
        if (attributes.isSymbolicLink() || !attributes.isDirectory()) {
            throw new UnsafeClusterFileException(what + " " + directory + " is " + kind(directory, attributes) + ", expected a "
                + "directory owned by " + currentUserName() + " (uid " + currentUid() + "): refused; remove it, or choose another "
                + "home with $" + ClusterDirectory.ROOT_ENV + " or --home");
        }
    }

    private static UnsafeClusterFileException notOwned(Path path, String what, PosixFileAttributes attributes, int uid) {
        return new UnsafeClusterFileException(what + " " + path + " is owned by " + ownerName(attributes, uid) + ", expected "
            + currentUserName() + " (uid " + currentUid() + "): another user could read or replace the cluster's files; remove "
            + "it, or choose another home with $" + ClusterDirectory.ROOT_ENV + " or --home");
    }

    private static String kind(Path path, PosixFileAttributes attributes) {
        if (attributes.isSymbolicLink()) {
            return "a symbolic link (to " + linkTarget(path) + ")";
        }
        return attributes.isDirectory() ? "a directory" : attributes.isRegularFile() ? "a regular file" : "a special file";
    }

    private static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String ownerName(PosixFileAttributes attributes, int uid) {
        String name = attributes.owner().getName();
        return name.equals(Integer.toString(uid)) ? "uid " + uid : name + " (uid " + uid + ")";
    }

    private static String currentUserName() {
        return CurrentUser.NAME;
    }

    private static PosixFileAttributes attributes(Path path, String what) {
        try {
            return Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("no " + what + " at " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the attributes of " + what + " " + path + ": " + e.getMessage(), e);
        }
    }

    private static int uid(Path path) {
        return (int) unixAttribute(path, "unix:uid");
    }

    private static int mode(Path path) {
        return (int) unixAttribute(path, "unix:mode");
    }

    private static Object unixAttribute(Path path, String attribute) {
        try {
            return Files.getAttribute(path, attribute, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + attribute + " of " + path + ": " + e.getMessage(), e);
        }
    }

    /** This process's user, read once. */
    private static final class CurrentUser {
        static final int UID;
        static final String NAME;

        static {
            Path self = Path.of("/proc/self");
            try {
                UID = (int) Files.getAttribute(self, "unix:uid");
                String name = Files.getOwner(self).getName();
                NAME = name.equals(Integer.toString(UID)) ? "uid " + UID : name;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot tell this process's user from " + self + ": " + e.getMessage(), e);
            }
        }
    }
}
