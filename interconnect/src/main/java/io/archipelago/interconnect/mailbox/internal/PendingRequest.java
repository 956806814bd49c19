package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A requester waiting for its reply: registered under its sequence number in the peer's queue
 * before the request leaves, completed by the interrupt context when a word of an accepted type
 * with that sequence number arrives from that peer. A thread spins briefly, then parks; an
 * asynchronous request's future completes on the interrupt context instead.
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

    /** The thread waiting, or null for an asynchronous request completed on the interrupt context. */
    final Thread waiter;
    /** The future of an asynchronous request, completed on the interrupt context; null for a waiting thread. */
    final java.util.concurrent.CompletableFuture<Integer> future;
    /** Bit {@code 1 << code} set for each accepted reply type. */
    final int acceptedTypes;
    /** Whether a reply of an accepted type answers this request (and not an earlier one that gave up). */
    final ReplyCheck check;
    /** How long the requester waits; a late reply is expected within a multiple of it (see {@link PeerQueue#abandon}). */
    final long timeoutNanos;
    int sequence;
    /** For asynchronous requests: their queue, deadline and timeout message (interrupt context only). */
    PeerQueue queue;
    long deadlineNanos;
    java.util.function.Supplier<String> describe;
    private volatile int state;
    private int reply;
    private MailboxException failure;

    PendingRequest(int acceptedTypes, ReplyCheck check, long timeoutNanos) {
        this.acceptedTypes = acceptedTypes;
        this.check = check;
        this.timeoutNanos = timeoutNanos;
        this.waiter = Thread.currentThread();
        this.future = null;
    }

    PendingRequest(int acceptedTypes, ReplyCheck check, long timeoutNanos, java.util.concurrent.CompletableFuture<Integer> future) {
        this.acceptedTypes = acceptedTypes;
        this.check = check;
        this.timeoutNanos = timeoutNanos;
        this.waiter = null;
        this.future = future;
    }

    boolean accepts(int typeCode) {
        return (acceptedTypes & 1 << typeCode) != 0;
    }

    /** (interrupt context) Whether a word of an accepted type says it answers this request. */
    boolean answeredBy(int word) {
        return check.answers(MailboxType.ofCodeOrNull(MailboxWord.typeCode(word)), MailboxWord.payload(word));
    }

    /** By the interrupt context: the reply arrived. */
    void complete(int word) {
        reply = word;
        wake(REPLIED);
        if (future != null) {
            future.complete(word);
        }
    }

    /** By the interrupt context (or on close): no reply will come. */
    void fail(MailboxException cause) {
        failure = cause;
        wake(FAILED);
        if (future != null) {
            future.completeExceptionally(cause);
        }
    }

    private void wake(int outcome) {
        int previous = (int) STATE.getAndSet(this, outcome);
        if (previous == PARKED && waiter != null) {
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
