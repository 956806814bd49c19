package io.archipelago.typed;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The C data model of an island's ABI: how wide its scalars are, how they are aligned and in
 * which byte order they are stored, as GCC lays them out for that target.
 */
public enum DataModel {
    /** LP64, little-endian (System V AMD64 ABI). */
    X86_64("x86_64", 8, ByteOrder.LITTLE_ENDIAN),
    /** LP64, little-endian (AAPCS64). */
    AARCH64("aarch64", 8, ByteOrder.LITTLE_ENDIAN),
    /** ILP32, little-endian; 8-byte scalars are aligned to 4 inside structs (System V i386 ABI). */
    I386("i386", 4, ByteOrder.LITTLE_ENDIAN),
    /** ILP32, little-endian, EABI hard-float: 8-byte scalars aligned to 8. */
    ARMV7("armv7", 4, ByteOrder.LITTLE_ENDIAN),
    /** ILP32, big-endian (PowerPC System V ABI). */
    PPC32("ppc32", 4, ByteOrder.BIG_ENDIAN);

    private final String id;
    private final int pointerBytes;
    private final ByteOrder byteOrder;

    DataModel(String id, int pointerBytes, ByteOrder byteOrder) {
        this.id = id;
        this.pointerBytes = pointerBytes;
        this.byteOrder = byteOrder;
    }

    /** The name used in configuration, contracts and the CLI: x86_64, aarch64, i386, armv7, ppc32. */
    public String id() {
        return id;
    }

    public int pointerBytes() {
        return pointerBytes;
    }

    public ByteOrder byteOrder() {
        return byteOrder;
    }

    public static DataModel byId(String id) {
        for (DataModel model : values()) {
            if (model.id.equals(id)) {
                return model;
            }
        }
        throw new IllegalArgumentException("unknown data model '" + id + "': expected one of " + ids());
    }

    public static String ids() {
        return Arrays.stream(values()).map(DataModel::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
