package io.archipelago.typed;

/**
 * A value that would not survive the trip: writing a Java value the region's C type cannot
 * hold (a {@code long} above 2^31 into a 4-byte {@code long} of an ILP32 region), or reading a
 * stored value the getter's Java type cannot hold. Type-morphable code never truncates
 * silently.
 */
public final class ValueDoesNotFitException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public ValueDoesNotFitException(String message) {
        super(message);
    }
}
