package io.archipelago.kernel.messages;

import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.typed.region.TypedRegion;

/**
 * An object this kernel owns and applies other kernels' requests to ({@code messages.proto}'s
 * operations): elements {@code [first, first + count)} of a region of {@link BenchItem}s. The
 * operations themselves are the benchmark's (the same code its shared-memory ways run), so they
 * come with the bench workloads' plug-in; a kernel without it refuses to bind objects.
 */
public interface OwnedObject {

    long readField();

    long updateField(long value);

    void readStruct(ObjectReply.Builder reply);

    /** Sums the object's elements; {@link #matched()} then says how many matched. */
    long scan();

    long matched();

    long increment();

    long updateStruct(long value);

    /** Makes the objects a kernel owns (its requests come one at a time, on the owner's thread). */
    @FunctionalInterface
    interface Binder {

        /** Refuses every object: what a kernel serves when no plug-in brings the operations. */
        Binder NONE = (region, first, count) -> {
            throw new IllegalStateException("this kernel serves no objects by messages (it was launched without the bench workloads' "
                + "plug-in, which only the benchmarks' clusters load)");
        };

        OwnedObject bind(TypedRegion<BenchItem> region, long first, long count);
    }
}
