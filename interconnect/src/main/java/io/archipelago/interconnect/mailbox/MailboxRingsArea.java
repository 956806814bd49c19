package io.archipelago.interconnect.mailbox;

/**
 * The size of the mailbox rings area a member maps ({@link MailboxContext#ringMemory}): what a
 * global memory reserves for the mailbox, and what the rings laid out in it take. One wake line
 * per kernel, then one ring per ordered pair of kernels, laid out in full for every pair up to max
 * kernels, so that a ring's place follows from the two ids alone:
 *
 * <pre>
 *  +---------------------------------------------------------------------+
 *  | wake line 0 | wake line 1 | ... | wake line (kernels - 1)           |  WAKE_LINE_BYTES each
 *  +---------------------------------------------------------------------+
 *  | ring 0->0 | ring 0->1 | ... | ring 1->0 | ... | ring (k-1)->(k-1)   |  RING_BYTES each, ring s->r
 *  +---------------------------------------------------------------------+  is number s * kernels + r
 * </pre>
 * The bytes inside a wake line and a ring are drawn where they are read and written (the
 * mailbox's implementation, {@code MailboxRings} and {@code MailboxRing}); the sizes are here so
 * that a context can check the area it is given without reaching into that implementation.
 */
public final class MailboxRingsArea {

    /** One receiver's wake line: one cache line. */
    public static final int WAKE_LINE_BYTES = 64;
    /** One ring of one ordered pair: five cache lines (indices, eight slots, eight send stamps). */
    public static final int RING_BYTES = 320;

    private MailboxRingsArea() {
    }

    /** Bytes the area takes for this many kernels. */
    public static long bytes(int kernels) {
        return (long) kernels * WAKE_LINE_BYTES + (long) kernels * kernels * RING_BYTES;
    }
}
