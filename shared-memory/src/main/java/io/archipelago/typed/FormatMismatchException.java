package io.archipelago.typed;

/**
 * A view that does not fit a region's contract: a member the interface needs is missing, or
 * has an incompatible kind (an integer where the region stores a double, other array
 * dimensions, another struct). Attach refuses it before any access, naming the member.
 */
public final class FormatMismatchException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public FormatMismatchException(String message) {
        super(message);
    }
}
