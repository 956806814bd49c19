package io.archipelago.kernel;

/** A kernel could not join its cluster; the message says why and what to do. */
public final class KernelBootException extends RuntimeException {

    public KernelBootException(String message) {
        super(message);
    }

    public KernelBootException(String message, Throwable cause) {
        super(message, cause);
    }
}
