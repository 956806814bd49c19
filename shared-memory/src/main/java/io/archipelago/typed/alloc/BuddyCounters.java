package io.archipelago.typed.alloc;

/**
 * Labels of a kernel's page-allocator counters in its counters area (global memory): the
 * meta-level manager's pressure probes, and what {@code archipelago status} shows.
 */
public final class BuddyCounters {

    /** Pages that can be allocated now (in the free lists). */
    public static final String FREE_PAGES = "alloc.free_pages";
    public static final String USED_PAGES = "alloc.used_pages";
    /** Page blocks in the allocator. */
    public static final String BLOCKS = "alloc.blocks";
    /** Blocks whose pages are all free: what the balloon can give back at once. */
    public static final String FREE_BLOCKS = "alloc.free_blocks";
    public static final String ALLOCATIONS = "alloc.allocations";
    public static final String FREES = "alloc.frees";
    /** Requests the allocator could not satisfy from its own blocks (before any balloon step). */
    public static final String FAILURES = "alloc.failures";

    private BuddyCounters() {
    }

    /** Free pages held in free chunks of one order ({@code chunks << order}). */
    public static String freePagesOfOrder(int order) {
        return "alloc.free_pages.order" + order;
    }
}
