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
    /**
     * Software-coherent regions: the byte range {@code [heldFrom, heldFrom + heldSpan)} of the
     * segment this view may access with plain loads and stores: a page this thread holds for its
     * use ({@link HeldPages}), or the element an exclusive section holds. Empty (span 0) when none.
     */
    private long heldFrom;
    private long heldSpan;
    /** A view an exclusive section handed out: bound to its element, refused outside it, dead after the section. */
    private boolean bound;

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

    /** How many adjacent pages one view holds at most (a longer scan lets the first ones go and starts again). */
    private static final int MAX_HELD_PAGES = 64;

    /**
     * Before an access of a software-coherent region (generated code's fast path): whether the
     * access lies in the range this view holds, so that it is a plain load or store. One
     * unsigned comparison: an offset below {@code heldFrom} wraps to a huge value, and an empty
     * range holds nothing.
     */
    protected final boolean holds(long offset, int width) {
        return Long.compareUnsigned(offset - heldFrom + width, heldSpan) <= 0;
    }

    /**
     * Before an access {@link #holds} refused (generated code's slow path, out of line): true when
     * the caller must call {@link #release(long, int)} after its single load or store (a pin for
     * this access alone), false when the page is now held for the thread's use.
     */
    protected final boolean acquire(long offset, int width, boolean write) {
        if (holds(offset, width)) {
            return false;
        }
        return acquireSlow(offset, width, write);
    }

    /** After an access {@link #acquire} pinned for itself alone. */
    protected final void release(long offset, int width) {
        guard.exit(offset, width);
    }

    private boolean acquireSlow(long offset, int width, boolean write) {
        if (bound) {
            throw outsideSection(offset, width);
        }
        HeldPages held = HeldPages.current();
        int pageSize = guard.pageSize();
        long page = offset & -pageSize;
        if (held == null || offset + width > page + pageSize) {
            // no use open on this thread (nothing would let the page go), or a member straddling two pages
            guard.enter(offset, width, write);
            return true;
        }
        // a page next to the held ones extends the range (a view moving element by element keeps what it scanned)
        boolean next = heldSpan > 0 && heldSpan < (long) MAX_HELD_PAGES * pageSize
            && (page == heldFrom + heldSpan || page == heldFrom - pageSize);
        if (heldSpan > 0 && !next) {
            held.release(this);
        }
        if (!guard.tryHold(offset, width)) {
            guard.enter(offset, width, write); // a fault lets go of the thread's other held pages first (this view's too)
        }
        held.add(guard, page, this);
        if (heldSpan == 0) {
            heldFrom = page;
            heldSpan = pageSize;
        } else {
            heldFrom = Math.min(heldFrom, page);
            heldSpan += pageSize;
        }
        return false;
    }

    private RuntimeException outsideSection(long offset, int width) {
        if (heldSpan == 0) {
            return new IllegalStateException("this view of " + region + " was handed to an exclusive section that has ended: an "
                + "exclusive view is valid only inside its section (take another with at(index))");
        }
        return new IndexOutOfBoundsException("an access to bytes [" + offset + ", " + (offset + width) + ") of " + region
            + " is outside the element the exclusive section holds, bytes [" + heldFrom + ", " + (heldFrom + heldSpan) + "): an exclusive view "
            + "reaches only its own element (open a section over the other element, or use a view of it from at(index))");
    }

    /** The page this view cached was let go (a quiescent point). */
    final void forgetHeld() {
        heldFrom = 0;
        heldSpan = 0;
    }

    /**
     * Binds this view to an exclusive section over {@code [from, to)} of the segment: accesses in
     * it are plain loads and stores, any other is refused. Only for a view the section owns.
     */
    public final void bindToSection(long from, long to) {
        if (guard == null) {
            throw new IllegalStateException("only views of software-coherent regions are bound to exclusive sections");
        }
        bound = true;
        heldFrom = from;
        heldSpan = to - from;
    }

    /** The section ended: the view refuses every access from now on (until bound again). */
    public final void unbindFromSection() {
        heldFrom = 0;
        heldSpan = 0;
    }

    /** Whether this view is bound to an exclusive section that is still open. */
    public final boolean boundToOpenSection() {
        return bound && heldSpan > 0;
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

    /** {@link #moveTo} for an index the caller has checked against the region's elements. */
    public final void moveToChecked(long elementIndex) {
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
