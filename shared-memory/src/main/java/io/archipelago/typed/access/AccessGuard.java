package io.archipelago.typed.access;

/**
 * The page check around every access of a <em>software-coherent</em> region: the hook the DSM
 * (K2's two-state protocol) plugs into, the emulated page table. {@code offset} is the byte
 * offset of the access in the region, {@code width} its size in bytes.
 * <p>
 * {@link #enter} makes the page(s) VALID for this kernel, faulting them in (a
 * {@code GetExclusive} exchange over the mailbox) when they are INVALID, and pins them: the
 * holder's interrupt handler does not give a page away while an access is in flight.
 * {@link #exit} unpins. Every {@code enter} is followed by exactly one {@code exit}, and nothing
 * that can throw runs between them in a generated accessor (values are converted and
 * range-checked before {@code enter}).
 * <p>
 * Hardware-coherent regions have no guard, and their accessors are generated without the calls
 * at all (a different class per coherence, see {@link AccessorFactory}): the DSM costs
 * hardware-coherent regions nothing.
 */
public interface AccessGuard {

    /**
     * Before an access: the page(s) of {@code [offset, offset + width)} are VALID for this kernel
     * and pinned when this returns.
     *
     * @throws RuntimeException (the DSM's own) when a page cannot be obtained before its deadline
     */
    void enter(long offset, int width, boolean write);

    /** After the access that {@link #enter} admitted. */
    void exit(long offset, int width);

    /** The size of the pages this guard hands out (a power of two): a held page covers one. */
    default int pageSize() {
        return 4096;
    }

    /**
     * Pins the page of {@code [offset, offset + width)} if it is VALID here, without faulting it
     * in: the first access of a use to a page this kernel already holds. False when the page must
     * be faulted in (then {@link #enter} does it) or when the access straddles two pages.
     */
    default boolean tryHold(long offset, int width) {
        return false;
    }

    /** Lets go of a pin on the page at {@code pageOffset} taken by {@link #tryHold} or {@link #enter} for a use. */
    default void release(long pageOffset) {
        exit(pageOffset, 1);
    }

    /**
     * Whether another kernel asked for the page at {@code pageOffset} while this kernel holds it
     * (its request waits for the pins to go): a thread's quiescent point then lets go of its
     * pages. A guard that cannot tell says true, and pages are let go at every quiescent point.
     */
    default boolean requested(long pageOffset) {
        return true;
    }

    /**
     * {@link #requested} for a page an exclusive section pinned for the use: also true when
     * another thread of this kernel waits for what the use keeps with it (the section lock's
     * stripe, see {@link #releaseSection}).
     */
    default boolean sectionRequested(long pageOffset) {
        return requested(pageOffset);
    }

    /**
     * Lets go of what a section of the use kept with the page at {@code pageOffset} (its pin,
     * and the section lock's stripe a guard may keep for the use so that the use's later sections
     * take it without an atomic instruction). Called on the thread that holds them.
     */
    default void releaseSection(long pageOffset) {
        release(pageOffset);
    }

    /**
     * The thread is about to wait for another thread of this kernel: gives back what the use's
     * sections keep with the page at {@code pageOffset} apart from its pin (a stripe no open
     * section of the thread needs), so that two threads never wait for each other's idle stripes.
     */
    default void yieldSection(long pageOffset) {
    }

    /**
     * Opens an exclusive section over {@code [offset, offset + length)} without allocating: the
     * same as {@link #exclusive}, closed by {@link #exitExclusive} with the same arguments and
     * the token this returns (what the guard needs to close it without looking it up again).
     * {@code held} is the calling thread's ({@link HeldPages#mine()}).
     */
    default long enterExclusive(long offset, long length, HeldPages held) {
        throw new UnsupportedOperationException("this guard has only exclusive(offset, length)");
    }

    /** Closes the section {@link #enterExclusive} opened; {@code token} is what it returned. */
    default void exitExclusive(long offset, long length, HeldPages held, long token) {
        throw new UnsupportedOperationException("this guard has only exclusive(offset, length)");
    }

    /** Whether {@link #enterExclusive} is implemented (else sections go through {@link #exclusive}). */
    default boolean allocationFreeSections() {
        return false;
    }

    /**
     * Holds {@code [offset, offset + length)} exclusively until the section closes: its pages
     * stay VALID here and no other kernel can take them, and the sections of this kernel's
     * threads over the same pages run one at a time. A read-modify-write inside a section is
     * atomic across the cluster.
     */
    Section exclusive(long offset, long length);

    /** An exclusive section; closing it lets the pages go. */
    interface Section extends AutoCloseable {
        @Override
        void close();
    }
}
