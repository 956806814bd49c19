package io.archipelago.typed.alloc;

/** Contiguous pages of global memory: {@code pages} pages from byte {@code offset} (page aligned). */
public record PageRun(long offset, long pages, int pageSize) {

    public PageRun {
        if (offset < 0 || pages <= 0 || offset % pageSize != 0) {
            throw new IllegalArgumentException("a page run is page aligned with at least one page, found offset " + offset + ", "
                + pages + " page(s) of " + pageSize);
        }
    }

    public long bytes() {
        return pages * pageSize;
    }

    public long firstPage() {
        return offset / pageSize;
    }

    public long end() {
        return offset + bytes();
    }
}
