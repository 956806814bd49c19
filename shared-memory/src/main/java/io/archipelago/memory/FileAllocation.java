package io.archipelago.memory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Allocates a file's blocks in full before it is mapped. A mapped file on a tmpfs is sparse
 * unless told otherwise: its pages are taken from the tmpfs when first touched, and when the
 * tmpfs is full that touch is a {@code SIGBUS} that kills the process (a kernel, mid-task). With
 * the blocks allocated up front, a tmpfs too small for global memory is one clear error at
 * {@code up}, naming the sizes, and nothing later runs out.
 * <p>
 * {@code posix_fallocate(3)} through the FFM API where the C library has it (tmpfs supports it:
 * fast, no data written); otherwise the file is written with zeros.
 */
final class FileAllocation {

    private static final int O_RDWR = 2;
    private static final int ENOSPC = 28;
    private static final int EFBIG = 27;
    private static final long MIB = 1024 * 1024;
    private static final int ZEROS_CHUNK = 1 << 20;

    private static final Optional<MethodHandle> OPEN = function("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final Optional<MethodHandle> POSIX_FALLOCATE = function("posix_fallocate",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final Optional<MethodHandle> CLOSE = function("close",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private FileAllocation() {
    }

    private static Optional<MethodHandle> function(String name, FunctionDescriptor descriptor) {
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup c = linker.defaultLookup();
            return c.find(name).map(address -> linker.downcallHandle(address, descriptor));
        } catch (RuntimeException | LinkageError e) {
            return Optional.empty();
        }
    }

    /**
     * Makes {@code file} (already created, open as {@code channel}) {@code bytes} long with every
     * block allocated.
     *
     * @param what what the file is, for the error ("global memory")
     * @throws IOException saying how much was needed and how much the file system has, when it
     *                     has too little
     */
    static void allocate(Path file, FileChannel channel, long bytes, String what) throws IOException {
        // measured before: a failed allocation may hold some of the space until the file is removed
        String space = space(file);
        if (OPEN.isPresent() && POSIX_FALLOCATE.isPresent() && CLOSE.isPresent()) {
            int error = fallocate(file, bytes);
            if (error == 0) {
                return;
            }
            if (error == ENOSPC || error == EFBIG) {
                throw tooSmall(file, bytes, what, space, error == ENOSPC ? "no space left on device" : "file too large");
            }
            // anything else (an exotic file system): fall back to writing the blocks
        }
        try {
            channel.truncate(0);
            ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS_CHUNK);
            for (long position = 0; position < bytes; ) {
                zeros.clear().limit((int) Math.min(ZEROS_CHUNK, bytes - position));
                position += channel.write(zeros, position);
            }
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space left")) {
                throw tooSmall(file, bytes, what, space, e.getMessage());
            }
            throw e;
        }
    }

    /** {@code posix_fallocate} on the file; its error number, 0 on success. */
    private static int fallocate(Path file, long bytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(file.toAbsolutePath().toString());
            int fd = (int) OPEN.orElseThrow().invokeExact(path, O_RDWR);
            if (fd < 0) {
                throw new IOException("cannot open " + file + " to allocate it");
            }
            try {
                return (int) POSIX_FALLOCATE.orElseThrow().invokeExact(fd, 0L, bytes);
            } finally {
                int closed = (int) CLOSE.orElseThrow().invokeExact(fd);
                assert closed == 0 || closed == -1;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("cannot allocate " + file + ": " + e, e);
        }
    }

    private static String space(Path file) {
        try {
            FileStore store = Files.getFileStore(file);
            return "the file system holding it (" + store + ") has " + store.getUsableSpace() / MIB + " MiB free of "
                + store.getTotalSpace() / MIB + " MiB";
        } catch (IOException e) {
            return "the file system holding it cannot say how much it has";
        }
    }

    private static IOException tooSmall(Path file, long bytes, String what, String space, String reason) {
        return new IOException(what + " needs " + bytes + " bytes (" + ceilMib(bytes) + " MiB) in " + file.getParent() + ", but "
            + space + " (" + reason + "): make the tmpfs larger (mount -o remount,size=...) or the memory smaller (memory: size: in "
            + "the cluster's configuration)");
    }

    private static long ceilMib(long bytes) {
        return (bytes + MIB - 1) / MIB;
    }
}
