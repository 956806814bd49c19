package io.archipelago.kernel.messages;

import io.archipelago.messages.proto.ObjectMessagesGrpc;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * One requester thread's stream to an owner: {@link #call} sends a request and waits (parked,
 * with a deadline) for its reply. Replies come in request order; one request is outstanding at a
 * time. Not thread-safe: one per thread.
 */
public final class OwnerStream implements ObjectChannel {

    private final String owner;
    private final long timeoutNanos;
    private final StreamObserver<ObjectRequest> requests;
    private volatile ObjectReply reply;
    private volatile Throwable failure;
    private volatile Thread waiter;
    private boolean closed;

    OwnerStream(Channel channel, String owner, Duration replyTimeout) {
        this.owner = owner;
        this.timeoutNanos = replyTimeout.toNanos();
        this.requests = ObjectMessagesGrpc.newStub(channel).exchange(new StreamObserver<>() {
            @Override
            public void onNext(ObjectReply value) {
                reply = value;
                LockSupport.unpark(waiter);
            }

            @Override
            public void onError(Throwable t) {
                failure = t;
                LockSupport.unpark(waiter);
            }

            @Override
            public void onCompleted() {
                failure = new IllegalStateException("the owner ended the stream");
                LockSupport.unpark(waiter);
            }
        });
    }

    /**
     * Sends {@code request} and returns the owner's reply.
     *
     * @throws MessageException when the owner does not answer within the deadline, the stream
     *                          fails, or the owner answers with an error
     */
    @Override
    public ObjectReply call(ObjectRequest request) {
        waiter = Thread.currentThread();
        Throwable failed = failure;
        if (failed != null) {
            throw failure(failed);
        }
        requests.onNext(request);
        long deadline = System.nanoTime() + timeoutNanos;
        ObjectReply answer;
        while ((answer = reply) == null) {
            failed = failure;
            if (failed != null) {
                throw failure(failed);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new MessageException("owner " + owner + " did not answer " + request.getOp() + " within " + timeoutNanos / 1_000_000 + " ms");
            }
            LockSupport.parkNanos(this, remaining);
        }
        reply = null;
        if (!answer.getError().isEmpty()) {
            throw new MessageException("owner " + owner + " refused " + request.getOp() + ": " + answer.getError());
        }
        return answer;
    }

    private MessageException failure(Throwable failed) {
        return new MessageException("the stream to owner " + owner + " failed: " + Status.fromThrowable(failed).getCode() + ": "
            + (failed.getMessage() == null ? failed.toString() : failed.getMessage()), failed);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (failure == null) {
                requests.onCompleted();
            }
        }
    }
}
