package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxException.Reason;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Requests that do not wait: the reply completes a future on the interrupt context, so interrupt
 * handlers (which must not block) can ask a peer and react to its answer. Also the PING chain
 * that measures a word's round trip between two interrupt contexts.
 */
final class AsyncRequests {

    private static final long DEADLINE_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MailboxCore core;
    /** Asynchronous requests not known to be done, for the deadline sweep (interrupt context only). */
    private final ArrayDeque<PendingRequest> pending = new ArrayDeque<>();
    private boolean sweepArmed;

    AsyncRequests(MailboxCore core) {
        this.core = core;
    }

    /**
     * Sends a request without waiting: the future completes on the interrupt context with the
     * reply word, or fails (NO_REPLY at the deadline, DISCONNECTED, FIFO_FULL when the backlog
     * is full too). Usable from interrupt handlers, which must not block.
     */
    public CompletableFuture<Integer> requestAsync(int peer, MailboxType type, int payload, int acceptedTypes, ReplyCheck check,
                                                   long timeoutNanos) {
        core.checkPayload(type, payload);
        MemberIds.check(peer);
        CompletableFuture<Integer> future = new CompletableFuture<>();
        if (core.loop.inEventLoop()) {
            startAsyncRequest(peer, type, payload, acceptedTypes, check, timeoutNanos, future);
        } else {
            try {
                core.loop.execute(() -> startAsyncRequest(peer, type, payload, acceptedTypes, check, timeoutNanos, future));
            } catch (RejectedExecutionException e) {
                future.completeExceptionally(new MailboxException(Reason.CLOSED, peer, "the mailbox of " + core.selfName + " is closed"));
            }
        }
        return future;
    }

    private void startAsyncRequest(int peer, MailboxType type, int payload, int acceptedTypes, ReplyCheck check, long timeoutNanos,
                                   CompletableFuture<Integer> future) {
        try {
            core.checkOpen(peer);
            PeerQueue queue = core.queue(peer);
            PendingRequest request = new PendingRequest(acceptedTypes, check, timeoutNanos, future);
            request.queue = queue;
            int sequence = queue.register(request);
            if (sequence < 0) {
                throw new MailboxException(Reason.NO_REPLY, peer, "cannot send " + type + " to " + core.describe(queue) + ": "
                    + core.noFreeSequence(queue));
            }
            request.deadlineNanos = System.nanoTime() + timeoutNanos;
            request.describe = () -> "no " + core.acceptedNames(acceptedTypes) + " from " + core.describe(queue) + " to " + type + "#"
                + request.sequence + "(" + payload + ") within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms";
            pending.add(request);
            armDeadlineSweep();
            try {
                core.post(peer, MailboxWord.encode(type, sequence, payload));
            } catch (MailboxException e) {
                queue.unregister(request);
                throw e;
            }
        } catch (MailboxException e) {
            future.completeExceptionally(e);
        }
    }

    /**
     * (interrupt context) Deadlines of asynchronous requests are checked by one periodic sweep
     * while any is outstanding, not by a timer per request (which would re-arm the event loop's
     * timer on every round trip).
     */
    private void armDeadlineSweep() {
        if (sweepArmed || pending.isEmpty()) {
            return;
        }
        sweepArmed = true;
        core.loop.schedule(() -> {
            sweepArmed = false;
            long now = System.nanoTime();
            for (Iterator<PendingRequest> it = pending.iterator(); it.hasNext(); ) {
                PendingRequest request = it.next();
                if (request.done()) {
                    it.remove();
                } else if (now - request.deadlineNanos >= 0) {
                    it.remove();
                    PeerQueue queue = request.queue;
                    if (queue.abandon(request, now)) {
                        core.metrics.requestTimeouts.increment();
                        request.fail(new MailboxException(Reason.NO_REPLY, queue.peerId, request.describe.get()));
                    }
                }
            }
            armDeadlineSweep();
        }, DEADLINE_SWEEP_NANOS, TimeUnit.NANOSECONDS);
    }

    /**
     * PING/PONG round trips chained on the interrupt context: each PING leaves from the interrupt
     * context the moment the previous PONG is delivered there, as a kernel would from its
     * interrupt handler. The calling thread only waits for the whole series.
     *
     * @return the round trips in nanoseconds
     */
    public long[] pingFromInterruptContext(int peer, int count, long timeoutNanos) {
        core.checkCaller("ping", peer);
        long[] samples = new long[count];
        CompletableFuture<long[]> done = new CompletableFuture<>();
        core.loop.execute(() -> chainPing(peer, samples, 0, timeoutNanos, done));
        try {
            return done.get((long) count * timeoutNanos + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MailboxException failure) {
                throw new MailboxException(failure.reason(), peer, failure.getMessage(), failure);
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new MailboxException(Reason.NO_REPLY, peer, "the chain of " + count + " PINGs to " + core.describe(core.queue(peer))
                + " did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MailboxException(Reason.NO_REPLY, peer, "interrupted while pinging " + core.describe(core.queue(peer)));
        }
    }

    private void chainPing(int peer, long[] samples, int index, long timeoutNanos, CompletableFuture<long[]> done) {
        int payload = core.pingPayload.incrementAndGet() & MailboxWord.PAYLOAD_MASK;
        long start = System.nanoTime();
        requestAsync(peer, MailboxType.PING, payload, 1 << MailboxType.PONG.code(), ReplyCheck.echoes(payload), timeoutNanos)
            .whenComplete((reply, error) -> {
                samples[index] = System.nanoTime() - start;
                if (error != null) {
                    done.completeExceptionally(error);
                } else if (index + 1 < samples.length) {
                    chainPing(peer, samples, index + 1, timeoutNanos, done);
                } else {
                    done.complete(samples);
                }
            });
    }
}
