package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A requester waiting for its reply: registered under its sequence number in the peer's queue
 * before the request leaves, completed by the interrupt context when a word of an accepted type
 * with that sequence number arrives from that peer. The requester spins briefly, then parks.
 */
final class PendingRequest {

    private static final int WAITING = 0;
    private static final int PARKED = 1;
    private static final int REPLIED = 2;
    private static final int FAILED = 3;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(PendingRequest.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Thread waiter = Thread.currentThread();
    /** Bit {@code 1 << code} set for each accepted reply type. */
    final int acceptedTypes;
    int sequence;
    private volatile int state;
    private int reply;
    private MailboxException failure;

    PendingRequest(int acceptedTypes) {
        this.acceptedTypes = acceptedTypes;
    }

    boolean accepts(int typeCode) {
        return (acceptedTypes & 1 << typeCode) != 0;
    }

    /** By the interrupt context: the reply arrived. */
    void complete(int word) {
        reply = word;
        wake(REPLIED);
    }

    /** By the interrupt context (or on close): no reply will come. */
    void fail(MailboxException cause) {
        failure = cause;
        wake(FAILED);
    }

    private void wake(int outcome) {
        int previous = (int) STATE.getAndSet(this, outcome);
        if (previous == PARKED) {
            LockSupport.unpark(waiter);
        }
    }

    boolean done() {
        return state >= REPLIED;
    }

    /**
     * Waits for the outcome until the deadline.
     *
     * @return the reply word, or null when the deadline passed
     * @throws MailboxException the failure, when the request failed
     */
    Integer await(long spinNanos, long deadlineNanos) {
        long spinEnd = System.nanoTime() + spinNanos;
        while (state < REPLIED && System.nanoTime() - spinEnd < 0) {
            for (int i = 0; i < 16; i++) {
                Thread.onSpinWait();
            }
        }
        if (state < REPLIED && STATE.compareAndSet(this, WAITING, PARKED)) {
            while (state < REPLIED) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, remaining);
            }
        }
        return switch (state) {
            case REPLIED -> reply;
            case FAILED -> throw failure;
            default -> null;
        };
    }
}
