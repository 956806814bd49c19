package io.archipelago.typed.region;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.FormatMismatchException;
import io.archipelago.typed.InvalidPointerException;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.TypedInterface;
import io.archipelago.typed.access.AccessGuard;
import io.archipelago.typed.access.AccessorFactory;
import io.archipelago.typed.access.RegionBinding;
import io.archipelago.typed.access.RemoteLineCosts;
import io.archipelago.typed.access.ViewFactory;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.PageAllocator;
import io.archipelago.typed.alloc.PageRun;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.TypeBudgetException;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.proto.Column;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.proto.Location;
import io.archipelago.typed.proto.RegionKind;
import io.archipelago.typed.proto.RegionState;
import io.archipelago.typed.proto.TypeDesc;
import io.archipelago.typed.registry.ContractCodec;
import io.archipelago.typed.registry.RegionRegistry;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Typed shared memory as one kernel uses it (paper 1): an allocator with a type argument that
 * binds a global name and a contract to a region ({@link #create}), attach by name with a
 * format check and accessors generated for the region's layout ({@link #attach}), shared
 * global variables ({@link #global}), and checked pointer dereference ({@link #dereference}).
 * <p>
 * A region is hardware-coherent (plain loads and stores in global memory, attachable from its
 * home coherence domain, and from another only where the platform models remote memory, whose
 * cost its accessors there pay per cache line) or software-coherent (K2's DSM keeps it coherent across
 * domains: accessors work on the kernel's private copy, through the {@link SoftwareCoherence}
 * guard; code using the region does not change).
 */
public final class TypedMemory {

    /** The kernel using typed memory: who creates and attaches, in which data model. */
    public record Identity(int kernelId, String kernelName, long incarnation, DataModel dataModel, String coherenceDomain) {
        public Identity {
            Objects.requireNonNull(kernelName, "kernelName");
            Objects.requireNonNull(dataModel, "dataModel");
            Objects.requireNonNull(coherenceDomain, "coherenceDomain");
        }

        /** A kernel in the default coherence domain "a". */
        public Identity(int kernelId, String kernelName, long incarnation, DataModel dataModel) {
            this(kernelId, kernelName, incarnation, dataModel, "a");
        }
    }

    /** How the views of an attached region access memory. */
    public enum Access { GENERATED, INTERPRETED }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:/-]{1,128}");
    public static final Duration DEFAULT_CREATION_WAIT = Duration.ofSeconds(10);

    private final GlobalMemory memory;
    private final RegionRegistry registry;
    private final Identity self;
    private final PageAllocator allocator;
    private final Duration creationWait;
    private volatile SoftwareCoherence softwareCoherence;
    private volatile Function<String, RemoteLineCosts> remoteLineCosts = home -> RemoteLineCosts.NONE;
    private final Map<String, TypedRegion<?>> attached = new ConcurrentHashMap<>();
    /** READY regions this kernel has seen, by global address, for pointer checks. */
    private final java.util.TreeMap<Long, Contract> byAddress = new java.util.TreeMap<>();

    public TypedMemory(GlobalMemory memory, RegionRegistry registry, Identity self, PageAllocator allocator, Duration creationWait) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.self = Objects.requireNonNull(self, "self");
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        this.creationWait = creationWait;
    }

    /**
     * Typed memory for a kernel, allocating from the page blocks it owns with a
     * {@link BuddyPageAllocator} of its own; the pages its regions already use (a restarted
     * kernel) are found in the registry. A running kernel passes its page-allocator service's
     * allocator instead ({@link #forKernel(GlobalMemory, RegionRegistry, Identity, PageAllocator)}).
     */
    public static TypedMemory forKernel(GlobalMemory memory, RegionRegistry registry, Identity self) {
        BuddyPageAllocator allocator = BuddyPageAllocator.forKernel(memory, self.kernelId(),
            pagesInUse(registry, self.kernelId(), memory.geometry().pageSize()), memory.countersArea(self.kernelId()));
        return forKernel(memory, registry, self, allocator);
    }

    /** Typed memory for a kernel whose pages come from {@code allocator} (the kernel's page allocator). */
    public static TypedMemory forKernel(GlobalMemory memory, RegionRegistry registry, Identity self, PageAllocator allocator) {
        return new TypedMemory(memory, registry, self, allocator, DEFAULT_CREATION_WAIT);
    }

    /**
     * The pages the registered regions of a kernel occupy (the registry records every region's
     * location and owner): what a restarted kernel's allocator must not hand out again.
     */
    public static List<PageRun> pagesInUse(RegionRegistry registry, int kernelId, int pageSize) {
        return registry.all().stream()
            .filter(c -> c.getLocation().getOwnerKernel() == kernelId && c.getLocation().getPages() > 0)
            .map(c -> new PageRun(c.getLocation().getOffset(), c.getLocation().getPages(), pageSize))
            .toList();
    }

    /** Lets this kernel create and attach software-coherent regions, kept coherent by {@code dsm}. */
    public void useSoftwareCoherence(SoftwareCoherence dsm) {
        this.softwareCoherence = Objects.requireNonNull(dsm, "dsm");
    }

    /**
     * Lets this kernel attach hardware-coherent regions homed in other coherence domains where
     * {@code costs} (a region's home domain to the platform's remote-line costs from this kernel's
     * domain) gives a cost: their accessors pay it per cache line. Without it, or where it gives
     * {@link RemoteLineCosts#NONE}, such an attach is refused.
     */
    public void useRemoteLineCosts(Function<String, RemoteLineCosts> costs) {
        this.remoteLineCosts = Objects.requireNonNull(costs, "costs");
    }

    public Identity self() {
        return self;
    }

    public RegionRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------ create

    /** Creates an array of {@code count} elements of the struct {@code view} describes, zeroed, in this kernel's layout. */
    public <T> TypedRegion<T> create(String name, Class<T> view, long count) {
        return create(name, view, count, ArrayLayout.ARRAY_OF_STRUCTS, region -> { });
    }

    /**
     * Creates a region: allocates pages from this kernel's page blocks, claims the name (atomic
     * across kernels), zeroes the memory, runs {@code initialise} (before anyone can attach),
     * then publishes the contract as READY.
     *
     * @throws RegionException.Exists if the name is taken (even by a create racing this one)
     */
    public <T> TypedRegion<T> create(String name, Class<T> view, long count, ArrayLayout arrangement, Consumer<TypedRegion<T>> initialise) {
        return create(name, view, count, arrangement, Coherence.HARDWARE, initialise);
    }

    /**
     * Creates a region with the given coherence: {@link Coherence#HARDWARE} for kernels of this
     * kernel's coherence domain, {@link Coherence#SOFTWARE} to share it across domains (the DSM).
     */
    public <T> TypedRegion<T> create(String name, Class<T> view, long count, ArrayLayout arrangement, Coherence coherence,
                                     Consumer<TypedRegion<T>> initialise) {
        TypedInterface typed = TypedInterface.of(view);
        Contract contract = create(name, typed.record(), count, arrangement, coherence, RegionKind.ARRAY, region -> {
            TypedRegion<T> typedRegion = open(region, view, Access.GENERATED);
            initialise.accept(typedRegion);
        });
        return attach(contract.getName(), view);
    }

    /** Creates a region of a struct described by a header (see {@link io.archipelago.typed.header.HeaderParser}). */
    public Contract create(String name, RecordType type, long count, ArrayLayout arrangement) {
        return create(name, type, count, arrangement, Coherence.HARDWARE);
    }

    /** Creates a region of a struct described by a header, with the given coherence. */
    public Contract create(String name, RecordType type, long count, ArrayLayout arrangement, Coherence coherence) {
        return create(name, type, count, arrangement, coherence, RegionKind.ARRAY, contract -> { });
    }

    private Contract create(String name, RecordType type, long count, ArrayLayout arrangement, Coherence coherence, RegionKind kind,
                            Consumer<Contract> initialise) {
        if (coherence != Coherence.HARDWARE && coherence != Coherence.SOFTWARE) {
            throw new IllegalArgumentException("region '" + name + "': coherence is HARDWARE or SOFTWARE, found " + coherence);
        }
        if (coherence == Coherence.SOFTWARE && softwareCoherence == null) {
            throw new RegionException("region '" + name + "': kernel " + self.kernelName() + " runs no DSM, so it cannot create a "
                + "software-coherent region");
        }
        checkName(name);
        if (count < 1) {
            throw new IllegalArgumentException("region '" + name + "' needs at least one element, found " + count);
        }
        if (type.tag() == null) {
            throw new IllegalArgumentException("region '" + name + "': its struct needs a name (a tag or a typedef name)");
        }
        registry.get(name).ifPresent(existing -> {
            throw exists(existing);
        });
        // encoded first: the encoder refuses a type over a budget (too deep to store) before anything recurses into it
        TypeDesc encodedType;
        try {
            encodedType = ContractCodec.encode(type);
        } catch (TypeBudgetException e) {
            throw new IllegalArgumentException("region '" + name + "': " + e.getMessage(), e);
        }
        RecordLayout layout = self.dataModel().layoutEngine().record(type);
        if (layout.size() == 0) {
            throw new IllegalArgumentException("region '" + name + "': " + type.cName() + " has size 0 on " + self.dataModel());
        }
        Contract.Builder contract = Contract.newBuilder()
            .setName(name)
            .setNameHash(ContractCodec.nameHash(name))
            .setType(encodedType)
            .setTypeName(type.cName())
            .setDataModel(self.dataModel().id())
            .setLayout(ContractCodec.encode(layout))
            .setArrayLayout(arrangement == ArrayLayout.STRUCT_OF_ARRAYS ? ArrayLayout.STRUCT_OF_ARRAYS : ArrayLayout.ARRAY_OF_STRUCTS)
            .setCount(count)
            .setCoherence(coherence)
            .setHomeDomain(self.coherenceDomain())
            .setKind(kind)
            .setState(RegionState.CREATING)
            .setCreatorKernel(self.kernelId())
            .setCreatorName(self.kernelName())
            .setCreatorIncarnation(self.incarnation())
            .setCreatedAtMs(System.currentTimeMillis());
        long bytes;
        if (contract.getArrayLayout() == ArrayLayout.STRUCT_OF_ARRAYS) {
            long at = 0;
            for (MemberLayout member : layout.members()) {
                at = roundUp(at, member.layout().align());
                contract.addColumns(Column.newBuilder().setMember(member.name() == null ? "" : member.name()).setOffset(at)
                    .setStride(member.size()));
                at = Math.addExact(at, Math.multiplyExact(member.size(), count));
            }
            bytes = at;
        } else {
            contract.setElementSize(layout.size());
            bytes = Math.multiplyExact(layout.size(), count);
        }
        PageRun pages = allocator.allocate(bytes);
        contract.setLocation(Location.newBuilder().setOffset(pages.offset()).setBytes(bytes).setPages(pages.pages())
            .setOwnerKernel(self.kernelId()));
        Contract creating = contract.build();
        Optional<Contract> holder = registry.claim(creating);
        if (holder.isPresent()) {
            allocator.free(pages);
            throw exists(holder.get());
        }
        try {
            memory.segment().asSlice(pages.offset(), pages.bytes()).fill((byte) 0);
            if (coherence == Coherence.SOFTWARE) {
                forgetHolders(pages);
            }
            initialise.accept(creating);
            return registry.update(name, c -> c.toBuilder().setState(RegionState.READY).build()).orElseThrow(() ->
                new RegionException("region '" + name + "' vanished from the registry while kernel " + self.kernelName() + " created it"));
        } catch (RuntimeException | Error e) {
            registry.release(name, self.kernelId(), self.incarnation());
            allocator.free(pages);
            throw e;
        }
    }

    /** A new software-coherent region starts with DRAM current: no kernel holds any of its pages. */
    private void forgetHolders(PageRun pages) {
        long first = memory.pageFrame(pages.offset());
        for (long frame = first; frame < first + pages.pages(); frame++) {
            io.archipelago.memory.PageDirectory.Entry entry = memory.pageDirectory().read(frame);
            while (entry.held() && !memory.pageDirectory().transfer(entry, io.archipelago.memory.PageDirectory.NO_HOLDER)) {
                entry = memory.pageDirectory().read(frame);
            }
        }
    }

    private RegionException.Exists exists(Contract existing) {
        return new RegionException.Exists("region '" + existing.getName() + "' already exists: " + existing.getCount() + " x "
            + existing.getTypeName() + " (" + existing.getDataModel() + "), created by kernel " + existing.getCreatorName() + " (id "
            + existing.getCreatorKernel() + ")" + (existing.getState() == RegionState.CREATING ? ", still being initialised" : "")
            + "; attach it instead, or choose another name");
    }

    // ------------------------------------------------------------------ attach

    /** Attaches a region with a generated accessor for its layout (native or morphed). */
    public <T> TypedRegion<T> attach(String name, Class<T> view) {
        return attach(name, view, Access.GENERATED);
    }

    /**
     * Attaches a region by its global name: looks up the contract (waiting, bounded, while its
     * creator initialises it), checks the format against {@code view}, and returns views of its
     * elements. The attachment is recorded in the registry.
     *
     * @throws RegionException.Unknown   if no region has the name
     * @throws FormatMismatchException   if the view needs a member the region lacks, or of another kind
     */
    public <T> TypedRegion<T> attach(String name, Class<T> view, Access access) {
        return attach(name, view, access, Runnable::run);
    }

    /**
     * {@link #attach(String, Class)}, with the registry's attachment record written by
     * {@code recorder} rather than before this returns: the record is a write under the
     * registry's file lock, about half of a cold attach, and a thread adopted by migration
     * should not wait for it before its first step. Until the record is written the region
     * does not count as attached by this kernel: its pages are freed only by their owner (or, if
     * the owner is dead, by the coordinator when no other live kernel has it attached), and a
     * migration's source, which holds its own record, stays attached meanwhile.
     */
    @SuppressWarnings("unchecked")
    public <T> TypedRegion<T> attach(String name, Class<T> view, Access access, java.util.concurrent.Executor recorder) {
        String key = name + "\u0000" + view.getName() + "\u0000" + access;
        TypedRegion<?> known = attached.get(key);
        if (known != null) {
            return (TypedRegion<T>) known;
        }
        Contract contract = awaitReady(name);
        TypedRegion<T> region = open(contract, view, access);
        Attachment attachment = Attachment.newBuilder()
            .setKernelId(self.kernelId())
            .setKernelName(self.kernelName())
            .setDataModel(self.dataModel().id())
            .setView(view.getName())
            .setAccessor(region.accessor().name())
            .setAttachedAtMs(System.currentTimeMillis())
            .setIncarnation(self.incarnation())
            .build();
        recorder.execute(() -> registry.recordAttachment(name, attachment));
        attached.put(key, region);
        return region;
    }

    private Contract awaitReady(String name) {
        long deadline = System.nanoTime() + creationWait.toNanos();
        long pause = TimeUnit.MICROSECONDS.toNanos(100);
        while (true) {
            Contract contract = registry.get(name).orElseThrow(() -> unknown(name));
            if (contract.getState() == RegionState.READY) {
                return contract;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new RegionException("region '" + name + "' is still being created by kernel " + contract.getCreatorName() + " (id "
                    + contract.getCreatorKernel() + ") after " + creationWait.toMillis() + " ms; is that kernel alive?");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private RegionException.Unknown unknown(String name) {
        List<String> names = registry.all().stream().map(Contract::getName).toList();
        return new RegionException.Unknown("no region '" + name + "' in typed shared memory; regions: "
            + (names.isEmpty() ? "(none)" : String.join(", ", names)));
    }

    private <T> TypedRegion<T> open(Contract contract, Class<T> view, Access access) {
        TypedInterface typed = TypedInterface.of(view);
        if (!(ContractCodec.decode(contract.getLayout()) instanceof RecordLayout layout)) {
            throw new FormatMismatchException("region '" + contract.getName() + "' holds " + contract.getTypeName() + ", not a struct: "
                + view.getName() + " cannot view it");
        }
        String description = "region '" + contract.getName() + "' (" + contract.getTypeName() + ", " + contract.getDataModel() + ")";
        if (!layout.tag().equals(typed.tag())) {
            throw new FormatMismatchException("cannot attach " + view.getName() + " to " + description + ": the view describes struct "
                + typed.tag() + ", the region holds " + layout.cName());
        }
        FormatCheck.check(typed, layout, description);
        Location location = contract.getLocation();
        MemorySegment segment;
        AccessGuard guard;
        RemoteLineCosts remote = RemoteLineCosts.NONE;
        if (contract.getCoherence() == Coherence.SOFTWARE) {
            SoftwareCoherence dsm = softwareCoherence;
            if (dsm == null) {
                throw new RegionException("cannot attach " + description + ": it is software-coherent and kernel " + self.kernelName()
                    + " runs no DSM");
            }
            SoftwareCoherence.CoherentView coherent = dsm.open(contract);
            segment = coherent.cache();
            guard = coherent.guard();
        } else {
            remote = remoteLines(contract, description);
            segment = memory.segment().asSlice(location.getOffset(), location.getBytes());
            guard = null;
        }
        RegionBinding binding = binding(contract);
        ViewFactory<T> views = access == Access.INTERPRETED
            ? AccessorFactory.interpreted(view, layout, segment, binding, guard)
            : AccessorFactory.generated(view, layout, segment, binding, guard, remote);
        AccessorKind kind;
        if (access == Access.INTERPRETED) {
            kind = AccessorKind.INTERPRETED;
        } else {
            // native: the region is laid out exactly as this kernel's ABI lays out the contract's type
            boolean nativeLayout = contract.getArrayLayout() == ArrayLayout.ARRAY_OF_STRUCTS
                && layout.equals(self.dataModel().layoutEngine().layout(ContractCodec.decode(contract.getType())));
            kind = nativeLayout ? AccessorKind.NATIVE : AccessorKind.MORPHED;
        }
        return new TypedRegion<>(contract, view, layout, segment, binding, views, kind, guard);
    }

    /**
     * What this kernel's accessors of a hardware-coherent region pay per cache line: nothing in the
     * region's home domain (or for a record older than home domains); in another domain, the
     * platform's remote-line costs between the two, and a refusal where it models none (the domains
     * share no coherent memory).
     */
    private RemoteLineCosts remoteLines(Contract contract, String description) {
        String home = contract.getHomeDomain();
        if (home.isEmpty() || home.equals(self.coherenceDomain())) {
            return RemoteLineCosts.NONE;
        }
        RemoteLineCosts costs = remoteLineCosts.apply(home);
        if (costs.none()) {
            throw new RegionException("cannot attach " + description + " on kernel " + self.kernelName() + ": it is hardware-coherent in "
                + "coherence domain " + home + " (its creator " + contract.getCreatorName() + "'s), and this kernel is in domain "
                + self.coherenceDomain() + ", which shares no cache coherence with it; create the region with SOFTWARE coherence "
                + "(the DSM) to share it across domains, or model remote memory between the domains (the platform's remote-line-read "
                + "and remote-line-write)");
        }
        return costs;
    }

    private static RegionBinding binding(Contract contract) {
        if (contract.getArrayLayout() == ArrayLayout.STRUCT_OF_ARRAYS) {
            long[] offsets = contract.getColumnsList().stream().mapToLong(Column::getOffset).toArray();
            long[] strides = contract.getColumnsList().stream().mapToLong(Column::getStride).toArray();
            return RegionBinding.structOfArrays(contract.getName(), contract.getLocation().getOffset(), contract.getCount(), offsets, strides);
        }
        return RegionBinding.arrayOfStructs(contract.getName(), contract.getLocation().getOffset(), contract.getCount(),
            contract.getElementSize());
    }

    // ------------------------------------------------------------------ destroy, detach

    /**
     * Frees a region whose pages this kernel owns: removes its name from the registry, forgets
     * this kernel's views of it and returns its pages to the allocator. The caller makes sure no
     * kernel uses the region any more (views of a destroyed region see whatever reuses its pages).
     *
     * @throws RegionException.Unknown if no region has the name
     * @throws RegionException          if another kernel owns its pages
     */
    public void destroy(String name) {
        Contract contract = registry.get(name).orElseThrow(() -> unknown(name));
        Location location = contract.getLocation();
        if (location.getOwnerKernel() != self.kernelId()) {
            throw new RegionException("kernel " + self.kernelName() + " (id " + self.kernelId() + ") cannot free region '" + name
                + "': its pages belong to kernel " + location.getOwnerKernel() + ", which alone frees them");
        }
        if (!registry.remove(name, self.kernelId())) {
            throw new RegionException.Unknown("region '" + name + "' vanished from the registry while kernel " + self.kernelName()
                + " freed it");
        }
        forget(name);
        synchronized (byAddress) {
            byAddress.remove(location.getOffset());
        }
        if (location.getPages() > 0) {
            allocator.free(new PageRun(location.getOffset(), location.getPages(), memory.geometry().pageSize()));
        }
    }

    /**
     * Forgets a destroyed region on this kernel: its views, and, for a software-coherent region,
     * the DSM's private copy and page states of it. Only for a region that no longer exists (see
     * {@link SoftwareCoherence#forget}).
     */
    public void forget(String name) {
        String prefix = name + "\u0000";
        attached.keySet().removeIf(key -> key.startsWith(prefix));
        SoftwareCoherence dsm = softwareCoherence;
        if (dsm != null) {
            dsm.forget(name);
        }
    }

    // ------------------------------------------------------------------ shared globals

    /**
     * A shared global variable (the paper's shared {@code .data}/{@code .bss}): the first kernel
     * to declare {@code name} creates it (zeroed), every other kernel attaches the same
     * variable; all see it under the same name. Returns a view of it.
     */
    public <T> T global(String name, Class<T> view) {
        return global(name, view, Coherence.HARDWARE);
    }

    /** A shared global variable with the given coherence (SOFTWARE to share it across coherence domains). */
    public <T> T global(String name, Class<T> view, Coherence coherence) {
        Optional<Contract> existing = registry.get(name);
        if (existing.isEmpty()) {
            try {
                create(name, TypedInterface.of(view).record(), 1, ArrayLayout.ARRAY_OF_STRUCTS, coherence, RegionKind.GLOBAL_VARIABLE, c -> { });
            } catch (RegionException.Exists raced) {
                // another kernel declared it first: attach theirs
            }
        }
        Contract contract = awaitReady(name);
        if (contract.getKind() != RegionKind.GLOBAL_VARIABLE) {
            throw new RegionException("'" + name + "' is a region of " + contract.getCount() + " x " + contract.getTypeName()
                + ", not a shared global variable");
        }
        return attach(name, view).at(0);
    }

    // ------------------------------------------------------------------ pointers

    /**
     * Follows a pointer read from shared memory: checks that {@code address} is the address of
     * an element of a region whose type is the struct {@code view} describes (the paper's check
     * on typed pointers), and returns a view of that element.
     *
     * @throws InvalidPointerException if it is NULL, outside every region, in a region of
     *                                 another type, or not at the start of an element
     */
    public <T> T dereference(long address, Class<T> view) {
        TypedInterface typed = TypedInterface.of(view);
        String wanted = "struct " + typed.tag();
        if (address == 0) {
            throw new InvalidPointerException("NULL pointer dereferenced as " + wanted);
        }
        Contract contract = regionAt(address).orElseThrow(() -> new InvalidPointerException("address 0x" + Long.toHexString(address)
            + " is in no region of typed shared memory: it cannot be a pointer to " + wanted));
        RecordLayout layout = (RecordLayout) ContractCodec.decode(contract.getLayout());
        long relative = address - contract.getLocation().getOffset();
        long stride;
        long first;
        if (contract.getArrayLayout() == ArrayLayout.STRUCT_OF_ARRAYS) {
            first = contract.getColumns(0).getOffset();
            stride = contract.getColumns(0).getStride();
            if (relative < first || relative >= first + stride * contract.getCount()) {
                throw new InvalidPointerException("address 0x" + Long.toHexString(address) + " is inside struct-of-arrays region '"
                    + contract.getName() + "' but not at an element (elements are addressed by their first column)");
            }
        } else {
            first = 0;
            stride = contract.getElementSize();
        }
        long index = (relative - first) / stride;
        if (!layout.tag().equals(typed.tag())) {
            throw new InvalidPointerException("address 0x" + Long.toHexString(address) + " is element " + index + " of region '"
                + contract.getName() + "' (" + contract.getTypeName() + "), not a " + wanted);
        }
        if ((relative - first) % stride != 0) {
            throw new InvalidPointerException("address 0x" + Long.toHexString(address) + " points " + ((relative - first) % stride)
                + " bytes into element " + index + " of region '" + contract.getName() + "', not at the start of a " + wanted);
        }
        return attach(contract.getName(), view).at(index);
    }

    /**
     * The READY region holding {@code address}: from the regions this kernel has seen (a region's
     * place never changes once READY), reading the registry again only when none holds it.
     */
    private Optional<Contract> regionAt(long address) {
        Optional<Contract> known = located(address);
        if (known.isPresent()) {
            return known;
        }
        synchronized (byAddress) {
            byAddress.clear();
            for (Contract c : registry.all()) {
                if (c.getState() == RegionState.READY && c.getLocation().getBytes() > 0) {
                    byAddress.put(c.getLocation().getOffset(), c);
                }
            }
        }
        return located(address);
    }

    private Optional<Contract> located(long address) {
        synchronized (byAddress) {
            Map.Entry<Long, Contract> floor = byAddress.floorEntry(address);
            if (floor != null && address < floor.getKey() + floor.getValue().getLocation().getBytes()) {
                return Optional.of(floor.getValue());
            }
            return Optional.empty();
        }
    }

    // ------------------------------------------------------------------ lookup

    public Optional<Contract> contract(String name) {
        return registry.get(name);
    }

    /** Every region of the cluster. */
    public List<Contract> regions() {
        return registry.all();
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a region name is 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':', '/', '-'; found '"
                + name + "'");
        }
    }

    private static long roundUp(long value, long align) {
        return (value + align - 1) / align * align;
    }
}
