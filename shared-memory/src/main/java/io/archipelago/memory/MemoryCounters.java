package io.archipelago.memory;

/**
 * Labels of the counters a kernel's independent memory services publish in its counters area:
 * its page allocator ({@code alloc.*}) and its balloon driver ({@code balloon.*}). They are the
 * pressure probes the coordinator's meta-level manager reads from global memory without asking
 * the kernel (K2 §3.2: "the manager places probes in every kernel"), and what
 * {@code archipelago status} shows.
 */
public final class MemoryCounters {

    // ------------------------------------------------------------------ page allocator

    /** Pages that can be allocated now (in the buddy free lists). */
    public static final String FREE_PAGES = "alloc.free_pages";
    public static final String USED_PAGES = "alloc.used_pages";
    /** Page blocks in the allocator. */
    public static final String BLOCKS = "alloc.blocks";
    /** Blocks whose pages are all free: what the balloon can give back at once. */
    public static final String FREE_BLOCKS = "alloc.free_blocks";
    public static final String ALLOCATIONS = "alloc.allocations";
    public static final String FREES = "alloc.frees";
    /** Requests the allocator could not satisfy from its own blocks (each leads to a balloon step). */
    public static final String FAILURES = "alloc.failures";

    // ------------------------------------------------------------------ balloon driver

    /** INFLATE requests served, blocks they asked for, blocks released into the pool (the reclaim rate). */
    public static final String INFLATE_REQUESTS = "balloon.inflate_requests";
    public static final String BLOCKS_ASKED = "balloon.blocks_asked";
    public static final String BLOCKS_RELEASED = "balloon.blocks_released";
    /** Blocks taken from the pool into the allocator. */
    public static final String BLOCKS_DEFLATED = "balloon.blocks_deflated";
    /** WANT requests sent to the manager, those that failed to get an answer, those refused. */
    public static final String WANTS = "balloon.wants";
    public static final String WANT_FAILURES = "balloon.want_failures";
    public static final String NACKS = "balloon.nacks";
    public static final String BLOCKS_GRANTED = "balloon.blocks_granted";
    /** Movable pages moved out of nearly free blocks, and blocks that moving emptied. */
    public static final String PAGES_MOVED = "balloon.pages_moved";
    public static final String BLOCKS_EMPTIED_BY_MOVING = "balloon.blocks_emptied_by_moving";
    public static final String MIGRATION_FAILURES = "balloon.migration_failures";
    /** Blocks the driver could give back now (wholly free, or emptied by moving few movable pages). */
    public static final String RECLAIMABLE_BLOCKS = "balloon.reclaimable_blocks";
    public static final String OWNERSHIP_CONFLICTS = "balloon.ownership_conflicts";
    /** Allocations that needed a balloon step, and those that failed everywhere (out of memory). */
    public static final String ALLOCATION_STEPS = "balloon.allocation_steps";
    public static final String OUT_OF_MEMORY = "balloon.out_of_memory";

    private MemoryCounters() {
    }

    /** Free pages held in free chunks of one order ({@code chunks << order}). */
    public static String freePagesOfOrder(int order) {
        return "alloc.free_pages.order" + order;
    }
}
