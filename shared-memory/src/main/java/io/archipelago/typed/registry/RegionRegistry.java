package io.archipelago.typed.registry;

import com.google.protobuf.InvalidProtocolBufferException;
import io.archipelago.directory.SnapshotMap;
import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Contract;
import java.nio.file.Path;
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
 * path): a process killed while holding a segment lock would leave it held. Read through a
 * snapshot ({@link SnapshotMap}) for the same reason.
 * <p>
 * One bad record must not break every process's reads: a contract is parsed back before it is
 * stored (so this class never writes one that does not parse), and reads parse records one at a
 * time, setting aside (and reporting, {@link #setAside()}) any that another writer left
 * unparseable.
 */
public final class RegionRegistry implements AutoCloseable {

    /** Regions per cluster, with headroom for updates. */
    private static final int CAPACITY = 1024;
    /** A contract carries its type description and layout: a few KiB for a kernel struct. */
    private static final int AVERAGE_CONTRACT_BYTES = 8 * 1024;

    private static final String WHAT = "region registry";
    /**
     * The largest contract stored: about 16,000 members of type and layout. Chronicle Map refuses
     * entries of more than a few thousand chunks (about 1.5 MB with this map's sizes).
     */
    static final int MAX_CONTRACT_BYTES = 1 << 20;

    /** A stored record that does not parse: reads leave it out. */
    public record SetAside(String name, String reason) {
    }

    private final SnapshotMap<String, Contract> contracts;

    private RegionRegistry(SnapshotMap<String, Contract> contracts) {
        this.contracts = contracts;
    }

    /** Creates the registry (coordinator only, before any kernel starts). */
    public static RegionRegistry create(Path file) {
        return new RegionRegistry(SnapshotMap.create(WHAT, file, builder(), (name, bytes) -> Contract.parseFrom(bytes)));
    }

    /** Opens the registry of a running cluster. */
    public static RegionRegistry open(Path file) {
        return new RegionRegistry(SnapshotMap.open(WHAT, file, builder(), (name, bytes) -> Contract.parseFrom(bytes)));
    }

    private static ChronicleMapBuilder<String, byte[]> builder() {
        return ChronicleMap.of(String.class, byte[].class)
            .name("archipelago-regions")
            .entries(CAPACITY)
            .averageKey("kernel.task_structs")
            .averageValueSize(AVERAGE_CONTRACT_BYTES);
    }

    /** How many times a process found another dead inside the registry and released its locks, since the cluster started. */
    public long recoveries() {
        return contracts.recoveries();
    }

    public Optional<Contract> get(String name) {
        return contracts.get(name);
    }

    /** Every contract, by name (an immutable list), without the records set aside. */
    public List<Contract> all() {
        return contracts.values();
    }

    /** The records that do not parse, by name, each with why: reads leave them out. */
    public List<SetAside> setAside() {
        return contracts.setAside().stream().map(s -> new SetAside(s.key(), s.reason())).toList();
    }

    /**
     * Removes the record stored under {@code name} if it still does not parse (a record set
     * aside); a record that parses is left alone.
     *
     * @return whether it was removed
     */
    public boolean discardUnparseable(String name) {
        boolean[] removed = new boolean[1];
        contracts.write(map -> map.computeIfPresent(name, (key, bytes) -> {
            try {
                contracts.parse(key, bytes);
                return bytes;
            } catch (IllegalStateException unparseable) {
                removed[0] = true;
                return null;
            }
        }));
        return removed[0];
    }

    /**
     * The bytes to store for {@code contract}, once they are known to parse back into it with the
     * same parser every reader uses (Protocol Buffers refuses more than 100 levels of messages),
     * and its type and layout to decode.
     *
     * @throws IllegalArgumentException naming the region and what failed; nothing is stored
     */
    static byte[] storable(Contract contract) {
        byte[] bytes = contract.toByteArray();
        if (bytes.length > MAX_CONTRACT_BYTES) {
            throw new IllegalArgumentException("the contract of region '" + contract.getName() + "' is " + bytes.length
                + " bytes: over the registry's budget of " + MAX_CONTRACT_BYTES + " bytes per region (a type of about 16,000 "
                + "members, expanded); it is not stored");
        }
        try {
            Contract back = Contract.parseFrom(bytes);
            if (back.hasType()) {
                ContractCodec.decode(back.getType());
            }
            if (back.hasLayout()) {
                ContractCodec.decode(back.getLayout());
            }
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new IllegalArgumentException("the contract of region '" + contract.getName() + "' (" + bytes.length
                + " bytes) does not parse back, so it is not stored: " + e.getMessage(), e);
        }
        return bytes;
    }

    /**
     * Claims {@code contract}'s name if nobody holds it: atomic across processes, so of two
     * kernels creating the same name at once exactly one wins.
     *
     * @return empty when claimed, otherwise the contract that holds the name
     */
    public Optional<Contract> claim(Contract contract) {
        byte[] bytes = storable(contract);
        byte[] existing = contracts.write(map -> map.putIfAbsent(contract.getName(), bytes));
        return existing == null ? Optional.empty() : Optional.of(contracts.parse(contract.getName(), existing));
    }

    /** Applies {@code change} atomically; returns the new contract, or empty if there is none. */
    public Optional<Contract> update(String name, UnaryOperator<Contract> change) {
        Contract[] updated = new Contract[1];
        contracts.write(map -> map.computeIfPresent(name, (key, bytes) -> {
            Contract changed = change.apply(contracts.parse(key, bytes));
            byte[] stored = storable(changed);
            updated[0] = changed;
            return stored;
        }));
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
        contracts.write(map -> map.computeIfPresent(name, (key, bytes) -> {
            Contract current = contracts.parse(key, bytes);
            return current.getCreatorKernel() == creatorKernel && current.getCreatorIncarnation() == creatorIncarnation ? null : bytes;
        }));
    }

    /**
     * Removes a region's name when its pages are owned by {@code ownerKernel} (a region freed by
     * its owner, whatever the incarnation that created it).
     *
     * @return whether the name was removed
     */
    public boolean remove(String name, int ownerKernel) {
        boolean[] removed = new boolean[1];
        contracts.write(map -> map.computeIfPresent(name, (key, bytes) -> {
            Contract current = contracts.parse(key, bytes);
            removed[0] = current.getLocation().getOwnerKernel() == ownerKernel;
            return removed[0] ? null : bytes;
        }));
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
        contracts.write(map -> map.computeIfPresent(name, (key, bytes) -> {
            if (contracts.parse(key, bytes).equals(expected)) {
                removed[0] = true;
                return null;
            }
            return bytes;
        }));
        return removed[0];
    }

    public Path file() {
        return contracts.file();
    }

    /** The generation word's file beside a registry file. */
    public static Path generationFile(Path file) {
        return SnapshotMap.generationFile(file);
    }

    @Override
    public void close() {
        contracts.close();
    }
}
