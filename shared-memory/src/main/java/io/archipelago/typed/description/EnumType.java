package io.archipelago.typed.description;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An enumeration. GCC stores it as {@code unsigned int} when no constant is negative, as
 * {@code int} otherwise, and in 8 bytes when a constant does not fit 32 bits; a packed enum
 * takes the smallest integer type that holds every constant.
 *
 * @param tag the tag, or {@code null} for an anonymous enum
 */
public record EnumType(String tag, Map<String, Long> constants, boolean packed) implements TypeDescription {

    public EnumType {
        constants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(constants));
    }

    @Override
    public String cName() {
        return tag == null ? "enum <anonymous>" : "enum " + tag;
    }

    /** The integer type GCC stores this enum as (size and signedness; alignment follows that type). */
    public Scalar storage() {
        long min = constants.values().stream().mapToLong(Long::longValue).min().orElse(0);
        long max = constants.values().stream().mapToLong(Long::longValue).max().orElse(0);
        boolean negative = min < 0;
        if (packed) {
            if (negative) {
                if (min >= Byte.MIN_VALUE && max <= Byte.MAX_VALUE) {
                    return Scalar.SIGNED_CHAR;
                }
                if (min >= Short.MIN_VALUE && max <= Short.MAX_VALUE) {
                    return Scalar.SHORT;
                }
            } else {
                if (max <= 0xFF) {
                    return Scalar.UNSIGNED_CHAR;
                }
                if (max <= 0xFFFF) {
                    return Scalar.UNSIGNED_SHORT;
                }
            }
        }
        if (negative) {
            return min >= Integer.MIN_VALUE && max <= Integer.MAX_VALUE ? Scalar.INT : Scalar.LONG_LONG;
        }
        // constants are stored as Java longs: an unsigned 64-bit constant above Long.MAX_VALUE reads negative
        return max <= 0xFFFF_FFFFL ? Scalar.UNSIGNED_INT : Scalar.UNSIGNED_LONG_LONG;
    }
}
