package io.archipelago.kernel.messages;

/** A request that could not be delivered or answered: names the owner and says why. */
public final class MessageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MessageException(String message) {
        super(message);
    }

    public MessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
