package io.archipelago.typed.description;

import java.util.Objects;

/**
 * A fixed-size array; multi-dimensional arrays nest ({@code int a[2][3]} is an array of 2
 * arrays of 3 ints). Length 0 is a GNU zero-length array; {@link #FLEXIBLE} marks a flexible
 * array member ({@code int data[];}), which takes no room in its struct.
 */
public record ArrayType(TypeDescription element, long length) implements TypeDescription {

    public static final long FLEXIBLE = -1;

    public ArrayType {
        Objects.requireNonNull(element, "element");
        if (length < FLEXIBLE) {
            throw new IllegalArgumentException("an array length is >= 0 (or FLEXIBLE), found " + length);
        }
    }

    public boolean flexible() {
        return length == FLEXIBLE;
    }

    /** The innermost element type, under every dimension. */
    public TypeDescription innermost() {
        TypeDescription type = element;
        while (type.resolved() instanceof ArrayType inner) {
            type = inner.element();
        }
        return type;
    }

    /** {@code [2][3]} for {@code int a[2][3]}. */
    public String dimensionsSuffix() {
        StringBuilder suffix = new StringBuilder(flexible() ? "[]" : "[" + length + "]");
        TypeDescription type = element;
        while (type instanceof ArrayType inner) {
            suffix.append(inner.flexible() ? "[]" : "[" + inner.length() + "]");
            type = inner.element();
        }
        return suffix.toString();
    }

    @Override
    public String cName() {
        return innermost().cName() + dimensionsSuffix();
    }
}
