package io.archipelago.typed.registry;

import com.google.protobuf.InvalidProtocolBufferException;
import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Contract;
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
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * The cluster's region registry: global name to {@link Contract}, a Chronicle Map in the
 * cluster directory ({@code regions.cm}) shared by every process of the cluster. Created by the
 * coordinator (like membership); opened by kernels and tools.
 * <p>
 * Written only when a region is created, becomes ready or is attached (never on an access
 * path): a process killed while holding a segment lock would leave it held.
 */
public final class RegionRegistry implements AutoCloseable {

    /** Regions per cluster, with headroom for updates. */
    private static final int CAPACITY = 1024;
    /** A contract carries its type description and layout: a few KiB for a kernel struct. */
    private static final int AVERAGE_CONTRACT_BYTES = 8 * 1024;

    private final ChronicleMap<String, byte[]> map;
    private final Path file;

    private RegionRegistry(ChronicleMap<String, byte[]> map, Path file) {
        this.map = map;
        this.file = file;
    }

    /**
     * Creates the registry (coordinator only, before any kernel starts), under a temporary name
     * renamed into place, so nobody opens a half-initialised map.
     */
    public static RegionRegistry create(Path file) {
        if (Files.exists(file)) {
            throw new IllegalStateException("region registry " + file + " already exists");
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".creating");
        try {
            Files.deleteIfExists(temporary);
            ChronicleMap<String, byte[]> map = builder().createPersistedTo(temporary.toFile());
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
            return new RegionRegistry(map, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create region registry " + file + ": " + e.getMessage(), e);
        }
    }

    /** Opens the registry of a running cluster. */
    public static RegionRegistry open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UncheckedIOException(new IOException("no region registry at " + file + ": is the cluster running?"));
        }
        try {
            return new RegionRegistry(builder().createPersistedTo(file.toFile()), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open region registry " + file + ": " + e.getMessage(), e);
        }
    }

    private static ChronicleMapBuilder<String, byte[]> builder() {
        return ChronicleMap.of(String.class, byte[].class)
            .name("archipelago-regions")
            .entries(CAPACITY)
            .averageKey("kernel.task_structs")
            .averageValueSize(AVERAGE_CONTRACT_BYTES);
    }

    public Optional<Contract> get(String name) {
        byte[] bytes = map.get(name);
        return bytes == null ? Optional.empty() : Optional.of(parse(name, bytes));
    }

    /** Every contract, by name. */
    public List<Contract> all() {
        List<Contract> contracts = new ArrayList<>();
        map.forEach((name, bytes) -> contracts.add(parse(name, bytes)));
        contracts.sort(Comparator.comparing(Contract::getName));
        return contracts;
    }

    /**
     * Claims {@code contract}'s name if nobody holds it: atomic across processes, so of two
     * kernels creating the same name at once exactly one wins.
     *
     * @return empty when claimed, otherwise the contract that holds the name
     */
    public Optional<Contract> claim(Contract contract) {
        byte[] existing = map.putIfAbsent(contract.getName(), contract.toByteArray());
        return existing == null ? Optional.empty() : Optional.of(parse(contract.getName(), existing));
    }

    /** Applies {@code change} atomically; returns the new contract, or empty if there is none. */
    public Optional<Contract> update(String name, UnaryOperator<Contract> change) {
        Contract[] updated = new Contract[1];
        map.computeIfPresent(name, (key, bytes) -> {
            updated[0] = change.apply(parse(key, bytes));
            return updated[0].toByteArray();
        });
        return Optional.ofNullable(updated[0]);
    }

    /** Records that a kernel attached (replacing an earlier attachment of the same kernel and view). */
    public Optional<Contract> recordAttachment(String name, Attachment attachment) {
        return update(name, contract -> {
            Contract.Builder builder = contract.toBuilder().clearAttachments();
            for (Attachment existing : contract.getAttachmentsList()) {
                if (existing.getKernelId() != attachment.getKernelId() || !existing.getView().equals(attachment.getView())) {
                    builder.addAttachments(existing);
                }
            }
            return builder.addAttachments(attachment).build();
        });
    }

    /** Removes a name, only if it still holds the contract of {@code creatorIncarnation} (a failed create). */
    public void release(String name, int creatorKernel, long creatorIncarnation) {
        map.computeIfPresent(name, (key, bytes) -> {
            Contract current = parse(key, bytes);
            return current.getCreatorKernel() == creatorKernel && current.getCreatorIncarnation() == creatorIncarnation ? null : bytes;
        });
    }

    /**
     * Removes a region's name when its pages are owned by {@code ownerKernel} (a region freed by
     * its owner, whatever the incarnation that created it).
     *
     * @return whether the name was removed
     */
    public boolean remove(String name, int ownerKernel) {
        boolean[] removed = new boolean[1];
        map.computeIfPresent(name, (key, bytes) -> {
            Contract current = parse(key, bytes);
            removed[0] = current.getLocation().getOwnerKernel() == ownerKernel;
            return removed[0] ? null : bytes;
        });
        return removed[0];
    }

    /**
     * Removes a region from the registry if it still holds {@code expected} (compare-and-remove
     * across processes). The caller frees its pages: the registry owns names, not memory.
     *
     * @return whether it was removed
     */
    public boolean remove(String name, Contract expected) {
        boolean[] removed = new boolean[1];
        map.computeIfPresent(name, (key, bytes) -> {
            if (parse(key, bytes).equals(expected)) {
                removed[0] = true;
                return null;
            }
            return bytes;
        });
        return removed[0];
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        map.close();
    }

    private Contract parse(String name, byte[] bytes) {
        try {
            return Contract.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("region registry " + file + " holds a corrupt contract for '" + name + "': " + e.getMessage(), e);
        }
    }
}
