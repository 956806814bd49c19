package io.archipelago.coordinator.launch;

import io.archipelago.directory.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps each kernel's log in the cluster directory (a tmpfs: RAM) bounded. A kernel writes its
 * log in append mode ({@link LocalKernelLauncher}); the coordinator's watch loop calls
 * {@link #bound} for each, and a log over {@link #MAX_BYTES} is copied to {@code <name>.log.1}
 * (replacing the one before) and emptied, the kernel's next line landing at its start. So a
 * kernel's logs take at most about twice {@link #MAX_BYTES}, however much it writes; a few lines
 * written between the copy and the emptying are lost.
 */
public final class KernelLogs {

    /** A kernel log's size past which it is rotated. */
    public static final long MAX_BYTES = 16L * 1024 * 1024;

    private KernelLogs() {
    }

    /** The previous part of a rotated log: {@code <log>.1}. */
    public static Path previous(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }

    /**
     * Rotates {@code log} if it is over {@code maxBytes}. The log is emptied even when the copy
     * fails (a full tmpfs): bounding it is the point.
     *
     * @return whether it was rotated
     */
    public static boolean bound(Path log, long maxBytes) throws IOException {
        long size;
        try {
            size = Files.size(log);
        } catch (java.nio.file.NoSuchFileException gone) {
            return false;
        }
        if (size <= maxBytes) {
            return false;
        }
        Path previous = previous(log);
        try {
            Files.deleteIfExists(previous);
            try (FileChannel in = FileChannel.open(log, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                 FileChannel out = OwnerOnlyFiles.createNew(previous, StandardOpenOption.WRITE)) {
                for (long copied = 0; copied < size; ) {
                    long moved = in.transferTo(copied, size - copied, out);
                    if (moved <= 0) {
                        break;
                    }
                    copied += moved;
                }
            }
        } finally {
            try (FileChannel channel = FileChannel.open(log, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                channel.truncate(0);
            }
        }
        return true;
    }
}
