package io.archipelago.kernel.sched;

import io.archipelago.program.Step;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.program.WakeReason;
import java.util.concurrent.CompletableFuture;

/**
 * A thread as the scheduler of its owner kernel sees it. The fields below are the scheduler's
 * (guarded by its lock); what survives the thread leaving this kernel is written to its shared
 * descriptor by {@link #publish()}.
 */
public abstract class SchedThread {

    /** No interrupt line. */
    public static final int NO_IRQ = -1;

    protected final int tid;
    protected final int pid;
    protected final boolean nightWatch;

    TaskState state = TaskState.READY;
    long readyAt;
    /** Virtual ns a timer wakes this BLOCKED thread, 0 for none. */
    long wakeAt;
    int irq = NO_IRQ;
    WakeReason wakeReason = WakeReason.NONE;
    long queueSeq;
    int core = -1;
    boolean admitted;
    boolean held;
    volatile boolean stopRequested;
    CompletableFuture<SchedThread> stopped;
    /** When {@link Scheduler#stop} took the thread off its core or queue (host monotonic ns), 0 before. */
    private volatile long stoppedAtNs;

    protected SchedThread(int tid, int pid, boolean nightWatch) {
        this.tid = tid;
        this.pid = pid;
        this.nightWatch = nightWatch;
    }

    public final int tid() {
        return tid;
    }

    public final int pid() {
        return pid;
    }

    public final boolean nightWatch() {
        return nightWatch;
    }

    /**
     * When the last {@link Scheduler#stop} took this thread off the scheduler (host monotonic ns):
     * the end of its step, read by the core that ran it, not by whoever waited for the stop and
     * woke up later.
     */
    public final long stoppedAtNs() {
        return stoppedAtNs;
    }

    final void stoppedNow() {
        stoppedAtNs = System.nanoTime();
    }

    /** Sets where the thread stands before {@link Scheduler#add}: its state, and its timer and line when BLOCKED. */
    public final void place(TaskState state, long readyAt, long wakeAt, int irq) {
        if (state != TaskState.READY && state != TaskState.BLOCKED && state != TaskState.SUSPENDED) {
            throw new IllegalArgumentException("a thread joins a scheduler READY, BLOCKED or SUSPENDED, found " + state);
        }
        this.state = state;
        this.readyAt = readyAt;
        this.wakeAt = wakeAt;
        this.irq = irq;
    }

    public final TaskState state() {
        return state;
    }

    public final long wakeAt() {
        return wakeAt;
    }

    public final int irq() {
        return irq;
    }

    /** Sets why the thread last woke (a thread arriving by migration keeps its own). */
    public final void wokenBy(WakeReason reason) {
        this.wakeReason = reason;
    }

    /** Why the scheduler last woke this thread. */
    public final WakeReason wokenBy() {
        return wakeReason;
    }

    /** Runs one step of the thread's program on {@code core}, starting at the core's virtual time {@code virtualNs}. Exceptions end the thread. */
    protected abstract Step runStep(int core, long virtualNs);

    /** Accounts a step that ran: its cycles and its virtual duration. */
    protected abstract void accountStep(long cycles, long virtualNs);

    /** A context switch: voluntary (it blocked) or not (its slice ended). */
    protected abstract void accountSwitch(boolean voluntary);

    /** Writes the thread's scheduling state (state, timer, line, wake reason) to where it is shared. */
    protected abstract void publish();

    /** The thread ended with {@code code}, or its program failed ({@code failure} non-null). */
    protected abstract void exited(int code, RuntimeException failure);

    @Override
    public String toString() {
        return (nightWatch ? "NightWatch thread " : "thread ") + tid + " of process " + pid + " (" + state + ")";
    }
}
