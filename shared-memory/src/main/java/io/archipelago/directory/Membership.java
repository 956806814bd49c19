package io.archipelago.directory;

import com.google.protobuf.InvalidProtocolBufferException;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Which kernels exist: a Chronicle Map in the cluster directory shared by every process of the
 * cluster, kernel id to {@link KernelRecord} (a Protocol Buffers message).
 * <p>
 * Written only on state changes (a kernel registers, runs, stops; the coordinator declares one
 * dead), never periodically: a process killed while it holds a segment lock would leave the lock
 * held, so the frequent heartbeat lives in global memory instead.
 * <p>
 * For the same reason reads do not go to the map each time: kernels look members up on their
 * access paths (a DSM fault, a forwarded interrupt, a migration), and a kernel killed in the
 * middle of such a lookup would leave its segment lock held, so that the coordinator could no
 * longer declare it DEAD. Every write advances a lock-free {@link MembershipGeneration} word;
 * readers keep an immutable snapshot of the records and read the map again only when the
 * generation moved, that is right after a state change.
 */
public final class Membership implements AutoCloseable {

    /** Enough for the largest cluster global memory has counters areas for, with headroom for updates. */
    private static final int CAPACITY = 2048;
    private static final int AVERAGE_RECORD_BYTES = 320;

    private final ChronicleMap<Integer, byte[]> map;
    private final Path file;
    private final MembershipGeneration generation;
    /** The records as of {@link Snapshot#generation}; replaced, never changed. */
    private volatile Snapshot snapshot = new Snapshot(-1, List.of(), Map.of());

    private record Snapshot(long generation, List<KernelRecord> records, Map<Integer, KernelRecord> byId) {
    }

    private Membership(ChronicleMap<Integer, byte[]> map, Path file, MembershipGeneration generation) {
        this.map = map;
        this.file = file;
        this.generation = generation;
    }

    /** The generation word's file beside a membership map file. */
    public static Path generationFile(Path file) {
        return file.resolveSibling(file.getFileName() + ".gen");
    }

    /**
     * Creates the map (coordinator only, before any kernel starts). Written under a temporary
     * name and renamed, so nobody opens a half-initialised map.
     */
    public static Membership create(Path file) {
        if (Files.exists(file)) {
            throw new IllegalStateException("membership map " + file + " already exists");
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        MembershipGeneration generation = MembershipGeneration.create(generationFile(file));
        try {
            Files.deleteIfExists(temporary);
            ChronicleMap<Integer, byte[]> map = builder().createPersistedTo(temporary.toFile());
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            return new Membership(map, file, generation);
        } catch (IOException e) {
            generation.close();
            throw new UncheckedIOException("cannot create membership map " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens the map of a running cluster. */
    public static Membership open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException("no membership map at " + file + ": is the cluster running?"));
        }
        MembershipGeneration generation = MembershipGeneration.open(generationFile(file));
        try {
            return new Membership(builder().createPersistedTo(file.toFile()), file, generation);
        } catch (IOException e) {
            generation.close();
            throw new UncheckedIOException("cannot open membership map " + file + ": " + e.getMessage(), e);
        }
    }

    private static net.openhft.chronicle.map.ChronicleMapBuilder<Integer, byte[]> builder() {
        return ChronicleMap.of(Integer.class, byte[].class)
            .name("archipelago-membership")
            .entries(CAPACITY)
            .averageValueSize(AVERAGE_RECORD_BYTES);
    }

    public Optional<KernelRecord> get(int kernelId) {
        return Optional.ofNullable(snapshot().byId().get(kernelId));
    }

    /** Every kernel record, by kernel id (an immutable list). */
    public List<KernelRecord> all() {
        return snapshot().records();
    }

    public Optional<KernelRecord> byName(String name) {
        return all().stream().filter(record -> record.getName().equals(name)).findFirst();
    }

    /**
     * The records as of the current generation: the snapshot held, or a new one read from the map
     * if a write advanced the generation since. The generation is read before the map, so a write
     * that lands during the read advances it again and the next call reads once more.
     */
    private Snapshot snapshot() {
        Snapshot held = snapshot;
        long current = generation.current();
        if (held.generation() == current) {
            return held;
        }
        List<KernelRecord> records = new ArrayList<>();
        map.forEach((id, bytes) -> records.add(parse(id, bytes)));
        records.sort(Comparator.comparingInt(KernelRecord::getKernelId));
        Map<Integer, KernelRecord> byId = new HashMap<>();
        records.forEach(record -> byId.put(record.getKernelId(), record));
        Snapshot read = new Snapshot(current, List.copyOf(records), Map.copyOf(byId));
        snapshot = read;
        return read;
    }

    public void put(KernelRecord record) {
        try {
            map.put(record.getKernelId(), record.toByteArray());
        } finally {
            generation.advance();
        }
    }

    /**
     * Registers a record under its id unless a live kernel (not DEAD) already holds the id.
     * Atomic across processes.
     *
     * @return empty when registered, otherwise the record of the live kernel holding the id
     */
    public Optional<KernelRecord> register(KernelRecord record) {
        KernelRecord[] holder = new KernelRecord[1];
        try {
            map.compute(record.getKernelId(), (id, existing) -> {
                if (existing != null) {
                    KernelRecord current = parse(id, existing);
                    if (current.getState() != KernelState.DEAD && current.getIncarnation() != record.getIncarnation()) {
                        holder[0] = current;
                        return existing;
                    }
                }
                return record.toByteArray();
            });
        } finally {
            generation.advance();
        }
        return Optional.ofNullable(holder[0]);
    }

    /** Applies {@code change} to a record atomically; returns the new record, or empty if there is none. */
    public Optional<KernelRecord> update(int kernelId, UnaryOperator<KernelRecord> change) {
        KernelRecord[] updated = new KernelRecord[1];
        try {
            map.computeIfPresent(kernelId, (id, bytes) -> {
                updated[0] = change.apply(parse(id, bytes));
                return updated[0].toByteArray();
            });
        } finally {
            generation.advance();
        }
        return Optional.ofNullable(updated[0]);
    }

    public void remove(int kernelId) {
        try {
            map.remove(kernelId);
        } finally {
            generation.advance();
        }
    }

    public Path file() {
        return file;
    }

    /** The map itself, for tests that take its locks directly. */
    ChronicleMap<Integer, byte[]> map() {
        return map;
    }

    @Override
    public void close() {
        try {
            map.close();
        } finally {
            generation.close();
        }
    }

    private KernelRecord parse(int kernelId, byte[] bytes) {
        try {
            return KernelRecord.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("membership map " + file + " holds a corrupt record for kernel " + kernelId
                + ": " + e.getMessage(), e);
        }
    }
}
