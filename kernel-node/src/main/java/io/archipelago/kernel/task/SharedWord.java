package io.archipelago.kernel.task;

import io.archipelago.typed.TypedRegion;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.ScalarLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Atomic access to one integer member of the elements of a typed region, in the region's own
 * layout (its offset, width and byte order: a big-endian ppc32 table is CASed big-endian). The
 * typed accessors give plain loads and stores; the few words several kernels change at once
 * (task ownership, the NightWatch gate, the pid counter) go through here.
 * <p>
 * Hardware-coherent regions only, for now: when the DSM makes task regions software-coherent,
 * this is the one place that must fault the page in (exclusively) before the CAS.
 */
public final class SharedWord {

    private final String description;
    private final MemorySegment region;
    private final long regionAddress;
    private final TypedRegion<?> typed;
    private final long offset;
    private final int width;
    private final VarHandle handle;

    private SharedWord(TypedRegion<?> typed, String member, long offset, int width, ByteOrder order) {
        this.typed = typed;
        this.description = "member " + member + " of region '" + typed.name() + "'";
        this.region = typed.memory();
        this.regionAddress = typed.contract().getLocation().getOffset();
        this.offset = offset;
        this.width = width;
        this.handle = (width == 4 ? ValueLayout.JAVA_INT.withOrder(order) : ValueLayout.JAVA_LONG.withOrder(order)).varHandle();
    }

    /**
     * The member {@code member} (a 4- or 8-byte integer) of an array-of-structs region.
     *
     * @throws IllegalArgumentException if the member is missing, not an integer of 4 or 8 bytes,
     *                                  or the region is a struct of arrays
     */
    public static SharedWord of(TypedRegion<?> region, String member) {
        if (region.structOfArrays()) {
            throw new IllegalArgumentException("region '" + region.name() + "' is a struct of arrays: atomic members need an array of structs");
        }
        MemberLayout found = region.layout().member(member).orElseThrow(() -> new IllegalArgumentException("region '" + region.name()
            + "' (" + region.layout().cName() + ") has no member " + member));
        if (!(found.layout() instanceof ScalarLayout scalar) || !scalar.kind().isInteger() || (scalar.width() != 4 && scalar.width() != 8)) {
            throw new IllegalArgumentException(member + " of region '" + region.name() + "' is " + found.layout().cName()
                + ": atomic access needs a 4- or 8-byte integer");
        }
        if (found.offset() % scalar.width() != 0 || region.contract().getElementSize() % scalar.width() != 0) {
            throw new IllegalArgumentException(member + " of region '" + region.name() + "' is not naturally aligned in every element ("
                + "offset " + found.offset() + ", element size " + region.contract().getElementSize() + "): it cannot be changed atomically");
        }
        return new SharedWord(region, member, found.offset(), scalar.width(), scalar.order());
    }

    private long at(long index) {
        return typed.addressOf(index) - regionAddress + offset;
    }

    /** The member's value in element {@code index} (volatile read; a 4-byte member zero-extended). */
    public long get(long index) {
        return width == 4 ? Integer.toUnsignedLong((int) handle.getVolatile(region, at(index))) : (long) handle.getVolatile(region, at(index));
    }

    public void set(long index, long value) {
        if (width == 4) {
            handle.setVolatile(region, at(index), (int) value);
        } else {
            handle.setVolatile(region, at(index), value);
        }
    }

    /** Sets the member to {@code update} if it still holds {@code expected}. */
    public boolean compareAndSet(long index, long expected, long update) {
        return width == 4 ? handle.compareAndSet(region, at(index), (int) expected, (int) update)
            : handle.compareAndSet(region, at(index), expected, update);
    }

    /** Adds {@code delta} atomically; returns the new value. */
    public long addAndGet(long index, long delta) {
        while (true) {
            long current = get(index);
            long next = width == 4 ? (current + delta) & 0xFFFF_FFFFL : current + delta;
            if (compareAndSet(index, current, next)) {
                return next;
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
