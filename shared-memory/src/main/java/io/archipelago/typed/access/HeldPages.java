package io.archipelago.typed.access;

/**
 * The pages of software-coherent regions one thread holds while it is in a use: K2's "a page
 * once held is accessed at memory speed until someone asks for it".
 * <p>
 * Outside a use (no {@link #begin}), every access of a software-coherent region pins its page
 * for that one load or store (two compare-and-sets). Inside a use, the first access to a page
 * pins it once and the view remembers the pinned pages (a run of adjacent pages, as a view that
 * moves element by element takes them); the view's later accesses to them are plain loads and
 * stores. At the thread's quiescent points ({@link #quiesce}: the end of a scheduler step, of a
 * benchmark batch) the thread lets go of every page it holds if another kernel asked for one of
 * them meanwhile (the request the holder's interrupt handler deferred is then answered), and
 * otherwise keeps them, so that the next batch runs at memory speed from its first access. The
 * holder gives a page up once its current use ends and never waits on the requester; the
 * requester's fault waits at most one use. Where the thread may wait or stop using its pages
 * for a while ({@link #idle}, {@link #end}) it lets go of all of them, asked for or not.
 * <p>
 * Letting a page go between two accesses is always allowed (outside an exclusive section only
 * single accesses are atomic), so a thread that must fault a page in first lets go of every page
 * it holds this way: it never waits for another kernel's page while holding one of its own (no
 * hold-and-wait between kernels), except inside an exclusive section, which holds its pages
 * until it closes.
 * <p>
 * One per thread; a view belongs to one thread at a time (it moves, so it already did).
 */
public final class HeldPages {

    private static final ThreadLocal<HeldPages> CURRENT = ThreadLocal.withInitial(HeldPages::new);

    private AccessGuard[] guards = new AccessGuard[8];
    private long[] offsets = new long[8];
    /** The view that caches the pin, or null for a pin an exclusive section keeps for the use. */
    private TypedAccessor[] views = new TypedAccessor[8];
    private int count;
    /** The views this thread's exclusive sections hand their bodies, one per region (key: the region), reused section after section. */
    private Object[] sectionViewKeys = new Object[4];
    private Object[] sectionViews = new Object[4];
    private boolean open;
    private int sections;
    /** The page an exclusive section pinned last ({@link #holdsForSections}'s first guess), null guard when none. */
    private AccessGuard lastSectionGuard;
    private long lastSectionPage;

    private HeldPages() {
    }

    /** Starts a use on this thread: pages accessed from now on stay pinned until another kernel asks for one, or the use ends. */
    public static void begin() {
        CURRENT.get().open = true;
    }

    /**
     * A quiescent point: if another kernel asked for a page this thread holds, lets go of every
     * page it holds (the request is answered now); else keeps them for what follows. The use goes on.
     */
    public static void quiesce() {
        HeldPages held = CURRENT.get();
        if (held.count > 0 && held.anyRequested()) {
            held.releaseAll();
        }
    }

    /** A quiescent point before the thread may wait: lets go of every page it holds, asked for or not. The use goes on. */
    public static void idle() {
        HeldPages held = CURRENT.get();
        if (held.count > 0) {
            held.releaseAll();
        }
    }

    /** Ends the use: lets go of every page this thread holds; accesses pin per access again. */
    public static void end() {
        HeldPages held = CURRENT.get();
        held.open = false;
        if (held.count > 0) {
            held.releaseAll();
        }
    }

    /** This thread's pages if it is in a use, else null. */
    static HeldPages current() {
        HeldPages held = CURRENT.get();
        return held.open ? held : null;
    }

    /** This thread's pages, in a use or not (for exclusive sections, which count themselves). */
    public static HeldPages mine() {
        return CURRENT.get();
    }

    /** The view this thread's sections over {@code region} reuse, or null before the first. */
    public Object sectionView(Object region) {
        for (int i = 0; i < sectionViewKeys.length; i++) {
            if (sectionViewKeys[i] == region) {
                return sectionViews[i];
            }
        }
        return null;
    }

    /** Keeps {@code view} for this thread's next sections over {@code region}. */
    public void keepSectionView(Object region, Object view) {
        for (int i = 0; i < sectionViewKeys.length; i++) {
            if (sectionViewKeys[i] == null) {
                sectionViewKeys[i] = region;
                sectionViews[i] = view;
                return;
            }
        }
        // more regions than slots: the oldest gives way
        System.arraycopy(sectionViewKeys, 1, sectionViewKeys, 0, sectionViewKeys.length - 1);
        System.arraycopy(sectionViews, 1, sectionViews, 0, sectionViews.length - 1);
        sectionViewKeys[sectionViewKeys.length - 1] = region;
        sectionViews[sectionViews.length - 1] = view;
    }

