package io.archipelago.program;

import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.layout.ArrayLayout;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.ScalarLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Atomic access to one integer member (or an array of them) of the elements of a typed region,
 * in the region's own layout (its offset, width and byte order: a big-endian ppc32 table is CASed
 * big-endian). The typed accessors give plain loads and stores; the few words several kernels
 * change at once (task ownership, the NightWatch gate, the pid counter, the slot map) go through
 * here.
 * <p>
 * On a hardware-coherent region this is the processor's compare-and-set on global memory. On a
 * software-coherent one (the DSM) every operation runs in an exclusive section of the element
 * ({@link TypedRegion#exclusive}): its page is VALID and pinned in this kernel, and no other
 * kernel can take it, while the operation reads and writes this kernel's copy.
 */
public final class SharedWord {

    private final String description;
    private final TypedRegion<?> typed;
    private final long regionAddress;
    private final long offset;
    private final int width;
    private final int items;
    private final VarHandle handle;

    private SharedWord(TypedRegion<?> typed, String member, long offset, int width, int items, ScalarLayout scalar) {
        this.typed = typed;
        this.description = "member " + member + " of region '" + typed.name() + "'";
        this.regionAddress = typed.contract().getLocation().getOffset();
        this.offset = offset;
        this.width = width;
        this.items = items;
        this.handle = (width == 4 ? ValueLayout.JAVA_INT.withOrder(scalar.order()) : ValueLayout.JAVA_LONG.withOrder(scalar.order())).varHandle();
    }

    /**
     * The member {@code member} (a 4- or 8-byte integer, or a one-dimensional array of them) of an
     * array-of-structs region.
     *
     * @throws IllegalArgumentException if the member is missing, not such an integer, not
     *                                  naturally aligned in every element, or the region is a struct of arrays
     */
    public static SharedWord of(TypedRegion<?> region, String member) {
        if (region.structOfArrays()) {
            throw new IllegalArgumentException("region '" + region.name() + "' is a struct of arrays: atomic members need an array of structs");
        }
        MemberLayout found = region.layout().member(member).orElseThrow(() -> new IllegalArgumentException("region '" + region.name()
            + "' (" + region.layout().cName() + ") has no member " + member));
        Layout layout = found.layout();
        int items = 1;
        if (layout instanceof ArrayLayout array && array.length() > 0) {
            items = Math.toIntExact(array.length());
            layout = array.element();
        }
        if (!(layout instanceof ScalarLayout scalar) || !scalar.kind().isInteger() || (scalar.width() != 4 && scalar.width() != 8)) {
            throw new IllegalArgumentException(member + " of region '" + region.name() + "' is " + found.layout().cName()
                + ": atomic access needs 4- or 8-byte integers");
        }
        if (found.offset() % scalar.width() != 0 || region.contract().getElementSize() % scalar.width() != 0) {
            throw new IllegalArgumentException(member + " of region '" + region.name() + "' is not naturally aligned in every element ("
                + "offset " + found.offset() + ", element size " + region.contract().getElementSize() + "): it cannot be changed atomically");
        }
        return new SharedWord(region, member, found.offset(), scalar.width(), items, scalar);
    }

    /** Items of an array member (1 for a scalar). */
    public int items() {
        return items;
    }

    private long at(long index, int item) {
        if (item < 0 || item >= items) {
            throw new IndexOutOfBoundsException(description + " has items 0.." + (items - 1) + ", not " + item);
        }
        return typed.addressOf(index) - regionAddress + offset + (long) item * width;
    }

    private long rawGet(MemorySegment memory, long at) {
        return width == 4 ? Integer.toUnsignedLong((int) handle.getVolatile(memory, at)) : (long) handle.getVolatile(memory, at);
    }

    private boolean rawCompareAndSet(MemorySegment memory, long at, long expected, long update) {
        return width == 4 ? handle.compareAndSet(memory, at, (int) expected, (int) update) : handle.compareAndSet(memory, at, expected, update);
    }

    private <R> R atomically(long index, java.util.function.Supplier<R> operation) {
        return typed.softwareCoherent() ? typed.exclusive(index, element -> operation.get()) : operation.get();
    }

    /** The member's value in element {@code index} (a 4-byte member zero-extended). */
    public long get(long index) {
        return get(index, 0);
    }

    public long get(long index, int item) {
        long at = at(index, item);
        return atomically(index, () -> rawGet(typed.memory(), at));
    }

    /** Every item of the member in element {@code index}, read in one section. */
    public long[] getAll(long index) {
        long first = at(index, 0);
        return atomically(index, () -> {
            long[] values = new long[items];
            for (int i = 0; i < items; i++) {
                values[i] = rawGet(typed.memory(), first + (long) i * width);
            }
            return values;
        });
    }

    public void set(long index, long value) {
        set(index, 0, value);
    }

    public void set(long index, int item, long value) {
        long at = at(index, item);
        atomically(index, () -> {
            if (width == 4) {
                handle.setVolatile(typed.memory(), at, (int) value);
            } else {
                handle.setVolatile(typed.memory(), at, value);
            }
            return null;
        });
    }

    /** Sets the member to {@code update} if it still holds {@code expected}. */
    public boolean compareAndSet(long index, long expected, long update) {
        return compareAndSet(index, 0, expected, update);
    }

    public boolean compareAndSet(long index, int item, long expected, long update) {
        long at = at(index, item);
        return atomically(index, () -> rawCompareAndSet(typed.memory(), at, expected, update));
    }

    /** Adds {@code delta} atomically; returns the new value. */
    public long addAndGet(long index, long delta) {
        long at = at(index, 0);
        return atomically(index, () -> {
            while (true) {
                long current = rawGet(typed.memory(), at);
                long next = width == 4 ? (current + delta) & 0xFFFF_FFFFL : current + delta;
                if (rawCompareAndSet(typed.memory(), at, current, next)) {
                    return next;
                }
                Thread.onSpinWait();
            }
        });
    }

    @Override
    public String toString() {
        return description;
    }
}
