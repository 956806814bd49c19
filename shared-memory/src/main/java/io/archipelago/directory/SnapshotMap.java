package io.archipelago.directory;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import net.openhft.chronicle.algo.bytes.Access;
import net.openhft.chronicle.algo.locks.VanillaReadWriteUpdateWithWaitsLockingStrategy;
import net.openhft.chronicle.hash.impl.BigSegmentHeader;
import net.openhft.chronicle.hash.impl.VanillaChronicleHash;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Chronicle Map of the cluster directory shared by every process of the cluster (membership,
 * the region registry), holding one serialized record per key, read through a snapshot.
 * <p>
 * Every Chronicle Map access takes a segment lock, and a process killed while it holds one leaves
 * it held for good: without more, the next access anywhere waits 60 s and throws
 * {@code InterProcessDeadLockException}, and users {@code kill -9} kernels. So every access
 * (a write, a snapshot read) runs under the map's {@link MapAccessLock}, an operating-system file
 * lock the kernel releases when its holder dies: the next holder sees that its predecessor died
 * inside the map and resets the segment locks it left. And kernels look records up on their
 * access paths (a DSM fault, a forwarded interrupt, a migration, an attach), so every write
 * advances a lock-free {@link MapGeneration} word beside the map, and readers keep an immutable
 * snapshot of all records, read from the map again only when the generation moved: a process
 * takes the locks when it writes and right after someone else wrote, never in between. Writes
 * stay rare (state changes), and the map stays small.
 * <p>
 * Records are parsed one at a time: one that does not parse (written by a buggy or hostile
 * process, or too deeply nested for Protocol Buffers) is set aside and reported
 * ({@link #setAside()}), and every other record reads as before.
 *
 * @param <K> the key, whose natural order is the order of {@link #values()}
 * @param <V> the record (a Protocol Buffers message)
 */
public final class SnapshotMap<K extends Comparable<K>, V> implements AutoCloseable {

    /** Turns a stored value back into a record. */
    @FunctionalInterface
    public interface Parser<K, V> {
        V parse(K key, byte[] bytes) throws InvalidProtocolBufferException;
    }

    /** A stored record that does not parse, left out of the snapshot: its key and why. */
    public record SetAside<K>(K key, String reason) {
    }

    /**
     * The records of one generation, with the bytes each was parsed from: the next read parses
     * again only the records whose bytes changed (a write changes one record; a region's contract
     * takes tens of microseconds to parse, and kernels read the registry on their migration and
     * attach paths right after another kernel wrote it).
     */
    private record Snapshot<K, V>(long generation, Map<K, V> byKey, List<V> values, List<SetAside<K>> setAside, Map<K, byte[]> stored) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotMap.class);

    private final String what;
    private final Path file;
    private final ChronicleMap<K, byte[]> map;
    private final MapGeneration generation;
    private final MapAccessLock accessLock;
    private final Parser<K, V> parser;
    /** The records as of {@link Snapshot#generation}; replaced, never changed. */
    private volatile Snapshot<K, V> snapshot = new Snapshot<>(-1, Map.of(), List.of(), List.of(), Map.of());
    /** Keys already reported as set aside, so that each is logged once, not at every refresh. */
    private final Set<K> reported = ConcurrentHashMap.newKeySet();

    private SnapshotMap(String what, Path file, ChronicleMap<K, byte[]> map, MapGeneration generation, Parser<K, V> parser) {
        this.what = what;
        this.file = file;
        this.map = map;
        this.generation = generation;
        this.parser = parser;
        this.accessLock = MapAccessLock.open(what + " " + file, file, generation, this::releaseLocksOfDeadHolder);
    }

    /** The access lock's file beside a map file: {@code <map file>.lock}. */
    public static Path lockFile(Path file) {
        return MapAccessLock.lockFile(file);
    }

    /** The generation word's file beside a map file: {@code <map file>.gen}. */
    public static Path generationFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".gen");
    }

    /**
     * Creates the map (coordinator only, before any kernel starts): the generation word first,
     * then the map under a temporary name renamed into place, so nobody opens a half-initialised
     * map or a map without its generation word.
     *
     * @param what what the map is, for errors ("membership map")
     */
    public static <K extends Comparable<K>, V> SnapshotMap<K, V> create(String what, Path file, ChronicleMapBuilder<K, byte[]> builder,
                                                                        Parser<K, V> parser) {
        if (Files.exists(file)) {
            throw new IllegalStateException(what + " " + file + " already exists");
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        MapGeneration generation = MapGeneration.create(generationFile(file));
        try {
            Files.deleteIfExists(temporary);
            ChronicleMap<K, byte[]> map = builder.createPersistedTo(temporary.toFile());
            // Chronicle Map creates its file with the umask's mode; nobody else can open it meanwhile (the directory is 0700)
            OwnerOnlyFiles.setMode(temporary, OwnerOnlyFiles.FILE_MODE);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            return new SnapshotMap<>(what, file, map, generation, parser);
        } catch (IOException e) {
            generation.close();
            throw new UncheckedIOException("cannot create " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens the map of a running cluster. */
    public static <K extends Comparable<K>, V> SnapshotMap<K, V> open(String what, Path file, ChronicleMapBuilder<K, byte[]> builder,
                                                                      Parser<K, V> parser) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException("no " + what + " at " + file + ": is the cluster running?"));
        }
        MapGeneration generation = MapGeneration.open(generationFile(file));
        try {
            return new SnapshotMap<>(what, file, builder.createPersistedTo(file.toFile()), generation, parser);
        } catch (IOException e) {
            generation.close();
            throw new UncheckedIOException("cannot open " + what + " " + file + ": " + e.getMessage(), e);
        }
    }

    public Optional<V> get(K key) {
        return Optional.ofNullable(snapshot().byKey().get(key));
    }

    /** Every record, in key order (an immutable list), without those set aside. */
    public List<V> values() {
        return snapshot().values();
    }

    /** The stored records that do not parse, in key order: reads leave them out. */
    public List<SetAside<K>> setAside() {
        return snapshot().setAside();
    }

    /**
     * Writes to the map (one atomic Chronicle Map operation, usually a compute), then advances
     * the generation so that every reader reads the map again.
     */
    public <T> T write(Function<ChronicleMap<K, byte[]>, T> write) {
        return accessLock.access(() -> {
            try {
                return write.apply(map);
            } finally {
                generation.advance();
            }
        });
    }

    /** Runs {@code access} holding the map's access lock, as every access does (for tests that take Chronicle Map's locks directly). */
    <T> T holdingAccessLock(java.util.function.Supplier<T> access) {
        return accessLock.access(access);
    }

    /**
     * Called holding the access lock when its previous holder died inside the map: nobody alive
     * is inside, so every segment lock, and the lock Chronicle Map takes to allocate space, is an
     * orphan: reset them. The generation advances, as the dead process may have written without.
     */
    private void releaseLocksOfDeadHolder(long deadPid) {
        VanillaChronicleHash<?, ?, ?, ?> hash = (VanillaChronicleHash<?, ?, ?, ?>) map;
        int held = 0;
        for (int segment = 0; segment < hash.segments(); segment++) {
            long header = hash.segmentHeaderAddress(segment);
            if (BigSegmentHeader.INSTANCE.getLockState(header) != BigSegmentHeader.INSTANCE.resetLockState()) {
                BigSegmentHeader.INSTANCE.resetLock(header);
                held++;
            }
        }
        // the global mutable state's lock word, at the start of that state (VanillaChronicleHash.globalMutableStateAddress)
        VanillaReadWriteUpdateWithWaitsLockingStrategy.instance().reset(Access.nativeAccess(), null, hash.bsAddress() + hash.headerSize);
        generation.advance();
        generation.recovered();
        LOG.warn("{} {}: process {} died inside the map; released the {} segment lock(s) it held", what, file, deadPid, held);
    }

    /** A stored value as a record; a corrupt one is an error naming the map and the key. */
    public V parse(K key, byte[] bytes) {
        try {
            return parser.parse(key, bytes);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalStateException(what + " " + file + " holds a corrupt record for '" + key + "' (" + bytes.length
                + " bytes): " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** How many times a process found another dead inside this map and released its locks, since the map was created. */
    public long recoveries() {
        return generation.recoveries();
    }

    /** The map itself, for tests that take its locks directly. */
    ChronicleMap<K, byte[]> map() {
        return map;
    }

    /**
     * The records as of the current generation: the snapshot held, or a new one read from the map
     * if a write advanced the generation since. The generation is read before the map, so a write
     * that lands during the read advances it again and the next call reads once more.
     */
    private Snapshot<K, V> snapshot() {
        Snapshot<K, V> held = snapshot;
        if (held.generation() == generation.current()) {
            return held;
        }
        return accessLock.access(this::readSnapshot);
    }

    private Snapshot<K, V> readSnapshot() {
        long current = generation.current();
        Snapshot<K, V> held = snapshot;
        if (held.generation() == current) {
            return held;
        }
        TreeMap<K, V> byKey = new TreeMap<>();
        TreeMap<K, SetAside<K>> setAside = new TreeMap<>();
        HashMap<K, byte[]> stored = new HashMap<>();
        map.forEach((key, bytes) -> {
            try {
                V before = held.byKey().get(key);
                byKey.put(key, before != null && Arrays.equals(held.stored().get(key), bytes) ? before : parse(key, bytes));
                stored.put(key, bytes.clone()); // Chronicle Map may hand every entry the same array
            } catch (RuntimeException e) {
                setAside.put(key, new SetAside<>(key, e.getMessage()));
                if (reported.add(key)) {
                    LOG.warn("{}; it is set aside: reads leave it out", e.getMessage());
                }
            }
        });
        Snapshot<K, V> read = new Snapshot<>(current, Collections.unmodifiableMap(byKey), List.copyOf(byKey.values()),
            List.copyOf(setAside.values()), stored);
        snapshot = read;
        return read;
    }

    @Override
    public void close() {
        try {
            map.close();
        } finally {
            try {
                accessLock.close();
            } finally {
                generation.close();
            }
        }
    }
}
