package io.archipelago.memory;

/**
 * The counters a kernel's independent memory services publish in its counters area, defined once
 * (as the kernel's own {@code KernelCounter}s): its page allocator ({@code alloc.*}) and its
 * balloon driver ({@code balloon.*}). They are the pressure probes the coordinator's meta-level
 * manager reads from global memory without asking the kernel (K2 §3.2: "the manager places probes
 * in every kernel"), and what {@code archipelago status} shows.
 */
public enum MemoryCounters implements CounterDescriptor {

    // ------------------------------------------------------------------ page allocator

    FREE_PAGES("alloc.free_pages", "pages that can be allocated now (in the buddy free lists)"),
    USED_PAGES("alloc.used_pages", "pages allocated"),
    BLOCKS("alloc.blocks", "page blocks in the allocator"),
    FREE_BLOCKS("alloc.free_blocks", "blocks whose pages are all free: what the balloon can give back at once"),
    ALLOCATIONS("alloc.allocations", "allocations served"),
    FREES("alloc.frees", "frees"),
    FAILURES("alloc.failures", "requests the allocator could not satisfy from its own blocks (each leads to a balloon step)"),

    // ------------------------------------------------------------------ balloon driver

    INFLATE_REQUESTS("balloon.inflate_requests", "INFLATE requests served"),
    BLOCKS_ASKED("balloon.blocks_asked", "blocks INFLATE requests asked for"),
    BLOCKS_RELEASED("balloon.blocks_released", "blocks released into the pool (the reclaim rate)"),
    BLOCKS_DEFLATED("balloon.blocks_deflated", "blocks taken from the pool into the allocator"),
    WANTS("balloon.wants", "WANT requests sent to the manager"),
    WANT_FAILURES("balloon.want_failures", "WANT requests that got no answer"),
    NACKS("balloon.nacks", "WANT requests the manager refused"),
    BLOCKS_GRANTED("balloon.blocks_granted", "blocks the manager granted"),
    PAGES_MOVED("balloon.pages_moved", "movable pages moved out of nearly free blocks"),
    BLOCKS_EMPTIED_BY_MOVING("balloon.blocks_emptied_by_moving", "blocks that moving pages emptied"),
    MIGRATION_FAILURES("balloon.migration_failures", "page moves that failed"),
    RECLAIMABLE_BLOCKS("balloon.reclaimable_blocks", "blocks the driver could give back now (wholly free, or emptied by moving few pages)"),
    OWNERSHIP_CONFLICTS("balloon.ownership_conflicts", "blocks of the allocator the ownership table gave another owner (never expected)"),
    ALLOCATION_STEPS("balloon.allocation_steps", "allocations that needed a balloon step"),
    OUT_OF_MEMORY("balloon.out_of_memory", "allocations that failed everywhere (out of memory)");

    private final Definition definition;

    MemoryCounters(String label, String description) {
        this.definition = new Definition(label, description);
    }

    @Override
    public Definition definition() {
        return definition;
    }

    /** Free pages held in free chunks of one order ({@code chunks << order}): one counter per order, so named here, not listed. */
    public static String freePagesOfOrder(int order) {
        return "alloc.free_pages.order" + order;
    }
}
