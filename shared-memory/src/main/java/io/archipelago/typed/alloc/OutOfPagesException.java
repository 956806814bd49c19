package io.archipelago.typed.alloc;

/** No run of free pages large enough: says how many were needed and what the kernel has. */
public final class OutOfPagesException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public OutOfPagesException(String message) {
        super(message);
    }
}
