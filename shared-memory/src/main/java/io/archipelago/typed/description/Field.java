package io.archipelago.typed.description;

import java.util.Objects;

/**
 * A member of a struct or union.
 *
 * @param name      the member name, or {@code null} for an anonymous struct or union member
 *                  (C11), whose own members are reached as if they were the enclosing record's
 * @param type      the member's type
 * @param alignment the alignment requested by {@code __attribute__((aligned(N)))} on the member
 *                  (it only raises the alignment, unless the member is packed), 0 when none
 * @param packed    {@code __attribute__((packed))} on the member, or inherited from a packed record
 */
public record Field(String name, TypeDescription type, int alignment, boolean packed) {

    /**
     * A bare {@code __attribute__((aligned))}: the target's {@code __BIGGEST_ALIGNMENT__}
     * (16 on x86 and PowerPC, 8 on armv7), resolved by the layout engine. Allowed wherever an
     * alignment attribute is.
     */
    public static final int BIGGEST_ALIGNMENT = -1;

    public Field {
        Objects.requireNonNull(type, "type");
        checkAlignment(alignment, "member");
    }

    /** Checks an alignment attribute value: 0 (none), a power of two, or {@link #BIGGEST_ALIGNMENT}. */
    public static void checkAlignment(int alignment, String what) {
        if (alignment != BIGGEST_ALIGNMENT && (alignment < 0 || (alignment != 0 && Integer.bitCount(alignment) != 1))) {
            throw new IllegalArgumentException("a " + what + " alignment is a power of two, found " + alignment);
        }
    }

    public static Field of(String name, TypeDescription type) {
        return new Field(name, type, 0, false);
    }

    public boolean anonymous() {
        return name == null;
    }

    public Field withPacked(boolean packed) {
        return new Field(name, type, alignment, packed);
    }

    @Override
    public String toString() {
        return type.cName() + " " + (name == null ? "<anonymous>" : name);
    }
}
