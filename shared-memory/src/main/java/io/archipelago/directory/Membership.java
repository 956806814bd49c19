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
import java.util.List;
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
 */
public final class Membership implements AutoCloseable {

    /** Enough for the largest cluster global memory has counters areas for, with headroom for updates. */
    private static final int CAPACITY = 2048;
    private static final int AVERAGE_RECORD_BYTES = 320;

    private final ChronicleMap<Integer, byte[]> map;
    private final Path file;

    private Membership(ChronicleMap<Integer, byte[]> map, Path file) {
        this.map = map;
        this.file = file;
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
        try {
            Files.deleteIfExists(temporary);
            ChronicleMap<Integer, byte[]> map = builder().createPersistedTo(temporary.toFile());
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            return new Membership(map, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create membership map " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens the map of a running cluster. */
    public static Membership open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException("no membership map at " + file + ": is the cluster running?"));
        }
        try {
            return new Membership(builder().createPersistedTo(file.toFile()), file);
        } catch (IOException e) {
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
        byte[] bytes = map.get(kernelId);
        return bytes == null ? Optional.empty() : Optional.of(parse(kernelId, bytes));
    }

    /** Every kernel record, by kernel id. */
    public List<KernelRecord> all() {
        List<KernelRecord> records = new ArrayList<>();
        map.forEach((id, bytes) -> records.add(parse(id, bytes)));
        records.sort(Comparator.comparingInt(KernelRecord::getKernelId));
        return records;
    }

    public Optional<KernelRecord> byName(String name) {
        return all().stream().filter(record -> record.getName().equals(name)).findFirst();
    }

    public void put(KernelRecord record) {
        map.put(record.getKernelId(), record.toByteArray());
    }

    /**
     * Registers a record under its id unless a live kernel (not DEAD) already holds the id.
     * Atomic across processes.
     *
     * @return empty when registered, otherwise the record of the live kernel holding the id
     */
    public Optional<KernelRecord> register(KernelRecord record) {
        KernelRecord[] holder = new KernelRecord[1];
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
        return Optional.ofNullable(holder[0]);
    }

    /** Applies {@code change} to a record atomically; returns the new record, or empty if there is none. */
    public Optional<KernelRecord> update(int kernelId, UnaryOperator<KernelRecord> change) {
        KernelRecord[] updated = new KernelRecord[1];
        map.computeIfPresent(kernelId, (id, bytes) -> {
            updated[0] = change.apply(parse(id, bytes));
            return updated[0].toByteArray();
        });
        return Optional.ofNullable(updated[0]);
    }

    public void remove(int kernelId) {
        map.remove(kernelId);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        map.close();
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
