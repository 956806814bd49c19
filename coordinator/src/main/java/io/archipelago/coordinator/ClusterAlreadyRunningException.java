package io.archipelago.coordinator;

/** {@code up} for a cluster whose coordinator is alive. */
public final class ClusterAlreadyRunningException extends RuntimeException {

    public ClusterAlreadyRunningException(String message) {
        super(message);
    }
}
