package io.archipelago.typed.alloc;

/**
 * Gives a kernel contiguous pages of global memory for its typed regions: the typed
 * allocator's only dependency on page management. {@link BuddyPageAllocator} is the kernel's
 * page allocator; in a running kernel its memory service wraps it with the balloon driver, so
 * that an allocation the kernel's blocks cannot hold asks the meta-level manager for more.
 */
public interface PageAllocator {

    /**
     * Allocates at least {@code bytes} bytes as contiguous, page-aligned pages.
     *
     * @throws OutOfPagesException when no run of enough free pages exists (after the balloon
     *                             step, in a running kernel)
     */
    PageRun allocate(long bytes);

    /** Returns pages from {@link #allocate}. */
    void free(PageRun run);
}
