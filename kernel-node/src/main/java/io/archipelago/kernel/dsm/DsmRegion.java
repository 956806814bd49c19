package io.archipelago.kernel.dsm;

import io.archipelago.typed.access.AccessGuard;
import io.archipelago.typed.access.HeldPages;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One software-coherent region as one kernel sees it: its private copy (the kernel's emulated,
 * non-coherent cache of the region's pages), the region's pages in global memory (the DRAM behind
 * the caches), the page table ({@link PageStates}), and the guard its accessors call around every
 * access.
 *
 * <pre>
 *   global memory (DRAM)          page frames f0 .. f0+n-1 of the region
 *   +--------+--------+--------+
 *   | f0     | f0+1   | f0+2   |  last written-back contents of each page
 *   +--------+--------+--------+
 *       ^ write back (holder's handler, before PUT_EXCLUSIVE)
 *       v load (new holder, after PUT_EXCLUSIVE or a claim from the directory)
 *   +--------+--------+--------+
 *   | page 0 | page 1 | page 2 |  this kernel's private copy: current only where VALID
 *   +--------+--------+--------+
 *   | VALID  |INVALID |INVALID |  this kernel's page table (PageStates)
 * </pre>
 */
final class DsmRegion implements AccessGuard {

    private static final int STRIPES = 64;

    private final DsmService dsm;
    private final String name;
    private final long firstFrame;
    private final int pageSize;
    private final int pageShift;
    private final Arena arena;
    private final MemorySegment cache;
    private final MemorySegment dram;
    private final PageStates states;
    private final ReentrantLock[] faultLocks = new ReentrantLock[STRIPES];
    private final SectionLocks sectionLocks;
    /** Per page, a GET_EXCLUSIVE waiting for the page's first use or for its pins: (requester + 1) << 8 | sequence, 0 for none. */
    private final AtomicLongArray deferred;
    /** Pages of this region this kernel took from global memory because their holder was gone. */
    private final AtomicLong pagesRecovered = new AtomicLong();

    DsmRegion(DsmService dsm, String name, long firstFrame, int pages, int pageSize, MemorySegment dram) {
        this.dsm = dsm;
        this.name = name;
        this.firstFrame = firstFrame;
        this.pageSize = pageSize;
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.arena = Arena.ofShared();
        this.cache = arena.allocate((long) pages * pageSize, pageSize);
        this.dram = dram;
        this.states = new PageStates(pages);
        this.deferred = new AtomicLongArray(pages);
        this.sectionLocks = new SectionLocks(STRIPES, name);
        for (int i = 0; i < STRIPES; i++) {
            faultLocks[i] = new ReentrantLock();
        }
    }

    String name() {
        return name;
    }

    long firstFrame() {
        return firstFrame;
    }

    int pages() {
        return states.pages();
    }

    long frame(int page) {
        return firstFrame + page;
    }

    MemorySegment cache() {
        return cache;
    }

    PageStates states() {
        return states;
    }

    ReentrantLock faultLock(int page) {
        return faultLocks[page % STRIPES];
    }

    /** Copies the page from DRAM into the private copy (the new holder, before it makes the page VALID). */
    void load(int page) {
        long at = (long) page << pageShift;
        MemorySegment.copy(dram, at, cache, at, pageSize);
    }

    /** Copies the private copy back to DRAM (the holder, before it gives the page away). */
    void writeBack(int page) {
        long at = (long) page << pageShift;
        MemorySegment.copy(cache, at, dram, at, pageSize);
    }

    // ------------------------------------------------------------------ the guard (hot path)

    @Override
    public void enter(long offset, int width, boolean write) {
        int first = (int) (offset >>> pageShift);
        int last = (int) ((offset + width - 1) >>> pageShift);
        pin(first);
        if (last != first) {
            // a member of a packed struct that straddles two pages
            pin(last);
        }
    }

    @Override
    public void exit(long offset, int width) {
        int first = (int) (offset >>> pageShift);
        int last = (int) ((offset + width - 1) >>> pageShift);
        if (last != first) {
            unpin(last);
        }
        unpin(first);
    }

    /** Ends an access; if it made the page revocable and a requester is waiting for it, hands the page over. */
    private void unpin(int page) {
        int word = states.unpin(page);
        if (PageStates.revocable(word) && deferred.get(page) != 0) {
            dsm.handOffDeferred(this, page);
        }
    }

    /**
     * Records a GET_EXCLUSIVE the holder cannot answer yet. One waiter per page: a retry of the
     * same requester replaces its earlier request; another requester is refused (false).
     */
    boolean defer(int page, int requester, int sequence) {
        long request = ((long) (requester + 1) << 8) | sequence;
        while (true) {
            long current = deferred.get(page);
            if (current != 0 && (current >>> 8) != requester + 1) {
                return false;
            }
            if (deferred.compareAndSet(page, current, request)) {
                return true;
            }
        }
    }

    /** Whether a GET_EXCLUSIVE waits for the page. */
    boolean hasDeferred(int page) {
        return deferred.get(page) != 0;
    }

    /** Takes the deferred request of a page: requester id in the high bits, sequence in the low 8; 0 for none. */
    long takeDeferred(int page) {
        return deferred.getAndSet(page, 0);
    }

    static int requesterOf(long request) {
        return (int) (request >>> 8) - 1;
    }

    static int sequenceOf(long request) {
        return (int) (request & 0xFF);
    }

    private void pin(int page) {
        if (states.tryPin(page)) {
            return;
        }
        // never wait for another kernel's page while holding pages for a use (unless a section needs them)
        HeldPages.mine().releaseBeforeWaiting();
        do {
            dsm.fault(this, page);
        } while (!states.tryPin(page));
    }

    @Override
    public int pageSize() {
        return pageSize;
    }

    @Override
    public boolean tryHold(long offset, int width) {
        int page = (int) (offset >>> pageShift);
        return page == (int) ((offset + width - 1) >>> pageShift) && states.tryPin(page);
    }

    @Override
    public void release(long pageOffset) {
        unpin((int) (pageOffset >>> pageShift));
    }

    /** A GET_EXCLUSIVE the interrupt handler deferred waits for the page's pins to go. */
    @Override
    public boolean requested(long pageOffset) {
        return deferred.get((int) (pageOffset >>> pageShift)) != 0;
    }

    /** For a page a section pinned for the use: a GET_EXCLUSIVE waits for it, or another thread of this kernel for its stripe. */
    @Override
    public boolean sectionRequested(long pageOffset) {
        int page = (int) (pageOffset >>> pageShift);
        return deferred.get(page) != 0 || sectionLocks.requested(page & (STRIPES - 1));
    }

    /** A page a section pinned for the use, at the quiescent point: its stripe (if still held for the use) and its pin go. */
    @Override
    public void releaseSection(long pageOffset) {
        int page = (int) (pageOffset >>> pageShift);
        sectionLocks.releaseIdle(page & (STRIPES - 1));
        unpin(page);
    }

    /** The thread may wait for another's stripe: the stripe of a page its sections pinned goes back, unless a section of it is open. */
    @Override
    public void yieldSection(long pageOffset) {
        sectionLocks.releaseIdle((int) (pageOffset >>> pageShift) & (STRIPES - 1));
    }

    @Override
    public boolean allocationFreeSections() {
        return true;
    }

    /**
     * This kernel's sections over the same pages run one at a time: the stripes of the pages,
     * as a bit set over the {@value #STRIPES} stripes, locked in ascending order (no boxing, no
     * sorting, nothing allocated).
     */
    private static long stripesOf(int first, int last) {
        if (first == last) {
            return 1L << (first % STRIPES);
        }
        if (last - first + 1 >= STRIPES) {
            return -1L;
        }
        long stripes = 0;
        for (int page = first; page <= last; page++) {
            stripes |= 1L << (page % STRIPES);
        }
        return stripes;
    }

    /** {@link #enterExclusive}'s token for a section that closes the general way. */
    private static final long GENERAL_EXIT = -1;
    /** In a token: the stripe is held for the thread's use (kept when the section closes). */
    private static final long FOR_USE = 1L << 32;

    /** What a thread about to wait for another thread's stripe lets go of first: what it holds for its use, as far as it may. */
    private static final Runnable LET_GO_BEFORE_WAITING = () -> HeldPages.mine().letGoBeforeWaiting();

    /**
     * The steady state inline (a section of a use over one page that an earlier section of the
     * use pinned, its stripe held for the use: a plain load and comparisons, no atomic), everything
     * else out of line, so that the JIT inlines this into the section's caller. The token is the
     * stripe (and {@link #FOR_USE}) for a section over one page, which {@link #exitExclusive}
     * closes with a decrement (and a release store outside a use); else {@link #GENERAL_EXIT}.
     */
    @Override
    public long enterExclusive(long offset, long length, HeldPages held) {
        int first = (int) (offset >>> pageShift);
        if (length > 0 && (int) ((offset + length - 1) >>> pageShift) == first) {
            int stripe = first & (STRIPES - 1);
            if (!held.inUse()) {
                sectionLocks.lock(stripe, LET_GO_BEFORE_WAITING);
                pinForSection(first, first, 1L << stripe, held);
                return stripe;
            }
            long token = sectionLocks.enterForUse(stripe, LET_GO_BEFORE_WAITING) ? stripe | FOR_USE : stripe;
            if (held.holdsForSections(this, (long) first << pageShift)) {
                held.sectionEntered();
                return token;
            }
            pinForUse(first, stripe, token, held);
            return token;
        }
        enterExclusiveSpanning(offset, length, held);
        return GENERAL_EXIT;
    }

    /** A section over several pages (or an empty one, refused). */
    private void enterExclusiveSpanning(long offset, long length, HeldPages held) {
        if (length <= 0) {
            throw new IllegalArgumentException("an exclusive section covers at least one byte, found " + length);
        }
        int first = (int) (offset >>> pageShift);
        int last = (int) ((offset + length - 1) >>> pageShift);
        long stripes = stripesOf(first, last);
        for (long rest = stripes; rest != 0; rest &= rest - 1) {
            sectionLocks.lock(Long.numberOfTrailingZeros(rest), LET_GO_BEFORE_WAITING);
        }
        pinForSection(first, last, stripes, held);
    }

    /** A use's section over one page its earlier sections did not pin: pinned (faulted in if it must be) until the quiescent point. */
    private void pinForUse(int page, int stripe, long token, HeldPages held) {
        try {
            pin(page);
        } catch (RuntimeException | Error e) {
            sectionLocks.exit(stripe, (token & FOR_USE) != 0);
            sectionLocks.releaseIdle(stripe); // no page of the use's records stands for it: give it back now
            throw e;
        }
        // recorded with the page: the quiescent point lets go of both
        held.add(this, (long) page << pageShift);
        held.sectionEntered();
    }

    /** The section's pages pinned (faulted in if they must be), its stripes already locked; on failure the stripes are unlocked. */
    private void pinForSection(int first, int last, long stripes, HeldPages held) {
        boolean use = held.inUse();
        int pinned = first;
        try {
            for (; pinned <= last; pinned++) {
                long pageOffset = (long) pinned << pageShift;
                if (use && held.holdsForSections(this, pageOffset)) {
                    continue; // pinned by an earlier section of this use, until its quiescent point
                }
                pin(pinned);
                if (use) {
                    held.add(this, pageOffset);
                }
            }
        } catch (RuntimeException | Error e) {
            if (!use) {
                for (int page = first; page < pinned; page++) {
                    unpin(page);
                }
            }
            unlockStripes(stripes);
            throw e;
        }
        held.sectionEntered();
    }

    @Override
    public void exitExclusive(long offset, long length, HeldPages held, long token) {
        held.sectionExited();
        if (token != GENERAL_EXIT) {
            int stripe = (int) token;
            if ((token & FOR_USE) != 0 || held.inUse()) {
                // its page stays pinned (and its stripe held, if for the use) until the use lets it go
                sectionLocks.exit(stripe, (token & FOR_USE) != 0);
                return;
            }
            try {
                unpin((int) (offset >>> pageShift));
            } finally {
                sectionLocks.exit(stripe, false);
            }
            return;
        }
        int first = (int) (offset >>> pageShift);
        int last = (int) ((offset + length - 1) >>> pageShift);
        exitExclusiveUnpinning(first, last, held);
    }

    private void exitExclusiveUnpinning(int first, int last, HeldPages held) {
        try {
            if (!held.inUse()) {
                for (int page = last; page >= first; page--) {
                    unpin(page);
                }
            }
        } finally {
            unlockStripes(stripesOf(first, last));
        }
    }

    private void unlockStripes(long stripes) {
        for (long rest = stripes; rest != 0; ) {
            int stripe = 63 - Long.numberOfLeadingZeros(rest);
            sectionLocks.unlock(stripe);
            rest &= ~(1L << stripe);
        }
    }

    @Override
    public Section exclusive(long offset, long length) {
        HeldPages held = HeldPages.mine();
        long token = enterExclusive(offset, length, held);
        return () -> exitExclusive(offset, length, held, token);
    }

    void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "region '" + name + "' (frames " + firstFrame + ".." + (firstFrame + pages() - 1) + ")";
    }

    /** Pages of this region this kernel recovered from global memory (their holder was gone) since it opened the region. */
    public long pagesRecovered() {
        return pagesRecovered.get();
    }

    void countRecovery() {
        pagesRecovered.incrementAndGet();
    }
}
