package io.archipelago.typed.region;

import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.Typed;
import io.archipelago.typed.access.RegionBinding;
import io.archipelago.typed.access.ViewFactory;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Contract;
import java.lang.foreign.MemorySegment;

/**
 * A region of typed shared memory as one kernel sees it through one view (a {@link Typed}
 * interface): its contract, and views of its elements, in place in global memory.
 *
 * <pre>{@code
 * TypedRegion<Task> tasks = typed.attach("tasks", Task.class);
 * Task task = tasks.at(3);                 // a view of element 3
 * task.pid(42);                            // written in place, in the region's own layout
 * Task cursor = tasks.at(0);
 * for (long i = 0; i < tasks.count(); i++) {
 *     tasks.moveTo(cursor, i);             // a scan allocates nothing
 *     sum += cursor.nvcsw();
 * }
 * }</pre>
 */
public final class TypedRegion<T> {

    private final Contract contract;
    private final Class<T> view;
    private final RecordLayout layout;
    private final MemorySegment memory;
    private final RegionBinding binding;
    private final ViewFactory<T> views;
    private final AccessorKind accessor;
    private final io.archipelago.typed.access.AccessGuard guard;
    private final java.util.concurrent.locks.ReentrantLock[] localLocks;
    private final boolean boundSections;
    /**
     * The seat of the thread that last opened a section over this region (read and written
     * without ordering: a thread that finds another's seat here looks its own up instead).
     */
    private SectionSeat<T> lastSeat;

    TypedRegion(Contract contract, Class<T> view, RecordLayout layout, MemorySegment memory, RegionBinding binding, ViewFactory<T> views,
                AccessorKind accessor, io.archipelago.typed.access.AccessGuard guard) {
        this.contract = contract;
        this.view = view;
        this.layout = layout;
        this.memory = memory;
        this.binding = binding;
        this.views = views;
        this.accessor = accessor;
        this.guard = guard;
        this.localLocks = guard == null ? new java.util.concurrent.locks.ReentrantLock[64] : null;
        this.boundSections = guard != null && guard.allocationFreeSections() && views instanceof ViewFactory.Generated
            && contract.getArrayLayout() != ArrayLayout.STRUCT_OF_ARRAYS;
        if (localLocks != null) {
            java.util.Arrays.setAll(localLocks, i -> new java.util.concurrent.locks.ReentrantLock());
        }
    }

    public String name() {
        return contract.getName();
    }

    /** The contract as it was when this kernel attached. */
    public Contract contract() {
        return contract;
    }

    public Class<T> view() {
        return view;
    }

    public long count() {
        return contract.getCount();
    }

    /** The data model the region is laid out for (its creator's). */
    public DataModel dataModel() {
        return DataModel.byId(contract.getDataModel());
    }

    /** The element's concrete layout. */
    public RecordLayout layout() {
        return layout;
    }

    public boolean structOfArrays() {
        return contract.getArrayLayout() == ArrayLayout.STRUCT_OF_ARRAYS;
    }

    /** Native, morphed or interpreted. */
    public AccessorKind accessor() {
        return accessor;
    }

    /** A new view of element {@code index}. */
    public T at(long index) {
        return views.view(index);
    }

    /** Moves a view of this region to element {@code index}. */
    public void moveTo(T element, long index) {
        views.moveTo(element, index);
    }

