package io.archipelago.typed.alloc;

/**
 * Gives a kernel contiguous pages of global memory for its typed regions. The typed
 * allocator's only dependency on page management, kept small so that a real page allocator
 * (the buddy allocator of the independent-services issue) can replace
 * {@link OwnedBlocksPageAllocator}.
 */
public interface PageAllocator {

    /**
     * Allocates at least {@code bytes} bytes as contiguous, page-aligned pages.
     *
     * @throws OutOfPagesException when no run of enough free pages exists
     */
    PageRun allocate(long bytes);

    /** Returns pages from {@link #allocate}. */
    void free(PageRun run);
}
