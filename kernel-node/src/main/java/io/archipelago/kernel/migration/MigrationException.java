package io.archipelago.kernel.migration;

import io.grpc.StatusRuntimeException;

/** A migration that did not happen, and why; the thread keeps running where it was. */
public class MigrationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong (the control API maps each to a status code). */
    public enum Kind {
        /** No such thread in the task table. */
        UNKNOWN_THREAD,
        /** No such kernel in membership. */
        UNKNOWN_KERNEL,
        /** The thread exited. */
        EXITED,
        /** The destination is not RUNNING. */
        DEAD_KERNEL,
        /** Another migration of the thread is under way. */
        UNDER_WAY,
        /** The thread may not go there (a NightWatch thread to a strong island). */
        NOT_ALLOWED,
        /** The request makes no sense (the thread is already there). */
        INVALID,
        /** The destination refused the thread. */
        REFUSED,
        /** The hand-off failed (the destination died or did not answer in time). */
        HANDOFF_FAILED,
        /** The thread moved meanwhile. */
        RETRY
    }

    private final Kind kind;

    public MigrationException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public MigrationException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The owner kernel's answer to a forwarded request, passed on as it is. */
    public static final class Forwarded extends MigrationException {
        private static final long serialVersionUID = 1L;
        private final StatusRuntimeException status;

        public Forwarded(StatusRuntimeException status) {
            super(Kind.HANDOFF_FAILED, status.getStatus().getDescription(), status);
            this.status = status;
        }

        public StatusRuntimeException status() {
            return status;
        }
    }
}
