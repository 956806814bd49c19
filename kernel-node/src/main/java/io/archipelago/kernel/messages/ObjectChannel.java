package io.archipelago.kernel.messages;

import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;

/**
 * One requester thread's channel to an owner, whatever carries it: the gRPC stream
 * ({@link OwnerStream}) or the URPC rings in global memory ({@link UrpcOwnerStream}). One request
 * outstanding at a time; one per thread.
 */
public interface ObjectChannel extends AutoCloseable {

    /**
     * Sends {@code request} and returns the owner's reply.
     *
     * @throws MessageException when the owner does not answer within the deadline, the channel
     *                          fails, or the owner answers with an error
     */
    ObjectReply call(ObjectRequest request);

    /** Binds an object of the owner's (a region it holds, elements [first, first + count)); returns its handle. */
    default int bind(String region, long first, long count) {
        return call(ObjectRequest.newBuilder().setOp(ObjectOp.BIND).setRegion(region).setFirst(first).setCount(count).build()).getHandle();
    }

    @Override
    void close();
}
