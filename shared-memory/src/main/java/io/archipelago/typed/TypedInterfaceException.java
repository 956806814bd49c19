package io.archipelago.typed;

/** A {@link Typed} interface that cannot describe a struct: says which method and why. */
public final class TypedInterfaceException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public TypedInterfaceException(String message) {
        super(message);
    }

    public TypedInterfaceException(String message, Throwable cause) {
        super(message, cause);
    }
}
