package io.archipelago.kernel.memory;

import io.archipelago.typed.alloc.OutOfPagesException;

/**
 * An allocation no memory anywhere could satisfy: not the kernel's own blocks, not the pool,
 * not the blocks other kernels could give back. Says what was asked, what the kernel has and
 * what the meta-level manager answered. Nothing the kernel already holds was touched.
 */
public final class KernelOutOfMemoryException extends OutOfPagesException {

    private static final long serialVersionUID = 1L;

    public KernelOutOfMemoryException(String message) {
        super(message);
    }
}
