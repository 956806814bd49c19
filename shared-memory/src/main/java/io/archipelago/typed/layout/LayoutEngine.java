package io.archipelago.typed.layout;

import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.FunctionType;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordRef;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.description.TypedefType;
import io.archipelago.typed.description.VoidType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Lays out C types exactly as GCC does for one target (checked against the cross compilers by
 * the golden tests in {@code shared-memory/src/test/gcc}):
 * <ul>
 *   <li>a member is placed at the next multiple of its alignment; a struct's alignment is
 *       its strictest member's (or more, with {@code aligned(N)}), its size is rounded up to
 *       its alignment (tail padding), a union's members all start at 0;</li>
 *   <li>a member's alignment is its type's, raised by {@code aligned(N)} on the member; in a
 *       packed struct (or for a packed member) it is 1, unless the member itself says
 *       {@code aligned(N)};</li>
 *   <li>{@code aligned(N)} on a typedef sets the alignment, up or down; on a struct or
 *       member it only raises it; a bare {@code aligned} means the target's
 *       {@code __BIGGEST_ALIGNMENT__};</li>
 *   <li>a flexible array member takes no room but aligns the struct.</li>
 * </ul>
 */
public final class LayoutEngine {

    private final Abi abi;

    public LayoutEngine(Abi abi) {
        this.abi = Objects.requireNonNull(abi, "abi");
    }

    public Abi abi() {
        return abi;
    }

    /** The layout of {@code type} on this engine's target. */
    public Layout layout(TypeDescription type) {
        return switch (type) {
            case ScalarType scalar -> scalar(scalar.scalar(), scalar.cName());
            case EnumType enumType -> enumLayout(enumType);
            case PointerType pointer -> new PointerLayout(pointer.cName(), pointer.targetRecord().map(RecordRef::cName).orElse(null),
                abi.pointer().size(), abi.pointer().align(), abi.byteOrder());
            case ArrayType array -> array(array);
            case RecordType record -> record(record);
            case TypedefType typedef -> typedef(typedef);
            case RecordRef ref -> throw new LayoutException(ref.cName() + " is an incomplete type here (declared but not defined): "
                + "only a pointer to it can be laid out");
            case FunctionType function -> throw new LayoutException("a function type (" + function.cName()
                + ") has no layout: only a pointer to a function can be a member");
            case VoidType v -> throw new LayoutException("void has no layout: only a pointer to void can be a member");
        };
    }

    /** Lays out a record. */
    public RecordLayout record(RecordType record) {
        List<MemberLayout> members = new ArrayList<>();
        long offset = 0;
        long size = 0;
        int align = 1;
        for (int i = 0; i < record.fields().size(); i++) {
            Field field = record.fields().get(i);
            Layout layout = layout(field.type());
            if (layout instanceof ArrayLayout array && array.flexible() && (record.union() || i != record.fields().size() - 1)) {
                throw new LayoutException(record.cName() + ": flexible array member '" + field.name()
                    + "' must be the last member of a struct");
            }
            int memberAlign = memberAlignment(record, field, layout);
            align = Math.max(align, memberAlign);
            if (record.union()) {
                members.add(new MemberLayout(field.name(), 0, layout));
                size = Math.max(size, layout.size());
            } else {
                offset = checkedRoundUp(offset, memberAlign, record, field);
                members.add(new MemberLayout(field.name(), offset, layout));
                try {
                    offset = Math.addExact(offset, layout.size());
                } catch (ArithmeticException e) {
                    throw tooLarge(record, field);
                }
                size = offset;
            }
        }
        if (record.alignment() != 0) {
            align = Math.max(align, resolve(record.alignment()));
        }
        return new RecordLayout(record.cName(), record.union(), checkedRoundUp(size, align, record, null), align, members);
    }

    /** Offsets and sizes are checked: a hostile header's huge arrays end in an error, not in a negative offset. */
    private static long checkedRoundUp(long value, long align, RecordType record, Field field) {
        try {
            return Math.multiplyExact(Math.addExact(value, align - 1) / align, align);
        } catch (ArithmeticException e) {
            throw tooLarge(record, field);
        }
    }

