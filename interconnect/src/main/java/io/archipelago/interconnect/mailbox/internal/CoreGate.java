package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.FreeCoreGate;
import io.archipelago.interconnect.mailbox.MailboxContext.LoopPoll;

/**
 * The interrupt context's rule for spinning ({@link SpinThenBlock}), for the other threads of a
 * member: a sender facing a full ring, or a kernel thread watching the ring for its reply, spins
 * only while no thread of the machine waits for a core, and for at most the loop-spin window.
 * Thread-safe: the runnable count is read at most every {@link SpinThenBlock#CHECK_NANOS} for all
 * threads together. Other modules get it as a {@link FreeCoreGate} ({@code Mailboxes.coreGate}).
 */
public final class CoreGate implements FreeCoreGate {

    private final RunnableThreads runnable;
    private final boolean always;
    private final int cores;
    final long windowNanos;
    private volatile long checkedAt = System.nanoTime() - SpinThenBlock.CHECK_NANOS;
    private volatile boolean spare;

    private CoreGate(RunnableThreads runnable, boolean always, int cores, long windowNanos) {
        this.runnable = runnable;
        this.always = always;
        this.cores = cores;
        this.windowNanos = windowNanos;
    }

    /** The gate of a member's settings: never open with no window, or (gated) where the runnable count cannot be read. */
    public static CoreGate of(long windowNanos, LoopPoll poll, int cores) {
        if (windowNanos <= 0) {
            return new CoreGate(null, false, cores, 0);
        }
        if (poll == LoopPoll.ALWAYS) {
            return new CoreGate(null, true, cores, windowNanos);
        }
        RunnableThreads reader = RunnableThreads.open(RunnableThreads.LOADAVG);
        return new CoreGate(reader, false, cores, reader == null ? 0 : windowNanos);
    }

    /** Whether a spinning thread may go on spinning now. */
    @Override
    public boolean coreToSpare() {
        if (always) {
            return true;
        }
        if (runnable == null) {
            return false;
        }
        long now = System.nanoTime();
        if (now - checkedAt < SpinThenBlock.CHECK_NANOS) {
            return spare;
        }
        synchronized (this) {
            if (now - checkedAt >= SpinThenBlock.CHECK_NANOS) {
                int count = runnable.read();
                spare = count >= 0 && count <= cores;
                checkedAt = System.nanoTime();
            }
            return spare;
        }
    }

    @Override
    public void close() {
        if (runnable != null) {
            synchronized (this) {
                runnable.close();
            }
        }
    }
}
