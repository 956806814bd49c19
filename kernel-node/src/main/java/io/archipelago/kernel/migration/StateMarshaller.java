package io.archipelago.kernel.migration;

import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.layout.ScalarAccess;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Marshalling of typed state for migration by messages, the way a message-passing multikernel
 * moves a thread: every scalar member of a struct (arrays expanded, nested structs followed), in
 * declaration order, read from its layout into a model-independent value (an integer as its
 * value, a pointer as its address, floating point as the IEEE-754 bits of a double), and written
 * back into another layout of the same type, refusing values the destination's members cannot
 * hold. This is the conversion paper 1 says message passing costs, and type-morphable code avoids.
 */
public final class StateMarshaller {

    /** One scalar member: its path (e.g. {@code regs[3]}), offset in the element, width, kind and byte order. */
    public record Leaf(String path, long offset, int width, ValueKind kind, boolean pointer, ByteOrder order) {
    }

    private final List<Leaf> leaves;
    private final long elementSize;

    private StateMarshaller(List<Leaf> leaves, long elementSize) {
        this.leaves = List.copyOf(leaves);
        this.elementSize = elementSize;
    }

    /**
     * The marshaller of one layout, without the members named in {@code skip} (top-level names).
     *
     * @throws IllegalArgumentException for a union (which member holds the value is not in the layout)
     */
    public static StateMarshaller of(RecordLayout layout, Set<String> skip) {
        List<Leaf> leaves = new ArrayList<>();
        for (MemberLayout member : layout.flattenedMembers()) {
            if (!skip.contains(member.name())) {
                collect(member.name(), member.offset(), member.layout(), leaves);
            }
        }
        return new StateMarshaller(leaves, layout.size());
    }

    private static void collect(String path, long offset, Layout layout, List<Leaf> leaves) {
        switch (layout) {
            case ScalarLayout scalar -> leaves.add(new Leaf(path, offset, scalar.width(), scalar.kind(), false, scalar.order()));
            case PointerLayout pointer -> leaves.add(new Leaf(path, offset, pointer.width(), ValueKind.UNSIGNED, true, pointer.order()));
            case ArrayLayout array -> {
                for (long i = 0; i < Math.max(0, array.length()); i++) {
                    collect(path + "[" + i + "]", offset + i * array.stride(), array.element(), leaves);
                }
            }
            case RecordLayout record -> {
                if (record.union()) {
                    throw new IllegalArgumentException("cannot marshal " + path + ": it is a union (" + record.cName()
                        + "), and which member holds its value is not in its layout");
                }
                for (MemberLayout member : record.flattenedMembers()) {
                    collect(path + "." + member.name(), offset + member.offset(), member.layout(), leaves);
                }
            }
        }
    }

    public List<Leaf> leaves() {
        return leaves;
    }

    /** Checks that {@code other} marshals the same members in the same order (the same type, in another layout). */
    public void checkCompatible(StateMarshaller other, String what) {
        if (leaves.size() != other.leaves.size()) {
            throw new IllegalArgumentException(what + ": expected " + leaves.size() + " scalar members, found " + other.leaves.size());
        }
        for (int i = 0; i < leaves.size(); i++) {
            if (!leaves.get(i).path().equals(other.leaves.get(i).path())) {
                throw new IllegalArgumentException(what + ": member " + i + " is " + other.leaves.get(i).path() + ", expected "
                    + leaves.get(i).path());
            }
        }
    }

    public int leavesPerElement() {
        return leaves.size();
    }

    /** Reads {@code count} elements of {@code memory} from element {@code first} into {@code out} (leavesPerElement x count values). */
    public void read(MemorySegment memory, long stride, long first, long count, long[] out, int outOffset) {
        int at = outOffset;
        for (long e = first; e < first + count; e++) {
            long base = e * stride;
            for (Leaf leaf : leaves) {
                out[at++] = get(memory, base + leaf.offset(), leaf);
            }
        }
    }

    /**
     * Writes {@code count} elements into {@code memory} from {@code values}.
     *
     * @throws IllegalArgumentException naming the member when a value does not fit it (nothing of that element is written)
     */
    public void write(MemorySegment memory, long stride, long first, long count, long[] values, int valuesOffset) {
        int at = valuesOffset;
        for (long e = first; e < first + count; e++) {
            long base = e * stride;
            for (Leaf leaf : leaves) {
                check(leaf, values[at], e);
                at++;
            }
            at -= leaves.size();
            for (Leaf leaf : leaves) {
                put(memory, base + leaf.offset(), leaf, values[at++]);
            }
        }
    }

    public long elementSize() {
        return elementSize;
    }

    private static long get(MemorySegment memory, long offset, Leaf leaf) {
        ByteOrder order = leaf.order();
        if (leaf.kind() == ValueKind.FLOAT) {
            double value = leaf.width() == 4 ? ScalarAccess.loadFloat(memory, offset, order) : ScalarAccess.loadDouble(memory, offset, order);
            return Double.doubleToRawLongBits(value);
        }
        return ScalarAccess.loadInteger(memory, offset, leaf.width(), order, leaf.kind() == ValueKind.SIGNED);
    }

    private static void check(Leaf leaf, long value, long element) {
        if (leaf.kind() == ValueKind.FLOAT || leaf.width() == 8) {
            return;
        }
        int bits = leaf.width() * 8;
        boolean fits = leaf.kind() == ValueKind.BOOL ? value == 0 || value == 1
            : leaf.kind() == ValueKind.SIGNED ? value >= -(1L << (bits - 1)) && value < (1L << (bits - 1))
            : value >= 0 && value < (1L << bits);
        if (!fits) {
            throw new IllegalArgumentException("value " + value + " of " + leaf.path() + " (element " + element + ") does not fit the "
                + leaf.width() + "-byte " + (leaf.pointer() ? "pointer" : leaf.kind().name().toLowerCase(java.util.Locale.ROOT))
                + " member of the destination's layout");
        }
    }

    private static void put(MemorySegment memory, long offset, Leaf leaf, long value) {
        ByteOrder order = leaf.order();
        if (leaf.kind() == ValueKind.FLOAT) {
            double d = Double.longBitsToDouble(value);
            if (leaf.width() == 4) {
                ScalarAccess.storeFloat(memory, offset, order, (float) d);
            } else {
                ScalarAccess.storeDouble(memory, offset, order, d);
            }
            return;
        }
        ScalarAccess.storeInteger(memory, offset, leaf.width(), order, value);
    }
}
