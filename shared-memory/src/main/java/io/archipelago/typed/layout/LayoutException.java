package io.archipelago.typed.layout;

/** A type that cannot be laid out (an incomplete type by value, a function by value...). */
public final class LayoutException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public LayoutException(String message) {
        super(message);
    }
}
