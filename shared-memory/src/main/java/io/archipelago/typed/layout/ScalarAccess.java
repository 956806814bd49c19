package io.archipelago.typed.layout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Loads and stores of one scalar of a given width and byte order at any offset (unaligned), for
 * code that decides the width and order at run time: the interpreting accessor, the migration's
 * state marshaller. The value layouts are made once per width and order: a layout made per access
 * ({@code JAVA_INT_UNALIGNED.withOrder(order)}) also makes its var handle per access, a lookup the
 * JIT cannot fold away.
 */
public final class ScalarAccess {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_BE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_BE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private ScalarAccess() {
    }

    /** An integer of {@code width} bytes (1, 2, 4 or 8), sign- or zero-extended to a long. */
    public static long loadInteger(MemorySegment segment, long offset, int width, ByteOrder order, boolean signed) {
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        return switch (width) {
            case 1 -> {
                byte b = segment.get(ValueLayout.JAVA_BYTE, offset);
                yield signed ? b : Byte.toUnsignedLong(b);
            }
            case 2 -> {
                short s = segment.get(little ? SHORT_LE : SHORT_BE, offset);
                yield signed ? s : Short.toUnsignedLong(s);
            }
            case 4 -> {
                int i = segment.get(little ? INT_LE : INT_BE, offset);
                yield signed ? i : Integer.toUnsignedLong(i);
            }
            case 8 -> segment.get(little ? LONG_LE : LONG_BE, offset);
            default -> throw new IllegalArgumentException("an integer is 1, 2, 4 or 8 bytes, found " + width);
        };
    }

    /** The low {@code width} bytes of {@code value}. */
    public static void storeInteger(MemorySegment segment, long offset, int width, ByteOrder order, long value) {
        boolean little = order == ByteOrder.LITTLE_ENDIAN;
        switch (width) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
            case 2 -> segment.set(little ? SHORT_LE : SHORT_BE, offset, (short) value);
            case 4 -> segment.set(little ? INT_LE : INT_BE, offset, (int) value);
            case 8 -> segment.set(little ? LONG_LE : LONG_BE, offset, value);
            default -> throw new IllegalArgumentException("an integer is 1, 2, 4 or 8 bytes, found " + width);
        }
    }

    public static float loadFloat(MemorySegment segment, long offset, ByteOrder order) {
        return segment.get(order == ByteOrder.LITTLE_ENDIAN ? FLOAT_LE : FLOAT_BE, offset);
    }

    public static double loadDouble(MemorySegment segment, long offset, ByteOrder order) {
        return segment.get(order == ByteOrder.LITTLE_ENDIAN ? DOUBLE_LE : DOUBLE_BE, offset);
    }

    public static void storeFloat(MemorySegment segment, long offset, ByteOrder order, float value) {
        segment.set(order == ByteOrder.LITTLE_ENDIAN ? FLOAT_LE : FLOAT_BE, offset, value);
    }

    public static void storeDouble(MemorySegment segment, long offset, ByteOrder order, double value) {
        segment.set(order == ByteOrder.LITTLE_ENDIAN ? DOUBLE_LE : DOUBLE_BE, offset, value);
    }
}
