package io.archipelago.typed.access;

import io.archipelago.typed.TypedInterface.JavaKind;
import io.archipelago.typed.ValueDoesNotFitException;
import io.archipelago.typed.layout.PointerLayout;
import io.archipelago.typed.layout.ScalarLayout;
import io.archipelago.typed.layout.ValueKind;
import java.nio.ByteOrder;

/**
 * The value checks of type-morphable access, shared by the generated and the interpreting
 * accessors (so both fail alike, with the same message): a stored value is widened to a Java
 * {@code long} (sign-extended when the C type is signed, zero-extended when unsigned), then
 * narrowed to the getter's Java type only if it fits; a written value is stored only if it fits
 * the stored C type. Nothing is ever truncated silently.
 * <p>
 * One convention: a 64-bit unsigned member read or written as a Java {@code long} carries the
 * raw bits (Java's convention for unsigned 64-bit values, see {@link Long#toUnsignedString}).
 */
public final class Conversions {

    private Conversions() {
    }

    /** Returns {@code value} if it lies in [min, max], else throws saying what the member could not deliver. */
    public static long checkRead(long value, long min, long max, String what) {
        if (value < min || value > max) {
            throw new ValueDoesNotFitException(what + " holds " + value + ", which does not fit the getter's Java type ("
                + min + ".." + max + ")");
        }
        return value;
    }

    /** Returns {@code value} if it lies in [min, max], else throws saying what the member can hold. */
    public static long checkWrite(long value, long min, long max, String what) {
        if (value < min || value > max) {
            throw new ValueDoesNotFitException("cannot write " + value + " to " + what + ": it holds " + min + ".." + max
                + " (no silent truncation)");
        }
        return value;
    }

    /** A double stored into a 4-byte float: rounds to nearest, but a finite value must stay finite. */
    public static float toFloat(double value, String what) {
        float f = (float) value;
        if (Float.isInfinite(f) && !Double.isInfinite(value)) {
            throw new ValueDoesNotFitException("cannot write " + value + " to " + what + ": it is beyond the range of a 4-byte float");
        }
        return f;
    }

    /** Same, when reading an 8-byte double into a Java float. */
    public static float readAsFloat(double value, String what) {
        float f = (float) value;
        if (Float.isInfinite(f) && !Double.isInfinite(value)) {
            throw new ValueDoesNotFitException(what + " holds " + value + ", which is beyond the range of a Java float");
        }
        return f;
    }

    public static boolean isTrue(byte stored) {
        return stored != 0;
    }

    /** An array index checked against its dimension. */
    public static long checkIndex(long index, long length, String what) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index " + index + " is outside " + what + " (0.." + (length - 1) + ")");
        }
        return index;
    }

    // ------------------------------------------------------------------ ranges

    /** The range of a Java integral type. */
    public static long[] javaRange(JavaKind kind) {
        return switch (kind) {
            case BYTE -> new long[] {Byte.MIN_VALUE, Byte.MAX_VALUE};
            case SHORT -> new long[] {Short.MIN_VALUE, Short.MAX_VALUE};
            case CHAR -> new long[] {Character.MIN_VALUE, Character.MAX_VALUE};
            case INT -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
            case LONG -> new long[] {Long.MIN_VALUE, Long.MAX_VALUE};
            default -> throw new IllegalArgumentException(kind + " is not integral");
        };
    }

    /** The values a stored integer can hold, as the {@code long} it widens to. */
    public static long[] storedRange(ValueKind kind, int width) {
        int bits = width * 8;
        if (kind == ValueKind.SIGNED) {
            return bits == 64 ? new long[] {Long.MIN_VALUE, Long.MAX_VALUE} : new long[] {-(1L << (bits - 1)), (1L << (bits - 1)) - 1};
        }
        return bits == 64 ? new long[] {Long.MIN_VALUE, Long.MAX_VALUE} : new long[] {0, (1L << bits) - 1};
    }

    /**
     * The range a read must check the widened value against, or null when every stored value
     * fits the Java type. A 64-bit unsigned member read as a narrower Java type must be
     * non-negative (as a long): a negative long is a value above 2^63.
     */
    public static long[] readCheck(ValueKind kind, int width, JavaKind java) {
        long[] stored = storedRange(kind, width);
        long[] target = javaRange(java);
        if (kind == ValueKind.UNSIGNED && width == 8) {
            return java == JavaKind.LONG ? null : new long[] {0, target[1]};
        }
        return stored[0] >= target[0] && stored[1] <= target[1] ? null : target;
    }

    /** The range a write must check the Java value against, or null when every Java value fits. */
    public static long[] writeCheck(ValueKind kind, int width, JavaKind java) {
        long[] stored = storedRange(kind, width);
        long[] source = javaRange(java);
        if (kind == ValueKind.UNSIGNED && width == 8) {
            return java == JavaKind.LONG || java == JavaKind.CHAR ? null : new long[] {0, Long.MAX_VALUE};
        }
        return source[0] >= stored[0] && source[1] <= stored[1] ? null : stored;
    }

    /** The range of a pointer of {@code width} bytes: a non-negative global-memory address. */
    public static long[] pointerRange(int width) {
        return new long[] {0, width == 8 ? Long.MAX_VALUE : 0xFFFF_FFFFL};
    }

    // ------------------------------------------------------------------ messages

    /** How a member is named in errors: {@code member 'nvcsw' of struct task_struct (unsigned long: 4 bytes, big-endian)}. */
    public static String describe(String record, String member, ScalarLayout scalar) {
        return "member '" + member + "' of " + record + " (" + scalar.cName() + ": " + scalar.width() + " byte" + (scalar.width() == 1 ? "" : "s")
            + (scalar.width() == 1 ? "" : ", " + order(scalar.order())) + ")";
    }

    public static String describe(String record, String member, PointerLayout pointer) {
        return "member '" + member + "' of " + record + " (" + pointer.cName() + ": " + pointer.width() + "-byte pointer, "
            + order(pointer.order()) + ")";
    }

    public static String describeDimension(String record, String member, int dimension, long length) {
        return "dimension " + (dimension + 1) + " of member '" + member + "' of " + record + " [" + length + "]";
    }

    private static String order(ByteOrder order) {
        return order == ByteOrder.BIG_ENDIAN ? "big-endian" : "little-endian";
    }
}
