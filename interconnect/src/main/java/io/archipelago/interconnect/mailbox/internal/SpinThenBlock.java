package io.archipelago.interconnect.mailbox.internal;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.SingleThreadEventExecutor;

/**
 * The interrupt context's wait for the next word: poll the sockets (a non-blocking
 * {@code epoll_wait}) for a bounded time after the last work, then block. K2's requester rule
 * ("spin briefly, then park") applied to the event loop itself.
 * <p>
 * Why: on a quiet (virtualised) host the cores halt as soon as every thread blocks, and waking the
 * interrupt context of the peer kernel then costs a halt exit per word, measured at about 20 µs a
 * hop on the development VM (a mailbox round trip of 50 µs against 7.8 µs when any core is busy).
 * Polling a few tens of microseconds after each word keeps the loop awake through a conversation
 * and costs at most that much CPU per burst; while the loop polls, a peer's word is seen at once.
 */
final class SpinThenBlock implements SelectStrategy {

    private final long spinNanos;
    /** The loop whose task queue ends the polling too (a word handed over by a kernel thread is a task, not an I/O event). */
    private volatile SingleThreadEventExecutor loop;

    SpinThenBlock(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    /** Set once the loop exists (the strategy is made before it). */
    void watchTasksOf(SingleThreadEventExecutor loop) {
        this.loop = loop;
    }

    private boolean tasksPending() {
        SingleThreadEventExecutor watched = loop;
        return watched != null && watched.pendingTasks() > 0;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        int ready = selectNow.get();
        if (hasTasks || ready > 0) {
            return ready;
        }
        long until = System.nanoTime() + spinNanos;
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
            ready = selectNow.get();
            if (ready > 0 || tasksPending()) {
                return ready;
            }
        }
        return SELECT;
    }
}