    private static LayoutException tooLarge(RecordType record, Field field) {
        return new LayoutException(record.cName() + (field == null ? "" : ": member '" + (field.anonymous() ? "<anonymous>"
            : field.name()) + "'") + " ends beyond " + Long.MAX_VALUE + " bytes: the type is too large to lay out");
    }

    private int memberAlignment(RecordType record, Field field, Layout layout) {
        int requested = resolve(field.alignment());
        if (record.packed() || field.packed()) {
            return requested != 0 ? requested : 1;
        }
        return Math.max(layout.align(), requested);
    }

    private Layout typedef(TypedefType typedef) {
        Layout target = layout(typedef.target());
        if (typedef.alignment() == 0) {
            return renamed(target, typedef.name());
        }
        int align = resolve(typedef.alignment());
        return switch (target) {
            case ScalarLayout s -> new ScalarLayout(typedef.name(), s.kind(), s.width(), align, s.order());
            case PointerLayout p -> new PointerLayout(typedef.name(), p.targetRecord(), p.width(), align, p.order());
            case ArrayLayout a -> new ArrayLayout(typedef.name(), a.element(), a.length(), align);
            // the typedef changes the alignment only: sizeof stays (GCC then refuses arrays of it)
            case RecordLayout r -> new RecordLayout(r.cName(), r.union(), r.size(), align, r.members());
        };
    }

    private static Layout renamed(Layout layout, String name) {
        return switch (layout) {
            case ScalarLayout s -> new ScalarLayout(name, s.kind(), s.width(), s.align(), s.order());
            case PointerLayout p -> new PointerLayout(name, p.targetRecord(), p.width(), p.align(), p.order());
            case ArrayLayout a -> new ArrayLayout(name, a.element(), a.length(), a.align());
            // a tagged record keeps its tag (its identity); an anonymous one is named by its typedef
            case RecordLayout r -> r.cName().endsWith("<anonymous>") ? new RecordLayout(name, r.union(), r.size(), r.align(), r.members()) : r;
        };
    }

    private Layout array(ArrayType array) {
        Layout element = layout(array.element());
        if (element instanceof ArrayLayout inner && inner.flexible()) {
            throw new LayoutException("array of flexible arrays: " + array.cName());
        }
        long length = array.flexible() ? -1 : array.length();
        if (length > 0 && element.size() > 0 && element.size() > Long.MAX_VALUE / length) {
            throw new LayoutException("array of " + length + " elements of " + element.size() + " bytes takes more than "
                + Long.MAX_VALUE + " bytes: the type is too large to lay out");
        }
        return new ArrayLayout(array.cName(), element, length, element.align());
    }

    private ScalarLayout scalar(Scalar scalar, String cName) {
        Abi.SizeAlign sa = abi.of(scalar.storage());
        ValueKind kind = switch (scalar.signedness()) {
            case SIGNED -> ValueKind.SIGNED;
            case UNSIGNED -> ValueKind.UNSIGNED;
            case PLAIN_CHAR -> abi.charSigned() ? ValueKind.SIGNED : ValueKind.UNSIGNED;
            case NONE -> scalar.storage() == Scalar.Storage.BOOL ? ValueKind.BOOL : ValueKind.FLOAT;
        };
        return new ScalarLayout(cName, kind, sa.size(), sa.align(), abi.byteOrder());
    }

    private ScalarLayout enumLayout(EnumType enumType) {
        return scalar(enumType.storage(), enumType.cName());
    }

    /** An alignment attribute's value on this target ({@link Field#BIGGEST_ALIGNMENT} is the ABI's). */
    private int resolve(int alignment) {
        return alignment == Field.BIGGEST_ALIGNMENT ? abi.biggestAlignment() : alignment;
    }

    static long roundUp(long value, long align) {
        return (value + align - 1) / align * align;
    }
}
