package io.archipelago.typed.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.proto.PointerDesc;
import io.archipelago.typed.proto.RegionState;
import io.archipelago.typed.proto.ScalarKind;
import io.archipelago.typed.proto.TypeDesc;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The region registry over a real Chronicle Map file, poisoned the way a buggy or hostile writer could. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RegionRegistryTest {

    @TempDir
    Path dir;

    private static Contract contract(String name) {
        return Contract.newBuilder().setName(name).setNameHash(ContractCodec.nameHash(name)).setState(RegionState.READY)
            .setType(TypeDesc.newBuilder().setScalar(ScalarKind.INT)).setCount(1).build();
    }

    /** A contract whose type is {@code levels} pointers deep, built without the encoder (which would refuse it). */
    private static Contract deepContract(String name, int levels) {
        TypeDesc type = TypeDesc.newBuilder().setScalar(ScalarKind.INT).build();
        for (int i = 0; i < levels; i++) {
            type = TypeDesc.newBuilder().setPointer(PointerDesc.newBuilder().setTarget(type)).build();
        }
        return contract(name).toBuilder().setType(type).build();
    }

    /** The registry's map opened directly, as another process writing whatever bytes it likes would. */
    private static ChronicleMap<String, byte[]> rawMap(Path file) throws Exception {
        return ChronicleMap.of(String.class, byte[].class).name("archipelago-regions").entries(1024)
            .averageKey("kernel.task_structs").averageValueSize(8 * 1024).createPersistedTo(file.toFile());
    }

    @Test
    void aRecordThatDoesNotParseIsSetAsideAndEveryOtherRecordStillReads() throws Exception {
        Path file = dir.resolve("regions.cm");
        try (RegionRegistry creator = RegionRegistry.create(file)) {
            assertThat(creator.claim(contract("alpha"))).isEmpty();
            assertThat(creator.claim(contract("omega"))).isEmpty();
        }
        // (Chronicle Map opens a file once per JVM: the poisoning writer takes its turn)
        try (ChronicleMap<String, byte[]> raw = rawMap(file)) {
            raw.put("garbage", new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01});
            // 60 pointers are 121 levels of messages: Protocol Buffers refuses to parse more than 100
            raw.put("too.deep", deepContract("too.deep", 60).toByteArray());
        }
        try (RegionRegistry reader = RegionRegistry.open(file)) {
            assertThat(reader.all()).extracting(Contract::getName).containsExactly("alpha", "omega");
            assertThat(reader.get("alpha")).isPresent();
            assertThat(reader.get("too.deep")).isEmpty();
            assertThat(reader.setAside()).extracting(RegionRegistry.SetAside::name).containsExactly("garbage", "too.deep");
            assertThat(reader.setAside().get(1).reason()).contains("region registry", "corrupt record for 'too.deep'",
                "too many levels of nesting");
            // writes of the good records go on, and the next refresh still sets the bad ones aside
            assertThat(reader.recordAttachment("alpha", Attachment.newBuilder().setKernelId(3).setView("v").build())).isPresent();
            assertThat(reader.get("alpha").orElseThrow().getAttachmentsCount()).isEqualTo(1);
            assertThat(reader.setAside()).hasSize(2);
            assertThatThrownBy(() -> reader.claim(contract("garbage")))
                .hasMessageContaining("region registry " + file + " holds a corrupt record for 'garbage'");

            assertThat(reader.discardUnparseable("alpha")).as("a record that parses stays").isFalse();
            assertThat(reader.discardUnparseable("garbage")).isTrue();
            assertThat(reader.setAside()).extracting(RegionRegistry.SetAside::name).containsExactly("too.deep");
            assertThat(reader.all()).extracting(Contract::getName).containsExactly("alpha", "omega");
            assertThat(reader.claim(contract("garbage"))).as("the name is free again").isEmpty();
        }
    }

    @Test
    void aContractThatWouldNotParseBackIsNeverStored() {
        try (RegionRegistry registry = RegionRegistry.create(dir.resolve("regions.cm"))) {
            assertThatThrownBy(() -> registry.claim(deepContract("deep", 60)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the contract of region 'deep'")
                .hasMessageContaining("does not parse back, so it is not stored")
                .hasMessageContaining("too many levels of nesting");
            assertThat(registry.all()).isEmpty();
            assertThat(registry.setAside()).isEmpty();

            assertThat(registry.claim(contract("shallow"))).isEmpty();
            assertThatThrownBy(() -> registry.update("shallow", c -> deepContract("shallow", 60)))
                .hasMessageContaining("does not parse back, so it is not stored");
            assertThat(registry.get("shallow").orElseThrow()).isEqualTo(contract("shallow"));
            assertThat(registry.setAside()).isEmpty();

            Contract.Builder huge = contract("huge").toBuilder();
            while (huge.build().getSerializedSize() <= RegionRegistry.MAX_CONTRACT_BYTES) {
                huge.addAttachments(Attachment.newBuilder().setKernelName("k".repeat(1000)));
            }
            assertThatThrownBy(() -> registry.claim(huge.build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the contract of region 'huge' is " + huge.build().getSerializedSize() + " bytes: over the "
                    + "registry's budget of " + RegionRegistry.MAX_CONTRACT_BYTES + " bytes per region");
            assertThat(registry.get("huge")).isEmpty();
        }
    }
}
