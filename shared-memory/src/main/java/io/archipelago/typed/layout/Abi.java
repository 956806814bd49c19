package io.archipelago.typed.layout;

import io.archipelago.typed.description.Scalar.Storage;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The rules the layout engine needs from a target: the size and in-struct alignment of every
 * scalar storage class and of pointers, byte order, whether plain {@code char} is signed, and
 * {@code __BIGGEST_ALIGNMENT__} (what a bare {@code aligned} attribute means). Each
 * {@link io.archipelago.typed.DataModel} has one; {@link #unified} builds the paper's unified
 * format from several.
 */
public record Abi(String name, ByteOrder byteOrder, boolean charSigned, Map<Storage, SizeAlign> scalars, SizeAlign pointer,
                  int biggestAlignment) {

    /** Size and in-struct alignment of one storage class. */
    public record SizeAlign(int size, int align) {
        public SizeAlign {
            if (size <= 0 || align <= 0 || Integer.bitCount(align) != 1) {
                throw new IllegalArgumentException("size > 0 and a power-of-two alignment expected, found size " + size + " align " + align);
            }
        }
    }

    public Abi {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(byteOrder, "byteOrder");
        scalars = java.util.Collections.unmodifiableMap(new EnumMap<>(scalars));
        for (Storage storage : Storage.values()) {
            if (!scalars.containsKey(storage)) {
                throw new IllegalArgumentException("ABI " + name + " does not say how " + storage + " is stored");
            }
        }
    }

    public SizeAlign of(Storage storage) {
        return scalars.get(storage);
    }

    /**
     * The unified data format of the paper: every scalar takes its largest size and strictest
     * alignment across {@code models}, so that one layout suits every kernel without morphing.
     * The byte order is a convention (it costs no memory): that of the first ABI.
     */
    public static Abi unified(Collection<Abi> abis) {
        if (abis.isEmpty()) {
            throw new IllegalArgumentException("a unified format needs at least one data model");
        }
        Map<Storage, SizeAlign> scalars = new EnumMap<>(Storage.class);
        for (Storage storage : Storage.values()) {
            int size = abis.stream().mapToInt(abi -> abi.of(storage).size()).max().orElseThrow();
            int align = abis.stream().mapToInt(abi -> abi.of(storage).align()).max().orElseThrow();
            scalars.put(storage, new SizeAlign(size, align));
        }
        SizeAlign pointer = new SizeAlign(abis.stream().mapToInt(abi -> abi.pointer().size()).max().orElseThrow(),
            abis.stream().mapToInt(abi -> abi.pointer().align()).max().orElseThrow());
        int biggest = abis.stream().mapToInt(Abi::biggestAlignment).max().orElseThrow();
        Abi first = abis.iterator().next();
        String name = "unified(" + abis.stream().map(Abi::name).collect(Collectors.joining(",")) + ")";
        return new Abi(name, first.byteOrder(), first.charSigned(), scalars, pointer, biggest);
    }
}
