package io.archipelago.kernel.migration;

import io.archipelago.typed.region.TypedRegion;

/**
 * Bulk access to a region's elements in place, page by page: on a software-coherent region each
 * run of elements that lies in one page is read or written inside an exclusive section of its
 * first element (the page is VALID and pinned in this kernel meanwhile, so this kernel's copy is
 * the page); an element that straddles two pages gets a section of its own. On a
 * hardware-coherent region there is nothing to hold.
 */
final class PagedSections {

    /** Receives a run of elements [first, end) that may be accessed in place. */
    @FunctionalInterface
    interface Run {
        void accept(long first, long end);
    }

    private PagedSections() {
    }

    static void forEach(TypedRegion<?> region, long first, long count, int pageSize, Run run) {
        long elementSize = region.contract().getElementSize();
        long end = first + count;
        long i = first;
        while (i < end) {
            long pageEnd = (i * elementSize / pageSize + 1) * pageSize;
            long j = Math.max(i + 1, Math.min(end, pageEnd / elementSize));
            long from = i;
            long to = j;
            if (region.softwareCoherent()) {
                region.exclusive(from, element -> {
                    run.accept(from, to);
                    return null;
                });
            } else {
                run.accept(from, to);
            }
            i = j;
        }
    }
}
