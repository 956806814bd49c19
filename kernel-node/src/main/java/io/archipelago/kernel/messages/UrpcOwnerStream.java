package io.archipelago.kernel.messages;

import com.google.protobuf.InvalidProtocolBufferException;
import io.archipelago.interconnect.urpc.UrpcEndpoint;
import io.archipelago.interconnect.urpc.UrpcException;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;

/**
 * One requester thread's channel to an owner over the URPC rings in global memory: the request
 * encoded as Protocol Buffers into the ring towards the owner, the reply taken from the ring back.
 */
public final class UrpcOwnerStream implements ObjectChannel {

    private final UrpcEndpoint.Stream stream;
    private final String owner;

    UrpcOwnerStream(UrpcEndpoint.Stream stream, String owner) {
        this.stream = stream;
        this.owner = owner;
    }

    @Override
    public ObjectReply call(ObjectRequest request) {
        byte[] bytes;
        try {
            bytes = stream.call(request.toByteArray());
        } catch (UrpcException e) {
            throw new MessageException(e.getMessage(), e);
        }
        ObjectReply answer;
        try {
            answer = ObjectReply.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new MessageException("owner " + owner + " answered " + request.getOp() + " over URPC with " + bytes.length
                + " bytes that are no ObjectReply: " + e.getMessage(), e);
        }
        if (!answer.getError().isEmpty()) {
            throw new MessageException("owner " + owner + " refused " + request.getOp() + ": " + answer.getError());
        }
        return answer;
    }

    @Override
    public void close() {
        stream.close();
    }
}
