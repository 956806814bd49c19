package io.archipelago.trace;

/** A file that is not a trace ring this version reads; the message says what was expected and found. */
public final class TraceFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TraceFormatException(String message) {
        super(message);
    }
}
