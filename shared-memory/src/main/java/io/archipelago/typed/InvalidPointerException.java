package io.archipelago.typed;

/**
 * A pointer dereferenced through the typed API that does not point at an element of a region
 * of the declared type (the paper's safety check on typed pointers): NULL, outside every
 * region, in a region of another type, or into the middle of an element.
 */
public final class InvalidPointerException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidPointerException(String message) {
        super(message);
    }
}
