package io.archipelago.kernel;

/**
 * The coordinator declared this kernel DEAD while it was still booting (it went silent beyond the
 * boot timeout: stopped or starved). Nothing it claimed is its own any more: it must halt, not
 * stop cleanly, and exit with the fenced code so that a supervisor starts a new incarnation.
 */
public final class KernelFencedException extends RuntimeException {

    public KernelFencedException(String message, Throwable cause) {
        super(message, cause);
    }
}
