package io.archipelago.directory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A shared Chronicle Map's generation word: a small mmap'd file beside the map (for example
 * {@code membership.cm.gen}), advanced by every process after each write to the map. Readers
 * compare it with the generation of the records they hold and read the map again only when it
 * moved, so a process takes the map's segment locks only right after a write, never on its access
 * paths. Lock-free: one 64-bit atomic add per write, one acquire load per read.
 * <p>
 * It also says which process is inside the map ({@link MapAccessLock}): set by a process right
 * after it takes the map's access lock, cleared right before it lets go. A process that takes the
 * lock and finds it set knows its holder died inside the map, perhaps holding Chronicle Map's own
 * segment locks, and releases those before it goes on.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  magic "ARCHMGEN" (8 bytes)                   |  0
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |     generation (64-bit little-endian, atomically advanced     |  8
 *  |          by each writer after its write to the map)           |
 *  +---------------------------------------------------------------+
 *  |   inside: pid of the process inside the map (64-bit little-   | 16
 *  |   endian), 0 when none; written only by the access lock's     |
 *  |   holder                                                      |
 *  +---------------------------------------------------------------+
 *  |   recoveries: times a holder found its predecessor dead       | 24
 *  |   inside the map and released its locks (64-bit LE)           |
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class MapGeneration implements AutoCloseable {

    static final int FILE_BYTES = 32;
    private static final byte[] MAGIC = "ARCHMGEN".getBytes(StandardCharsets.US_ASCII);
    private static final long GENERATION_OFFSET = 8;
    private static final long INSIDE_OFFSET = 16;
    private static final long RECOVERIES_OFFSET = 24;
    private static final VarHandle GENERATION = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Arena arena;
    private final MemorySegment word;

    private MapGeneration(Arena arena, MemorySegment word) {
        this.arena = arena;
        this.word = word;
    }

    /** Writes a new generation file (magic, generation 0), replacing any left by an earlier cluster. */
    static MapGeneration create(Path file) {
        try {
            Files.deleteIfExists(file);
            try (FileChannel channel = OwnerOnlyFiles.createNew(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MapGeneration generation = map(channel);
                MemorySegment.copy(MemorySegment.ofArray(MAGIC), 0, generation.word, 0, MAGIC.length);
                return generation;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create map generation file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Maps the generation file of a running cluster, checking it is one. */
    static MapGeneration open(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() != FILE_BYTES) {
                throw new IllegalStateException("map generation file " + file + " is not one of ours: expected "
                    + FILE_BYTES + " bytes, found " + channel.size());
            }
            MapGeneration generation = map(channel);
            byte[] magic = generation.word.asSlice(0, MAGIC.length).toArray(ValueLayout.JAVA_BYTE);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                generation.close();
                throw new IllegalStateException("map generation file " + file + " is not one of ours: expected magic "
                    + new String(MAGIC, StandardCharsets.US_ASCII) + ", found " + java.util.HexFormat.of().formatHex(magic));
            }
            return generation;
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UncheckedIOException("no map generation file at " + file
                + ": the cluster was created by an older Archipelago, or its directory was tampered with; restart it", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open map generation file " + file + ": " + e.getMessage(), e);
        }
    }

    private static MapGeneration map(FileChannel channel) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            return new MapGeneration(arena, channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES, arena));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    long current() {
        return (long) GENERATION.getAcquire(word, GENERATION_OFFSET);
    }

    /** Called after a write to the map: readers holding an older generation read the map again. */
    void advance() {
        GENERATION.getAndAdd(word, GENERATION_OFFSET, 1L);
    }

    /** The pid of the process inside the map, 0 when none (read by the access lock's holder). */
    long inside() {
        return (long) GENERATION.getVolatile(word, INSIDE_OFFSET);
    }

    /** Marks the access lock's holder as inside the map ({@code pid}), or as out of it (0). */
    void inside(long pid) {
        GENERATION.setVolatile(word, INSIDE_OFFSET, pid);
    }

    /** Counts a release of a dead holder's locks. */
    void recovered() {
        GENERATION.getAndAdd(word, RECOVERIES_OFFSET, 1L);
    }

    /** How many times a holder found its predecessor dead inside the map. */
    long recoveries() {
        return (long) GENERATION.getVolatile(word, RECOVERIES_OFFSET);
    }

    @Override
    public void close() {
        arena.close();
    }
}
