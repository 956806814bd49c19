package io.archipelago.typed;

import io.archipelago.typed.description.Scalar.Storage;
import io.archipelago.typed.layout.Abi;
import io.archipelago.typed.layout.Abi.SizeAlign;
import io.archipelago.typed.layout.LayoutEngine;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The C data model of an island's ABI: how wide its scalars are, how they are aligned inside
 * structs and in which byte order they are stored, as GCC lays them out for that target
 * (checked against the Debian cross compilers by the golden layout tests).
 *
 * <pre>
 *              char short int long  long long  float double pointer  byte order  plain char  biggest align
 *  x86_64        1    2    4   8/8     8/8      4/4    8/8    8/8     little      signed          16
 *  aarch64       1    2    4   8/8     8/8      4/4    8/8    8/8     little      unsigned        16
 *  i386          1    2    4   4/4     8/4      4/4    8/4    4/4     little      signed          16
 *  armv7 (hf)    1    2    4   4/4     8/8      4/4    8/8    4/4     little      unsigned         8
 *  ppc32         1    2    4   4/4     8/8      4/4    8/8    4/4     big         unsigned        16
 *                                (size/alignment inside a struct; _Bool is 1/1 everywhere)
 * </pre>
 */
public enum DataModel {
    /** LP64, little-endian (System V AMD64 ABI). */
    X86_64("x86_64", 8, 8, ByteOrder.LITTLE_ENDIAN, true, 16),
    /** LP64, little-endian (AAPCS64); plain char is unsigned. */
    AARCH64("aarch64", 8, 8, ByteOrder.LITTLE_ENDIAN, false, 16),
    /** ILP32, little-endian; 8-byte scalars are aligned to 4 inside structs (System V i386 ABI). */
    I386("i386", 4, 4, ByteOrder.LITTLE_ENDIAN, true, 16),
    /** ILP32, little-endian, EABI hard-float: 8-byte scalars aligned to 8; plain char is unsigned. */
    ARMV7("armv7", 4, 8, ByteOrder.LITTLE_ENDIAN, false, 8),
    /** ILP32, big-endian (PowerPC System V ABI); plain char is unsigned. */
    PPC32("ppc32", 4, 8, ByteOrder.BIG_ENDIAN, false, 16);

    private final String id;
    private final int pointerBytes;
    private final ByteOrder byteOrder;
    private final Abi abi;

    DataModel(String id, int pointerBytes, int eightByteAlign, ByteOrder byteOrder, boolean charSigned, int biggestAlignment) {
        this.id = id;
        this.pointerBytes = pointerBytes;
        this.byteOrder = byteOrder;
        Map<Storage, SizeAlign> scalars = new EnumMap<>(Storage.class);
        scalars.put(Storage.BOOL, new SizeAlign(1, 1));
        scalars.put(Storage.CHAR, new SizeAlign(1, 1));
        scalars.put(Storage.SHORT, new SizeAlign(2, 2));
        scalars.put(Storage.INT, new SizeAlign(4, 4));
        scalars.put(Storage.LONG, new SizeAlign(pointerBytes, pointerBytes));
        scalars.put(Storage.LONG_LONG, new SizeAlign(8, eightByteAlign));
        scalars.put(Storage.FLOAT, new SizeAlign(4, 4));
        scalars.put(Storage.DOUBLE, new SizeAlign(8, eightByteAlign));
        this.abi = new Abi(id, byteOrder, charSigned, scalars, new SizeAlign(pointerBytes, pointerBytes), biggestAlignment);
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

    /** The layout rules of this data model. */
    public Abi abi() {
        return abi;
    }

    /** A layout engine for this data model. */
    public LayoutEngine layoutEngine() {
        return new LayoutEngine(abi);
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
