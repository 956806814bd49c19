package io.archipelago.typed.alloc;

/** No run of free pages large enough: says how many were needed and what the kernel has (a running kernel throws its out-of-memory subclass once the balloon could not help either). */
public class OutOfPagesException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public OutOfPagesException(String message) {
        super(message);
    }
}
