package io.archipelago.kernel.messages;

import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The objects an owner kernel serves by messages, and the operations it applies to them: the
 * owner's side of message passing. Requests arrive on the owner's one message thread, so they are
 * applied one at a time and the object needs no lock; the work done on the object is the same
 * code as the shared-memory ways run, brought by the plug-in that binds objects ({@link OwnedObject.Binder}).
 */
final class OwnedObjects {

    private static final ObjectReply EMPTY = ObjectReply.getDefaultInstance();

    private final TypedMemory typed;
    private final OwnedObject.Binder binder;
    private final Map<Integer, OwnedObject> bound = new ConcurrentHashMap<>();
    private final AtomicInteger handles = new AtomicInteger();

    OwnedObjects(TypedMemory typed, OwnedObject.Binder binder) {
        this.typed = typed;
        this.binder = binder;
    }

    ObjectReply apply(ObjectRequest request) {
        switch (request.getOp()) {
            case NOOP:
                return EMPTY;
            case BIND:
                return bind(request);
            default:
                break;
        }
        OwnedObject object = bound.get(request.getHandle());
        if (object == null) {
            return error("no object has handle " + request.getHandle() + " here: BIND it first");
        }
        return switch (request.getOp()) {
            case READ_FIELD -> ObjectReply.newBuilder().setValue(object.readField()).build();
            case UPDATE_FIELD -> {
                object.updateField(request.getValue());
                yield EMPTY;
            }
            case READ_STRUCT -> {
                ObjectReply.Builder reply = ObjectReply.newBuilder();
                object.readStruct(reply);
                yield reply.build();
            }
            case SCAN -> {
                long sum = object.scan();
                yield ObjectReply.newBuilder().setSum(sum).setMatched(object.matched()).build();
            }
            case INCREMENT -> ObjectReply.newBuilder().setValue(object.increment()).build();
            case UPDATE_STRUCT -> ObjectReply.newBuilder().setValue(object.updateStruct(request.getValue())).build();
            default -> error("unknown operation " + request.getOpValue());
        };
    }

    private ObjectReply bind(ObjectRequest request) {
        try {
            TypedRegion<BenchItem> region = typed.attach(request.getRegion(), BenchItem.class);
            int handle = handles.incrementAndGet();
            bound.put(handle, binder.bind(region, request.getFirst(), request.getCount()));
            return ObjectReply.newBuilder().setHandle(handle).build();
        } catch (RuntimeException e) {
            return error("cannot bind " + request.getRegion() + " [" + request.getFirst() + ", +" + request.getCount() + "): " + e.getMessage());
        }
    }

    /** Forgets a handle (its stream ended). */
    void release(int handle) {
        bound.remove(handle);
    }

    private static ObjectReply error(String message) {
        return ObjectReply.newBuilder().setError(message).build();
    }
}
