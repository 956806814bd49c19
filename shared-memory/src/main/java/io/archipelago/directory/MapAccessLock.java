package io.archipelago.directory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The lock every process of the cluster takes around each access to one shared Chronicle Map
 * (a write, a snapshot read), so that a process killed at any moment cannot wedge the map.
 * <p>
 * Chronicle Map's segment locks are words in the mapped file that record no holder: a process
 * killed while it holds one leaves it held, and every later access waits 60 s and throws. This
 * lock is an operating-system file lock ({@code fcntl}) on a file beside the map
 * ({@code membership.cm.lock}): the kernel releases it the moment its holder dies, however it
 * dies, in whichever container it ran (a lock on a shared tmpfs works across PID namespaces, where
 * a recorded pid would mean nothing). Since every process takes it before touching the map, at
 * most one process is ever inside the map; the holder marks itself inside in the map's
 * {@link MapGeneration} word and clears the mark before it lets go. So the next holder that finds
 * the mark still set knows the previous one died inside the map, that nobody alive holds any of
 * the map's segment locks, and it resets them all (and the map's global lock) before it goes on;
 * it also advances the generation, in case the dead process wrote without doing so.
 * <p>
 * What a kill inside the map can still leave behind: the write it was making (applied or not,
 * as if it had happened just before or never), and at worst a half-written entry, which reads
 * set aside ({@link SnapshotMap#setAside()}). Threads of one process take turns through a
 * {@link ReentrantLock} (a JVM holds a file lock once); one thread may take the lock again
 * inside its own access (a compute that reads the map).
 * <p>
 * Cost: two system calls per write or snapshot refresh (both rare: state changes), none on
 * reads that find the snapshot current.
 * <p>
 * Why not make the coordinator the maps' only user, kernels asking it for writes and reading a
 * snapshot it publishes: Chronicle Map's lock words record no pid to detect a dead holder by, so
 * recovery needs an outer lock either way, and with it the maps stay what they are (every
 * process reads and writes them directly, kernels keep working while the coordinator restarts)
 * with no new protocol; a file lock also needs no pid, which would be meaningless across the
 * PID namespaces of a compose cluster's containers.
 */
final class MapAccessLock implements AutoCloseable {

    /** How long an access waits for a live holder before it gives up naming it. */
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final long PID = ProcessHandle.current().pid();
    /** One per lock file per JVM: POSIX file locks belong to the process, and closing any channel on the file drops them. */
    private static final Map<Path, Shared> SHARED = new HashMap<>();

    /** What one JVM holds for one lock file. */
    private static final class Shared {
        final Path file;
        final ReentrantLock turns = new ReentrantLock();
        FileChannel channel;
        int users;

        Shared(Path file, FileChannel channel) {
            this.file = file;
            this.channel = channel;
        }
    }

    private final String what;
    private final Shared shared;
    private final MapGeneration generation;
    private final LongConsumer recoverFromDeadHolder;
    private FileLock held;
    private boolean closed;

    private MapAccessLock(String what, Shared shared, MapGeneration generation, LongConsumer recoverFromDeadHolder) {
        this.what = what;
        this.shared = shared;
        this.generation = generation;
        this.recoverFromDeadHolder = recoverFromDeadHolder;
    }

    /** The lock file beside a map file: {@code <map file>.lock}. */
    static Path lockFile(Path mapFile) {
        return mapFile.resolveSibling(mapFile.getFileName() + ".lock");
    }

    /**
     * Opens (creating it, owner-only, if missing) the lock of the map at {@code mapFile}.
     *
     * @param recoverFromDeadHolder run, holding the lock, when the previous holder died inside the
     *                              map; given that holder's pid (in its own PID namespace)
     */
    static MapAccessLock open(String what, Path mapFile, MapGeneration generation, LongConsumer recoverFromDeadHolder) {
        Path file = lockFile(mapFile).toAbsolutePath().normalize();
        synchronized (SHARED) {
            Shared shared = SHARED.get(file);
            if (shared == null) {
                shared = new Shared(file, openChannel(file, what));
                SHARED.put(file, shared);
            }
            shared.users++;
            return new MapAccessLock(what, shared, generation, recoverFromDeadHolder);
        }
    }

    private static FileChannel openChannel(Path file, String what) {
        try {
            return OwnerOnlyFiles.openOwned(file, what + " lock", StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + what + " lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code access} holding the lock, after recovering from a holder that died inside the map. */
    <T> T access(Supplier<T> access) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        try {
            if (!shared.turns.tryLock(PATIENCE.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(what + ": another thread of this process has been inside the map for over "
                    + PATIENCE.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + ": interrupted waiting for the map's access lock", e);
        }
        try {
            boolean outermost = shared.turns.getHoldCount() == 1;
            if (!outermost) {
                return access.get();
            }
            lockFile(deadline);
            try {
                long previous = generation.inside();
                if (previous != 0) {
                    // until this returns the mark stays set, so a failed recovery is tried again by the next holder
                    recoverFromDeadHolder.accept(previous);
                }
                generation.inside(PID);
                try {
                    return access.get();
                } finally {
                    // a live process that fails inside the map has let go of Chronicle Map's locks (try-with-resources)
                    generation.inside(0);
                }
            } finally {
                unlockFile();
            }
        } finally {
            shared.turns.unlock();
        }
    }

    /**
     * Takes the file lock, polling (a blocking {@code fcntl} could not give up at a deadline). An
     * interrupt is set aside meanwhile: it would close the JVM's one channel on the lock file.
     */
    private void lockFile(long deadline) {
        boolean interrupted = Thread.interrupted();
        try {
            long pause = TimeUnit.MICROSECONDS.toNanos(20);
            while (true) {
                FileLock lock = tryLock();
                if (lock != null) {
                    held = lock;
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException(what + ": process " + generation.inside() + " has been inside the map for over "
                        + PATIENCE.toSeconds() + " s and is still alive (stopped?); the map's access lock is " + shared.file);
                }
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(1));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private FileLock tryLock() {
        for (int attempt = 0; ; attempt++) {
            try {
                return shared.channel.tryLock();
            } catch (java.nio.channels.ClosedChannelException closed) {
                // closed by an interrupt that arrived during a call: nobody held the lock through it, open it again
                if (attempt > 0) {
                    throw new UncheckedIOException(what + " lock " + shared.file + " keeps closing", closed);
                }
                Thread.interrupted();
                shared.channel = openChannel(shared.file, what);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + what + " lock " + shared.file + ": " + e.getMessage(), e);
            }
        }
    }

    private void unlockFile() {
        FileLock lock = held;
        held = null;
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unlock " + what + " lock " + shared.file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        synchronized (SHARED) {
            if (closed) {
                return;
            }
            closed = true;
            if (--shared.users == 0) {
                SHARED.remove(shared.file);
                try {
                    shared.channel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot close " + what + " lock " + shared.file + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
