package io.archipelago.typed.description;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How much of a type there is, measured without recursion (a hostile type may be thousands of
 * levels deep, or a few levels deep but exponentially large once its records are expanded), and
 * the budgets every type a header declares or a contract carries must fit:
 * <ul>
 *   <li>{@link #MAX_DEPTH} levels of nesting: a contract's Protocol Buffers form takes up to three
 *       message levels per type level (a member struct is {@code TypeDesc > RecordDesc > MemberDesc}),
 *       and Protocol Buffers refuses to parse more than 100: a type 32 deep takes at most 94;</li>
 *   <li>{@link #MAX_NODES} types once every struct member is expanded (an array counts once,
 *       whatever its length): layouts, contracts and equality walk that tree;</li>
 *   <li>{@link #MAX_BYTES} bytes on every data model, so that offsets and sizes never overflow.</li>
 * </ul>
 * An instance remembers what it measured (by identity), so a header's types, which share their
 * records, are measured once each.
 */
public final class TypeBudget {

    /** Levels of nesting: each pointer, array dimension, function, typedef and struct or union counts one, as does the leaf. */
    public static final int MAX_DEPTH = 32;
    /** Types in the expanded tree of one type. */
    public static final long MAX_NODES = 1 << 16;
    /** Bytes a type may take on any data model: 256 TiB, more than any global memory. */
    public static final long MAX_BYTES = 1L << 48;

    /** The largest pointer of every data model, and the largest {@code __BIGGEST_ALIGNMENT__}. */
    private static final long WIDEST_POINTER = 8;
    private static final long BIGGEST_ALIGNMENT = 16;

    /**
     * What a type measures.
     *
     * @param depth    levels of nesting (a scalar is 1)
     * @param nodes    types in its expanded tree (saturates at {@link Long#MAX_VALUE})
     * @param maxBytes an upper bound of its size on every data model (saturates)
     * @param maxAlign an upper bound of its alignment on every data model
     */
    public record Extent(int depth, long nodes, long maxBytes, long maxAlign) {
    }

    private final Map<TypeDescription, Extent> measured = new IdentityHashMap<>();

    /** Measures {@code type} (iteratively: a type of any depth is measured without a deep stack). */
    public Extent measure(TypeDescription type) {
        Extent known = measured.get(type);
        if (known != null) {
            return known;
        }
        Deque<TypeDescription> pending = new ArrayDeque<>();
        pending.push(type);
        while (!pending.isEmpty()) {
            TypeDescription next = pending.peek();
            if (measured.containsKey(next)) {
                pending.pop();
                continue;
            }
            boolean ready = true;
            for (TypeDescription child : children(next)) {
                if (!measured.containsKey(child)) {
                    pending.push(child);
                    ready = false;
                }
            }
            if (ready) {
                pending.pop();
                measured.put(next, combine(next));
            }
        }
        return measured.get(type);
    }

    /**
     * Refuses a type over a budget.
     *
     * @param what how the error names the type (its {@code cName()} is not used: it recurses)
     * @throws TypeBudgetException naming the budget exceeded
     */
    public Extent check(TypeDescription type, String what) {
        Extent extent = measure(type);
        if (extent.depth() > MAX_DEPTH) {
            throw new TypeBudgetException(what + " nests " + extent.depth() + " levels deep: over the type depth budget of "
                + MAX_DEPTH + " levels (each pointer, array dimension, function, typedef and struct or union member counts one)");
        }
        if (extent.nodes() > MAX_NODES) {
            throw new TypeBudgetException(what + " expands to " + count(extent.nodes()) + " types once every member struct is "
                + "expanded: over the type expansion budget of " + MAX_NODES);
        }
        if (extent.maxBytes() > MAX_BYTES) {
            throw new TypeBudgetException(what + " may take " + count(extent.maxBytes()) + " bytes: over the type size budget of "
                + "2^48 (" + MAX_BYTES + ") bytes on any data model");
        }
        return extent;
    }

    /** Checks one type with a fresh measure. */
    public static Extent checked(TypeDescription type, String what) {
        return new TypeBudget().check(type, what);
    }

    /** A name for a type that does not recurse into it (usable on a type not yet checked). */
    public static String shallowName(TypeDescription type) {
        return switch (type) {
            case RecordType r -> r.cName();
            case RecordRef r -> r.cName();
            case TypedefType t -> t.name();
            case ScalarType s -> s.cName();
            case EnumType e -> e.cName();
            case VoidType v -> v.cName();
            case PointerType p -> "a pointer type";
            case ArrayType a -> "an array type";
            case FunctionType f -> "a function type";
        };
    }

    private static String count(long value) {
        return value == Long.MAX_VALUE ? "more than 2^63" : Long.toString(value);
    }

    private static List<TypeDescription> children(TypeDescription type) {
        return switch (type) {
            case PointerType p -> List.of(p.target());
            case ArrayType a -> List.of(a.element());
            case TypedefType t -> List.of(t.target());
            case RecordType r -> r.fields().stream().map(Field::type).toList();
            case FunctionType f -> {
                List<TypeDescription> all = new ArrayList<>(f.parameters());
                all.add(f.result());
                yield all;
            }
            case ScalarType s -> List.of();
            case RecordRef r -> List.of();
            case EnumType e -> List.of();
            case VoidType v -> List.of();
        };
    }

    private Extent combine(TypeDescription type) {
        int depth = 0;
        long nodes = 1;
        for (TypeDescription child : children(type)) {
            Extent c = measured.get(child);
            depth = Math.max(depth, c.depth());
            nodes = saturatedAdd(nodes, c.nodes());
        }
        depth = depth == Integer.MAX_VALUE ? depth : depth + 1;
        long bytes;
        long align;
        switch (type) {
            case ScalarType s -> {
                bytes = widest(s.scalar().storage());
                align = bytes;
            }
            case EnumType e -> {
                bytes = widest(e.storage().storage());
                align = bytes;
            }
            case PointerType p -> {
                bytes = WIDEST_POINTER;
                align = WIDEST_POINTER;
            }
            case ArrayType a -> {
                Extent element = measured.get(a.element());
                bytes = a.flexible() ? 0 : saturatedMultiply(a.length(), element.maxBytes());
                align = element.maxAlign();
            }
            case TypedefType t -> {
                Extent target = measured.get(t.target());
                bytes = target.maxBytes();
                align = Math.max(target.maxAlign(), alignment(t.alignment()));
            }
            case RecordType r -> {
                align = Math.max(1, alignment(r.alignment()));
                long total = 0;
                for (Field field : r.fields()) {
                    Extent member = measured.get(field.type());
                    long memberAlign = Math.max(member.maxAlign(), alignment(field.alignment()));
                    align = Math.max(align, memberAlign);
                    // at most memberAlign - 1 bytes of padding before each member
                    long room = saturatedAdd(member.maxBytes(), memberAlign - 1);
                    total = r.union() ? Math.max(total, room) : saturatedAdd(total, room);
                }
                bytes = saturatedAdd(total, align - 1);
            }
            // no layout of their own: only behind a pointer
            case RecordRef r -> {
                bytes = 0;
                align = 1;
            }
            case FunctionType f -> {
                bytes = 0;
                align = 1;
            }
            case VoidType v -> {
                bytes = 0;
                align = 1;
            }
        }
        return new Extent(depth, nodes, bytes, align);
    }

    /** The largest size of a storage class on every data model (its alignment is no larger). */
    private static long widest(Scalar.Storage storage) {
        return switch (storage) {
            case BOOL, CHAR -> 1;
            case SHORT -> 2;
            case INT, FLOAT -> 4;
            case LONG, LONG_LONG, DOUBLE -> 8;
        };
    }

    private static long alignment(int requested) {
        return requested == Field.BIGGEST_ALIGNMENT ? BIGGEST_ALIGNMENT : Math.max(requested, 0);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static long saturatedMultiply(long a, long b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }
}
