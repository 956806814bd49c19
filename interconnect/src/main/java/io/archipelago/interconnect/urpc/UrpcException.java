package io.archipelago.interconnect.urpc;

/** A URPC message could not be sent or answered: the peer, what was expected and what was found are in the message. */
public final class UrpcException extends RuntimeException {

    public UrpcException(String message) {
        super(message);
    }
}
