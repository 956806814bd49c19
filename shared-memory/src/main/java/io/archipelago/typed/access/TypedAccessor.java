package io.archipelago.typed.access;

import io.archipelago.typed.TypedObject;
import java.lang.foreign.MemorySegment;

/**
 * The base of every generated accessor: a flyweight view of one element of a region, in place.
 * A generated subclass implements the {@link io.archipelago.typed.Typed} interface with the
 * region's offsets, widths and byte order as constants (type-morphable code); moving the view
 * to another element changes one field, so a scan allocates nothing.
 *
 * <ul>
 *   <li>array of structs, and nested structs: {@code base} is the element's byte offset in
 *       {@code segment}, a member is at {@code base + OFFSET};</li>
 *   <li>struct of arrays (top level): {@code base} is the element index, a member is at
 *       {@code COLUMN + base * STRIDE}.</li>
 * </ul>
 */
public abstract class TypedAccessor implements TypedObject {

    /** The region's memory: a slice of global memory, so an access can never leave the region. */
    protected final MemorySegment segment;
    /** See the class comment. */
    protected long base;
    /** The element index in the region. */
    protected long index;
    protected final RegionBinding region;
    /** The software-coherence check; null for hardware-coherent regions (whose accessors never read it). */
    protected final AccessGuard guard;
    private final boolean columns;
    private final boolean nested;

    protected TypedAccessor(MemorySegment segment, long base, long index, RegionBinding region, AccessGuard guard, boolean columns,
                            boolean nested) {
        this.segment = segment;
        this.base = base;
        this.index = index;
        this.region = region;
        this.guard = guard;
        this.columns = columns;
        this.nested = nested;
    }

    /** Moves this view to element {@code index} of its region. */
    public final void moveTo(long elementIndex) {
        if (nested) {
            throw new IllegalStateException("a view of a nested struct moves with its element: move the element's view");
        }
        region.checkElement(elementIndex);
        this.index = elementIndex;
        this.base = columns ? elementIndex : elementIndex * region.elementSize();
    }

    /** The region the element lives in. */
    public final RegionBinding binding() {
        return region;
    }

    @Override
    public final long globalAddress() {
        return nested || !columns ? region.globalOffset() + base : region.addressOf(index);
    }

    @Override
    public final long index() {
        return index;
    }

    @Override
    public final String regionName() {
        return region.name();
    }

    @Override
    public String toString() {
        return getClass().getInterfaces()[0].getSimpleName() + "[" + index + "] of " + region + " at 0x" + Long.toHexString(globalAddress());
    }
}