    /**
     * Runs {@code body} on element {@code index} with the element held exclusively, so that a
     * read-modify-write in it is atomic. On a software-coherent region the element's pages stay
     * VALID in this kernel and no other kernel can take them until {@code body} returns, and this
     * kernel's exclusive sections over them run one at a time: atomic across the cluster. On a
     * hardware-coherent region the sections of this kernel's threads run one at a time; other
     * kernels are not excluded (on coherent hardware that takes atomic instructions).
     */
    public <R> R exclusive(long index, java.util.function.Function<? super T, R> body) {
        binding.checkElement(index);
        if (!boundSections && structOfArrays()) {
            throw new UnsupportedOperationException("exclusive sections need an array-of-structs region; '" + name()
                + "' is struct of arrays");
        }
        long offset = index * binding.elementSize();
        if (boundSections) {
            return exclusiveHeld(index, offset, body);
        }
        T element = at(index);
        if (guard != null) {
            try (io.archipelago.typed.access.AccessGuard.Section section = guard.exclusive(offset, binding.elementSize())) {
                return body.apply(element);
            }
        }
        java.util.concurrent.locks.ReentrantLock lock = localLocks[(int) Math.floorMod(index, (long) localLocks.length)];
        lock.lock();
        try {
            return body.apply(element);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #exclusive} for a body that returns a {@code long}: nothing boxed, so that on a
     * software-coherent region whose pages this kernel holds a section allocates nothing at all.
     */
    public long exclusiveAsLong(long index, java.util.function.ToLongFunction<? super T> body) {
        // small enough for the JIT to inline at any call site (a call site shared with hardware-coherent objects is not "hot"):
        // the section's steady state then compiles into the caller, with the body
        if (!boundSections) {
            return exclusiveBoxed(index, body);
        }
        return seat(index).runAsLong(this, index, body);
    }

    private long exclusiveBoxed(long index, java.util.function.ToLongFunction<? super T> body) {
        return exclusive(index, element -> body.applyAsLong(element));
    }

    /**
     * A software-coherent section: the body gets a view bound to the held element (plain loads
     * and stores, an access outside the element refused), this thread's own, reused from one
     * section to the next; a section opened inside another gets a view of its own.
     */
    private <R> R exclusiveHeld(long index, long offset, java.util.function.Function<? super T, R> body) {
        long length = binding.elementSize();
        SectionSeat<T> seat = seat(index);
        io.archipelago.typed.access.HeldPages held = seat.held;
        T element = seat.viewFor(this, index);
        io.archipelago.typed.access.TypedAccessor view = (io.archipelago.typed.access.TypedAccessor) element;
        long token = guard.enterExclusive(offset, length, held);
        try {
            view.bindToSection(offset, offset + length);
            return body.apply(element);
        } finally {
            view.unbindFromSection();
            guard.exitExclusive(offset, length, held, token);
        }
    }

    /**
     * This thread's seat for sections over this region, with {@code index} checked: the last
     * seat used when it is this thread's (a field read and a comparison: a thread's sections in
     * a row never look up its {@link io.archipelago.typed.access.HeldPages}), else this thread's
     * own, made once and kept in its held pages.
     */
    private SectionSeat<T> seat(long index) {
        binding.checkElement(index);
        SectionSeat<T> seat = lastSeat;
        if (seat != null && seat.thread == Thread.currentThread()) {
            return seat;
        }
        return otherSeat();
    }

    @SuppressWarnings("unchecked")
    private SectionSeat<T> otherSeat() {
        io.archipelago.typed.access.HeldPages held = io.archipelago.typed.access.HeldPages.mine();
        SectionSeat<T> seat = (SectionSeat<T>) held.sectionView(this);
        if (seat == null) {
            seat = new SectionSeat<>(Thread.currentThread(), held, at(0));
            held.keepSectionView(this, seat);
        }
        lastSeat = seat;
        return seat;
    }

    /**
     * One thread's reusable view for its sections over one region, and its held pages; final
     * fields, so that another thread that reads it through {@link #lastSeat} sees it whole.
     */
    private static final class SectionSeat<T> {
        final Thread thread;
        final io.archipelago.typed.access.HeldPages held;
        final T view;

        SectionSeat(Thread thread, io.archipelago.typed.access.HeldPages held, T view) {
            this.thread = thread;
            this.held = held;
            this.view = view;
        }

        /** {@link TypedRegion#exclusiveAsLong}'s section, on this seat's view: bound to the held element while {@code body} runs. */
        long runAsLong(TypedRegion<T> region, long index, java.util.function.ToLongFunction<? super T> body) {
            long length = region.binding.elementSize();
            long offset = index * length;
            T element = viewFor(region, index);
            io.archipelago.typed.access.TypedAccessor view = (io.archipelago.typed.access.TypedAccessor) element;
            io.archipelago.typed.access.AccessGuard guard = region.guard;
            long token = guard.enterExclusive(offset, length, held);
            try {
                view.bindToSection(offset, offset + length);
                return body.applyAsLong(element);
            } finally {
                view.unbindFromSection();
                guard.exitExclusive(offset, length, held, token);
            }
        }

        /** The seat's view moved to element {@code index}, or a view of its own for a section inside another over this region. */
        T viewFor(TypedRegion<T> region, long index) {
            io.archipelago.typed.access.TypedAccessor accessor = (io.archipelago.typed.access.TypedAccessor) view;
            if (accessor.boundToOpenSection()) {
                return region.at(index);
            }
            accessor.moveToChecked(index);
            return view;
        }
    }

    /** Software-coherent (kept coherent by the DSM) or hardware-coherent. */
    public boolean softwareCoherent() {
        return guard != null;
    }

    /** The global-memory address of element {@code index}: what a pointer to it holds. */
    public long addressOf(long index) {
        binding.checkElement(index);
        return binding.addressOf(index);
    }

    /** The region's bytes: in global memory, or for a software-coherent region this kernel's private copy of them. */
    public MemorySegment memory() {
        return memory;
    }

    RegionBinding binding() {
        return binding;
    }

    @Override
    public String toString() {
        return "region '" + name() + "' (" + count() + " x " + contract.getTypeName() + ", " + contract.getDataModel() + ", "
            + accessor.name().toLowerCase(java.util.Locale.ROOT) + " view " + view.getSimpleName() + ")";
    }
}
