package io.archipelago.directory;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * Which kernels exist: a Chronicle Map in the cluster directory shared by every process of the
 * cluster, kernel id to {@link KernelRecord} (a Protocol Buffers message).
 * <p>
 * Written only on state changes (a kernel registers, runs, stops; the coordinator declares one
 * dead), never periodically: a process killed while it holds a segment lock would leave the lock
 * held, so the frequent heartbeat lives in global memory instead. Read through a snapshot
 * ({@link SnapshotMap}), for the same reason: kernels look members up on their access paths.
 */
public final class Membership implements AutoCloseable {

    /** Enough for the largest cluster global memory has counters areas for, with headroom for updates. */
    private static final int CAPACITY = 2048;
    private static final int AVERAGE_RECORD_BYTES = 320;
    private static final String WHAT = "membership map";

    private final SnapshotMap<Integer, KernelRecord> records;

    private Membership(SnapshotMap<Integer, KernelRecord> records) {
        this.records = records;
    }

    /** Creates the map (coordinator only, before any kernel starts). */
    public static Membership create(Path file) {
        return new Membership(SnapshotMap.create(WHAT, file, builder(), (id, bytes) -> KernelRecord.parseFrom(bytes)));
    }

    /** Opens the map of a running cluster. */
    public static Membership open(Path file) {
        return new Membership(SnapshotMap.open(WHAT, file, builder(), (id, bytes) -> KernelRecord.parseFrom(bytes)));
    }

    /** The generation word's file beside a membership map file. */
    public static Path generationFile(Path file) {
        return SnapshotMap.generationFile(file);
    }

    private static ChronicleMapBuilder<Integer, byte[]> builder() {
        return ChronicleMap.of(Integer.class, byte[].class)
            .name("archipelago-membership")
            .entries(CAPACITY)
            .averageValueSize(AVERAGE_RECORD_BYTES);
    }

    public Optional<KernelRecord> get(int kernelId) {
        return records.get(kernelId);
    }

    /** Every kernel record, by kernel id (an immutable list). */
    public List<KernelRecord> all() {
        return records.values();
    }

    public Optional<KernelRecord> byName(String name) {
        return all().stream().filter(record -> record.getName().equals(name)).findFirst();
    }

    /**
     * The kernel a user names on a command line: its name ({@code strong-0}) or the id {@code status}
     * prints ({@code 0}). A name wins over an id, so a kernel named {@code 1} stays reachable.
     */
    public Optional<KernelRecord> byNameOrId(String reference) {
        Optional<KernelRecord> named = byName(reference);
        if (named.isPresent() || !reference.matches("\\d{1,9}")) {
            return named;
        }
        return get(Integer.parseInt(reference));
    }

    /** The kernels' names and ids, for an error that says which kernels there are: {@code strong-0 (0), weak-1 (1)}. */
    public String describeKernels() {
        return String.join(", ", all().stream().map(record -> record.getName() + " (" + record.getKernelId() + ")").toList());
    }

    public void put(KernelRecord record) {
        records.write(map -> map.put(record.getKernelId(), record.toByteArray()));
    }

    /**
     * Registers a record under its id unless a live kernel (not DEAD) already holds the id.
     * Atomic across processes.
     *
     * @return empty when registered, otherwise the record of the live kernel holding the id
     */
    public Optional<KernelRecord> register(KernelRecord record) {
        KernelRecord[] holder = new KernelRecord[1];
        records.write(map -> map.compute(record.getKernelId(), (id, existing) -> {
            if (existing != null) {
                KernelRecord current = records.parse(id, existing);
                if (current.getState() != KernelState.DEAD && current.getIncarnation() != record.getIncarnation()) {
                    holder[0] = current;
                    return existing;
                }
            }
            return record.toByteArray();
        }));
        return Optional.ofNullable(holder[0]);
    }

    /** Applies {@code change} to a record atomically; returns the new record, or empty if there is none. */
    public Optional<KernelRecord> update(int kernelId, UnaryOperator<KernelRecord> change) {
        KernelRecord[] updated = new KernelRecord[1];
        records.write(map -> map.computeIfPresent(kernelId, (id, bytes) -> {
            updated[0] = change.apply(records.parse(id, bytes));
            return updated[0].toByteArray();
        }));
        return Optional.ofNullable(updated[0]);
    }

    public void remove(int kernelId) {
        records.write(map -> map.remove(kernelId));
    }

    public Path file() {
        return records.file();
    }

    /** How many times a process found another dead inside the map and released its locks, since the cluster started. */
    public long recoveries() {
        return records.recoveries();
    }

    /** The map itself, for tests that take its locks directly. */
    ChronicleMap<Integer, byte[]> map() {
        return records.map();
    }

    /** Runs {@code access} holding the map's access lock, as every access does (for tests that take the map's locks directly). */
    <T> T holdingAccessLock(java.util.function.Supplier<T> access) {
        return records.holdingAccessLock(access);
    }

    @Override
    public void close() {
        records.close();
    }
}