    /** Whether a use is open on this thread. */
    public boolean inUse() {
        return open;
    }

    /** Pages held, for tests. */
    public int held() {
        return count;
    }

    /**
     * Whether an exclusive section of this thread pinned the page at {@code pageOffset} (page
     * aligned) of {@code guard}'s region for the use (a view's pin does not count: the view lets
     * it go when it moves on, a section's stays until the quiescent point).
     */
    public boolean holdsForSections(AccessGuard guard, long pageOffset) {
        if (lastSectionGuard == guard && lastSectionPage == pageOffset) {
            return true;
        }
        return findForSections(guard, pageOffset);
    }

    private boolean findForSections(AccessGuard guard, long pageOffset) {
        for (int i = 0; i < count; i++) {
            if (guards[i] == guard && offsets[i] == pageOffset && views[i] == null) {
                lastSectionGuard = guard;
                lastSectionPage = pageOffset;
                return true;
            }
        }
        return false;
    }

    /** Whether another kernel asked for one of the pages this thread holds. */
    private boolean anyRequested() {
        if (sections > 0) {
            throw insideSection();
        }
        for (int i = 0; i < count; i++) {
            if (views[i] == null ? guards[i].sectionRequested(offsets[i]) : guards[i].requested(offsets[i])) {
                return true;
            }
        }
        return false;
    }

    /** Records a pin an exclusive section took on the page at {@code pageOffset}, let go at the next quiescent point. */
    public void add(AccessGuard guard, long pageOffset) {
        add(guard, pageOffset, null);
        lastSectionGuard = guard;
        lastSectionPage = pageOffset;
    }

    /** An exclusive section begins (pages are not let go for a fault while one is open). */
    public void sectionEntered() {
        sections++;
    }

    public void sectionExited() {
        sections--;
    }

    void add(AccessGuard guard, long pageOffset, TypedAccessor view) {
        if (count == guards.length) {
            guards = java.util.Arrays.copyOf(guards, count * 2);
            offsets = java.util.Arrays.copyOf(offsets, count * 2);
            views = java.util.Arrays.copyOf(views, count * 2);
        }
        guards[count] = guard;
        offsets[count] = pageOffset;
        views[count] = view;
        count++;
    }

    /** Lets go of the pages {@code view} caches (the view moves on to a page not next to them). */
    void release(TypedAccessor view) {
        view.forgetHeld();
        RuntimeException failure = null;
        for (int i = count - 1; i >= 0; i--) {
            if (views[i] == view) {
                AccessGuard guard = guards[i];
                long offset = offsets[i];
                count--;
                guards[i] = guards[count];
                offsets[i] = offsets[count];
                views[i] = views[count];
                guards[count] = null;
                views[count] = null;
                try {
                    guard.release(offset);
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
        }
        // none left: held by an earlier use that has ended, nothing pinned any more
        if (failure != null) {
            throw failure;
        }
    }

    /** Before this thread waits for a page: lets go of the others, unless an exclusive section needs them. */
    public boolean releaseBeforeWaiting() {
        if (sections > 0 || count == 0) {
            return false;
        }
        releaseAll();
        return true;
    }

    /**
     * Before this thread waits for another thread of this kernel (a section lock's stripe): lets
     * go of every page and stripe it holds for its use, or inside an exclusive section only of the
     * stripes no open section needs (see {@link AccessGuard#yieldSection}).
     */
    public void letGoBeforeWaiting() {
        if (count == 0) {
            return;
        }
        if (sections == 0) {
            releaseAll();
            return;
        }
        for (int i = 0; i < count; i++) {
            if (views[i] == null) {
                guards[i].yieldSection(offsets[i]);
            }
        }
    }

    private static IllegalStateException insideSection() {
        return new IllegalStateException("a quiescent point inside an exclusive section: its pages must stay held until it closes "
            + "(end the use after the section, not in it)");
    }

    private void releaseAll() {
        if (sections > 0) {
            throw insideSection();
        }
        lastSectionGuard = null;
        // forget every view's range first: a hand-over below may run code that uses them
        int n = count;
        count = 0;
        for (int i = 0; i < n; i++) {
            if (views[i] != null) {
                views[i].forgetHeld();
            }
        }
        RuntimeException failure = null;
        for (int i = 0; i < n; i++) {
            AccessGuard guard = guards[i];
            boolean section = views[i] == null;
            guards[i] = null;
            views[i] = null;
            try {
                if (section) {
                    guard.releaseSection(offsets[i]);
                } else {
                    guard.release(offsets[i]);
                }
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
