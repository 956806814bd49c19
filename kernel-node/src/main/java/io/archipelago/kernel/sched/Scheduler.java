package io.archipelago.kernel.sched;

import io.archipelago.program.Step;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.program.WakeReason;
import io.archipelago.typed.access.HeldPages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kernel's scheduler over its island's emulated cores. Each core is a duty-cycle agent (after
 * Aeron's {@code Agent}) on its own platform thread: it takes the thread that became ready first
 * from the kernel's run queue, runs its steps for a time slice, and puts it back (or blocks it,
 * or hands it over to a migration), then looks again; with nothing to do it parks until the next
 * timer, a wake-up, or a bounded period.
 *
 * <h2>Virtual time</h2>
 * Every core has a virtual clock. A step of N cycles advances it by N / (speed x base frequency)
 * (and is recorded BUSY over that interval); when the core picks a thread that became ready
 * after its clock, the gap is IDLE. So a core's busy time depends only on the cycles its steps
 * declared, never on how fast the host ran them. Cores are paced: a core whose clock runs more
 * than {@link Settings#maxLeadNs()} ahead of the cluster's {@link VirtualClock} parks until host
 * time catches up (so the emulation runs in real time, and spends host CPU only on the steps'
 * own work); a core behind it (a slow host) runs its steps back to back until it catches up,
 * without inventing idle time. Timers are virtual instants: a thread that sleeps S after a step
 * ending at T is ready at T + S, however late the host fires it.
 */
public final class Scheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

    /**
     * @param cores          emulated cores
     * @param speed          the island's speed and the base frequency
     * @param sliceNs        virtual time a thread runs while others wait
     * @param maxLeadNs      how far a core's clock may run ahead of the cluster's virtual clock
     * @param heldRecheckNs  how often threads refused by {@link Admission} are looked at again
     * @param maxIdleParkNs  the longest an idle core parks before it looks again. Only a safety net:
     *                       whoever queues work (a thread added, an interrupt, a reconsidered hold,
     *                       a timer earlier than a parked core's deadline, a core that picks a
     *                       thread while more are ready) unparks an idle core, so
     *                       an idle kernel's cores need not poll; and an idle core's energy does not
     *                       depend on how often it wakes (the idle interval is recorded once, when
     *                       the core next picks a thread)
     */
    public record Settings(int cores, CoreSpeed speed, long sliceNs, long maxLeadNs, long heldRecheckNs, long maxIdleParkNs) {
        public Settings {
            if (cores < 1 || sliceNs < 1 || maxLeadNs < 0 || heldRecheckNs < 1 || maxIdleParkNs < 1) {
                throw new IllegalArgumentException("scheduler settings: cores >= 1, slice >= 1 ns, lead >= 0, recheck and park >= 1 ns; found "
                    + cores + ", " + sliceNs + ", " + maxLeadNs + ", " + heldRecheckNs + ", " + maxIdleParkNs);
            }
        }

        /**
         * An idle core's wake-up when nothing unparks it: each of a sixteen-kernel cluster's 24
         * idle cores woke ten times a second at 100 ms, the largest share of an idle cluster's CPU.
         */
        public static final long DEFAULT_MAX_IDLE_PARK_NS = TimeUnit.SECONDS.toNanos(2);

        public static Settings of(int cores, CoreSpeed speed, long sliceNs, long maxLeadNs) {
            return new Settings(cores, speed, sliceNs, maxLeadNs, TimeUnit.MILLISECONDS.toNanos(50), DEFAULT_MAX_IDLE_PARK_NS);
        }
    }

    private final String name;
    private final Settings settings;
    private final VirtualClock clock;
    private final CoreTimeline timeline;
    private final StepLog steps;
    private final Admission admission;
    private final SchedCounters counters;
    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<SchedThread> ready = new PriorityQueue<>(
        Comparator.<SchedThread>comparingLong(t -> t.readyAt).thenComparingLong(t -> t.queueSeq));
    private final PriorityQueue<SchedThread> timers = new PriorityQueue<>(Comparator.comparingLong(t -> t.wakeAt));
    private final Map<Integer, Set<SchedThread>> irqWaiters = new HashMap<>();
    private final Set<SchedThread> held = new LinkedHashSet<>();
    private final Map<Integer, SchedThread> threads = new HashMap<>();
    private final Core[] cores;
    private long queueSeq;
    private long lastReconsider;
    private volatile boolean running;

    public Scheduler(String name, Settings settings, VirtualClock clock, CoreTimeline timeline, StepLog steps, Admission admission,
                     SchedCounters counters) {
        this.name = name;
        this.settings = settings;
        this.clock = clock;
        this.timeline = timeline;
        this.steps = steps;
        this.admission = admission;
        this.counters = counters;
        long now = clock.now();
        this.cores = new Core[settings.cores()];
        for (int i = 0; i < cores.length; i++) {
            cores[i] = new Core(i, now);
        }
    }

    public void start() {
        running = true;
        for (Core core : cores) {
            core.thread.start();
        }
    }

    public Settings settings() {
        return settings;
    }

    public VirtualClock clock() {
        return clock;
    }

    public CoreTimeline timeline() {
        return timeline;
    }

    public StepLog steps() {
        return steps;
    }

    // ------------------------------------------------------------------ threads joining and leaving

    /**
     * Takes a thread on, placed as {@link SchedThread#place} says: READY and SUSPENDED threads
     * join the run queue (admission decides at dispatch), BLOCKED ones wait for their timer or
     * line. Does not call {@link Admission#runnable}: a created thread's caller does, a thread
     * that arrives by migration was counted where it came from.
     */
    public void add(SchedThread thread) {
        lock.lock();
        try {
            if (threads.putIfAbsent(thread.tid, thread) != null) {
                throw new IllegalStateException("thread " + thread.tid + " is already scheduled on kernel " + name);
            }
            thread.core = -1;
            thread.stopRequested = false;
            thread.stopped = null;
            thread.held = false;
            if (thread.state == TaskState.BLOCKED) {
                block(thread);
            } else {
                thread.state = TaskState.READY;
                enqueue(thread);
            }
            thread.publish();
        } finally {
            lock.unlock();
        }
        if (!onIdleCore()) {
            unparkIdleCore();
        }
    }

    /**
     * Whether the caller is one of these cores between two slices (running work handed to it by
     * {@link #runOnIdleCore}): it looks at the run queue next, so a thread it adds needs no other
     * core woken (a thread adopted on the core that will run it; a second wake-up would only race it).
     */
    private boolean onIdleCore() {
        Thread caller = Thread.currentThread();
        for (Core core : cores) {
            if (core.thread == caller) {
                return core.current == null;
            }
        }
        return false;
    }

    /** Whether this kernel schedules thread {@code tid}. */
    public Optional<SchedThread> thread(int tid) {
        lock.lock();
        try {
            return Optional.ofNullable(threads.get(tid));
        } finally {
            lock.unlock();
        }
    }

    public List<SchedThread> threads() {
        lock.lock();
        try {
            return new ArrayList<>(threads.values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops a thread at its next migration point (the end of the step it runs, or now if it is not
     * on a core) and takes it off this scheduler, keeping its state (READY, or BLOCKED with its
     * timer and line). The future fails if the thread exits first or is not scheduled here. It
     * completes on the core that ran the thread's last step, outside the scheduler's lock (or on
     * the caller, at once, when the thread was not on a core); {@link SchedThread#stoppedAtNs}
     * says when the step ended, whenever the caller wakes.
     */
    public CompletableFuture<SchedThread> stop(int tid) {
        lock.lock();
        try {
            SchedThread thread = threads.get(tid);
            if (thread == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("thread " + tid + " is not scheduled on kernel " + name));
            }
            if (thread.stopped != null) {
                return thread.stopped;
            }
            CompletableFuture<SchedThread> stopped = new CompletableFuture<>();
            thread.stopped = stopped;
            if (thread.core >= 0) {
                thread.stopRequested = true; // its core hands it over after the current step
                // a core pacing ahead of virtual time between two steps would otherwise notice only when its park ends
                LockSupport.unpark(cores[thread.core].thread);
            } else {
                detach(thread);
                threads.remove(tid);
                thread.stoppedNow();
                stopped.complete(thread);
            }
            return stopped;
        } finally {
            lock.unlock();
        }
    }

    private void detach(SchedThread thread) {
        if (ready.remove(thread)) {
            thread.state = thread.state == TaskState.SUSPENDED ? TaskState.READY : thread.state;
        }
        timers.remove(thread);
        removeWaiter(thread);
        if (held.remove(thread)) {
            thread.held = false;
            thread.state = TaskState.READY;
        }
    }

    // ------------------------------------------------------------------ wake-ups

    /** Interrupt line {@code line} was raised: wakes every thread of this kernel waiting on it; returns how many. */
    public int irq(int line) {
        int woken = 0;
        lock.lock();
        try {
            Set<SchedThread> waiters = irqWaiters.remove(line);
            if (waiters != null) {
                counters.irqWaiters(line, 0);
                long now = clock.now();
                for (SchedThread thread : new ArrayList<>(waiters)) {
                    thread.irq = SchedThread.NO_IRQ; // already off the waiter set
                    wake(thread, WakeReason.IRQ, now);
                    woken++;
                }
            }
        } finally {
            lock.unlock();
        }
        if (woken > 0) {
            unparkIdleCore();
        }
        return woken;
    }

    /** Looks again at threads that {@link Admission} refused (e.g. on RESUME_NW, or when a NightWatch preemption was confirmed). */
    public void reconsider() {
        lock.lock();
        try {
            reconsiderLocked(clock.now());
        } finally {
            lock.unlock();
        }
        unparkIdleCore();
    }

    private void reconsiderLocked(long now) {
        lastReconsider = now;
        if (held.isEmpty()) {
            return;
        }
        List<SchedThread> again = new ArrayList<>(held);
        held.clear();
        for (SchedThread thread : again) {
            thread.held = false;
            thread.state = TaskState.READY;
            thread.readyAt = Math.max(thread.readyAt, now);
            enqueue(thread);
            thread.publish();
        }
    }

    private void wake(SchedThread thread, WakeReason reason, long at) {
        timers.remove(thread);
        removeWaiter(thread);
        thread.irq = SchedThread.NO_IRQ;
        thread.wakeAt = 0;
        thread.wakeReason = reason;
        thread.state = TaskState.READY;
        thread.readyAt = at;
        admission.runnable(thread);
        enqueue(thread);
        thread.publish();
    }

    private void fireTimers(long now) {
        SchedThread next;
        while ((next = timers.peek()) != null && next.wakeAt <= now) {
            timers.poll();
            wake(next, WakeReason.TIMER, next.wakeAt);
        }
    }

    private void enqueue(SchedThread thread) {
        thread.queueSeq = queueSeq++;
        ready.add(thread);
    }

    private void block(SchedThread thread) {
        thread.state = TaskState.BLOCKED;
        if (thread.wakeAt > 0) {
            timers.add(thread);
            unparkCoreParkedPast(thread.wakeAt);
        }
        if (thread.irq != SchedThread.NO_IRQ) {
            Set<SchedThread> waiters = irqWaiters.computeIfAbsent(thread.irq, k -> new LinkedHashSet<>());
            waiters.add(thread);
            counters.irqWaiters(thread.irq, waiters.size());
        }
    }

    private void removeWaiter(SchedThread thread) {
        Set<SchedThread> waiters = thread.irq == SchedThread.NO_IRQ ? null : irqWaiters.get(thread.irq);
        if (waiters != null && waiters.remove(thread)) {
            if (waiters.isEmpty()) {
                irqWaiters.remove(thread.irq);
            }
            counters.irqWaiters(thread.irq, waiters.size());
        }
    }

    private void hold(SchedThread thread) {
        thread.held = true;
        held.add(thread);
        if (thread.nightWatch) {
            thread.state = TaskState.SUSPENDED;
        }
        thread.publish();
    }

    /**
     * Runs {@code work} on a core that has nothing to run, which goes on to its run queue right
     * after: a thread arriving by migration is adopted on the core that will run it, so its first
     * step costs no hand-off from another thread (and no second wake-up). Returns false, having
     * run nothing, when no core is idle (every core runs a thread, or is stopping): the caller
     * runs it elsewhere.
     */
    public boolean runOnIdleCore(Runnable work) {
        lock.lock();
        try {
            if (!running) {
                return false;
            }
            for (Core core : cores) {
                if (core.parked && core.arrival == null) {
                    core.arrival = work;
                    LockSupport.unpark(core.thread);
                    return true;
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A timer due before an idle core's park ends: that core wakes to fire it (the core that set it
     * may be running another thread by then). Called with the lock held.
     */
    private void unparkCoreParkedPast(long wakeAt) {
        for (Core core : cores) {
            if (core.parked && core.parkUntil > wakeAt) {
                core.parkUntil = wakeAt;
                LockSupport.unpark(core.thread);
                return;
            }
        }
    }

    private void unparkIdleCore() {
        for (Core core : cores) {
            if (core.parked) {
                LockSupport.unpark(core.thread);
                return;
            }
        }
    }

    // ------------------------------------------------------------------ status

    /** Virtual clock of each core. */
    public long[] coreClocks() {
        long[] clocks = new long[cores.length];
        for (int i = 0; i < cores.length; i++) {
            clocks[i] = cores[i].clock;
        }
        return clocks;
    }

    /**
     * Each core's totals up to now: what its timeline recorded, plus, for a core with nothing to
     * run, the idle time since its last interval (recorded once it picks a thread).
     */
    public List<CoreTimeline.Totals> coreTotals() {
        long now = clock.now();
        List<CoreTimeline.Totals> totals = new ArrayList<>();
        for (Core core : cores) {
            CoreTimeline.Totals recorded = timeline.totals(core.id);
            if (core.current == null && now > recorded.recordedUntilNs()) {
                recorded = new CoreTimeline.Totals(core.id, recorded.busyNs(), recorded.idleNs() + now - recorded.recordedUntilNs(),
                    recorded.wakeups(), now, CoreState.IDLE);
            }
            totals.add(recorded);
        }
        return totals;
    }

    /** Whether any core is running a step right now (K2's interrupt routing asks whether a kernel is active). */
    public boolean active() {
        for (Core core : cores) {
            if (core.current != null) {
                return true;
            }
        }
        return false;
    }

    public int readyCount() {
        lock.lock();
        try {
            return ready.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(2));
    }

    /**
     * Stops the cores: each finishes its current step, then its thread ends.
     *
     * @return whether every core stopped within {@code grace} (a core stuck in a step still runs it)
     */
    public boolean stop(Duration grace) {
        running = false;
        for (Core core : cores) {
            LockSupport.unpark(core.thread);
        }
        boolean stopped = true;
        long deadline = System.nanoTime() + grace.toNanos();
        for (Core core : cores) {
            try {
                core.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (core.thread.isAlive()) {
                LOG.warn("kernel {}: core {} did not stop within {} ms (it still runs a step of {})", name, core.id, grace.toMillis(),
                    core.current);
                stopped = false;
            }
        }
        timeline.flush();
        return stopped;
    }

    // ------------------------------------------------------------------ the cores

    /** One emulated core: a duty-cycle agent on its own platform thread. */
    private final class Core implements Runnable {
        final int id;
        final Thread thread;
        /** This core's virtual clock (written by its own thread only). */
        volatile long clock;
        volatile boolean parked;
        volatile SchedThread current;
        /** Work handed to this idle core by {@link #runOnIdleCore} (guarded by the scheduler's lock). */
        Runnable arrival;

        Core(int id, long now) {
            this.id = id;
            this.clock = now;
            this.thread = Thread.ofPlatform().daemon().name("core-" + name + "-" + id).unstarted(this);
        }

        @Override
        public void run() {
            while (running) {
                try {
                    runArrival();
                    if (!doWork()) {
                        idle();
                    }
                } catch (RuntimeException e) {
                    LOG.error("kernel {}: core {} failed; it carries on", name, id, e);
                }
            }
            // handed over as the scheduler stopped: it still runs (an adoption then refuses, and says so)
            runArrival();
            // the idle time up to the end
            long end = Math.max(clock, Scheduler.this.clock.now());
            timeline.record(id, CoreState.IDLE, clock, end);
            clock = end;
            publishTotals();
        }

        private long idleParkNanos;
        /** Virtual instant this idle core's park ends (guarded by the scheduler's lock). */
        long parkUntil;

        private void runArrival() {
            Runnable work;
            lock.lock();
            try {
                work = arrival;
                arrival = null;
            } finally {
                lock.unlock();
            }
            if (work != null) {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.error("kernel {}: work handed to core {} failed", name, id, e);
                }
            }
        }

        /** Picks a thread and runs its slice; false when there was nothing to run. */
        private boolean doWork() {
            pace();
            SchedThread thread;
            lock.lock();
            try {
                long now = Scheduler.this.clock.now();
                fireTimers(now);
                if (!held.isEmpty() && now - lastReconsider >= settings.heldRecheckNs()) {
                    reconsiderLocked(now);
                }
                thread = pick();
                if (thread == null) {
                    long park = settings.maxIdleParkNs();
                    SchedThread timer = timers.peek();
                    if (timer != null) {
                        park = Math.min(park, timer.wakeAt - now);
                    }
                    if (!held.isEmpty()) {
                        park = Math.min(park, settings.heldRecheckNs());
                    }
                    idleParkNanos = Math.max(park, TimeUnit.MICROSECONDS.toNanos(20));
                    parkUntil = now + idleParkNanos;
                    parked = true;
                    return false;
                }
                thread.state = TaskState.RUNNING;
                thread.core = id;
                current = thread;
                thread.publish();
                if (!ready.isEmpty()) {
                    // more work than this core (a timer it fired, a thread at the end of its slice): an
                    // idle core parked before that work was queued takes it now, not when its park ends
                    unparkIdleCore();
                }
            } finally {
                lock.unlock();
            }
            runSlice(thread);
            return true;
        }

        private SchedThread pick() {
            SchedThread thread;
            while ((thread = ready.poll()) != null) {
                if (admission.admit(thread)) {
                    thread.admitted = true;
                    return thread;
                }
                hold(thread);
            }
            return null;
        }

        private void idle() {
            LockSupport.parkNanos(this, idleParkNanos);
            parked = false;
            publishTotals();
        }

        private void pace() {
            while (running) {
                SchedThread on = current;
                if (on != null && on.stopRequested) {
                    return; // a stop is waiting for this thread's migration point, which is now
                }
                long lead = clock - Scheduler.this.clock.now();
                if (lead <= settings.maxLeadNs()) {
                    return;
                }
                // a core that waits for virtual time to catch up sits on no page meanwhile (a quiescent point before waiting)
                HeldPages.idle();
                LockSupport.parkNanos(this, Math.min(lead, TimeUnit.MILLISECONDS.toNanos(20)));
            }
        }

        private void runSlice(SchedThread thread) {
            long start = Math.max(clock, thread.readyAt);
            if (start > clock) {
                timeline.record(id, CoreState.IDLE, clock, start);
                clock = start;
            }
            long sliceStart = clock;
            Step step = null;
            RuntimeException failure = null;
            boolean sliceEnded = false;
            boolean yieldedToAdmission = false;
            int ran = 0;
            // the slice is one use of the software-coherent pages its steps touch: held at memory speed from one step to
            // the next; at the end of every step (a quiescent point) a page another kernel or thread asked for goes to it,
            // and when the slice ends all of them go (the thread's views may run on another core next); the core's own
            // bookkeeping between slices pins per access, so an idle core never sits on a page
            HeldPages.begin();
            try {
                while (true) {
                    if (thread.stopRequested) {
                        break;
                    }
                    if (admission.mustYield(thread)) {
                        yieldedToAdmission = true;
                        break;
                    }
                    if (ran > 0) {
                        pace();
                        if (thread.stopRequested) {
                            break;
                        }
                    }
                    long hostStart = System.nanoTime();
                    long virtualStart = clock;
                    try {
                        step = thread.runStep(id, virtualStart);
                    } catch (RuntimeException e) {
                        failure = e;
                        step = Step.exit(1, -1);
                    }
                    quiescentPoint(thread);
                    long hostEnd = System.nanoTime();
                    long busy = settings.speed().nanos(step.cycles());
                    clock = virtualStart + busy;
                    timeline.record(id, CoreState.BUSY, virtualStart, clock);
                    steps.add(thread.tid, thread.pid, thread.nightWatch, id, hostStart, hostEnd, virtualStart, clock, step.cycles());
                    ran++;
                    if (failure == null) {
                        try {
                            thread.accountStep(step.cycles(), busy);
                        } catch (RuntimeException e) {
                            failure = e;
                            step = Step.exit(1, -1);
                        }
                    }
                    if (step.next() != Step.Next.CONTINUE) {
                        break;
                    }
                    if (clock - sliceStart >= settings.sliceNs()) {
                        if (othersWaiting()) {
                            sliceEnded = true;
                            break;
                        }
                        sliceStart = clock;
                    }
                }
            } finally {
                endOfUse(thread);
            }
            counters.steps(ran);
            finish(thread, step, failure, sliceEnded, yieldedToAdmission);
            publishTotals();
        }

        /** The end of a step, a quiescent point: a page the slice holds goes to whoever asked for one of them meanwhile. */
        private void quiescentPoint(SchedThread thread) {
            try {
                HeldPages.quiesce();
            } catch (RuntimeException e) {
                LOG.error("kernel {}: core {} could not let go of the pages thread {} held in its step", name, id, thread.tid, e);
            }
        }

        /** The end of the slice: every page it held is let go, asked for or not. */
        private void endOfUse(SchedThread thread) {
            try {
                HeldPages.end();
            } catch (RuntimeException e) {
                LOG.error("kernel {}: core {} could not let go of the pages thread {} held in its slice", name, id, thread.tid, e);
            }
        }

        private boolean othersWaiting() {
            lock.lock();
            try {
                fireTimers(Scheduler.this.clock.now());
                return !ready.isEmpty();
            } finally {
                lock.unlock();
            }
        }

        private void finish(SchedThread thread, Step step, RuntimeException failure, boolean sliceEnded, boolean yieldedToAdmission) {
            CompletableFuture<SchedThread> stoppedHere = null;
            lock.lock();
            try {
                current = null;
                thread.core = -1;
                if (thread.admitted) {
                    thread.admitted = false;
                    admission.left(thread);
                }
                if (step != null && step.next() == Step.Next.EXIT) {
                    thread.state = TaskState.EXITED;
                    threads.remove(thread.tid);
                    if (!thread.nightWatch) {
                        admission.notRunnable(thread);
                    }
                    thread.exited((int) step.argument(), failure);
                    thread.publish();
                    if (thread.stopped != null) {
                        thread.stopped.completeExceptionally(new IllegalStateException("thread " + thread.tid + " exited before it could be stopped"));
                    }
                    return;
                }
                thread.readyAt = clock;
                thread.state = TaskState.READY;
                if (step != null) {
                    switch (step.next()) {
                        case SLEEP -> {
                            thread.wakeAt = clock + step.argument();
                            thread.irq = SchedThread.NO_IRQ;
                            thread.state = TaskState.BLOCKED;
                        }
                        case WAIT_IRQ -> {
                            thread.irq = (int) step.argument();
                            thread.wakeAt = step.timeoutNs() > 0 ? clock + step.timeoutNs() : 0;
                            thread.state = TaskState.BLOCKED;
                        }
                        default -> {
                        }
                    }
                }
                if (thread.state == TaskState.BLOCKED) {
                    thread.wakeReason = WakeReason.NONE;
                    thread.accountSwitch(true);
                    counters.switches(true);
                    admission.notRunnable(thread);
                } else if (sliceEnded) {
                    thread.accountSwitch(false);
                    counters.switches(false);
                }
                if (thread.stopRequested) {
                    threads.remove(thread.tid);
                    thread.stopRequested = false;
                    thread.stoppedNow();
                    thread.publish();
                    stoppedHere = thread.stopped;
                    return;
                }
                if (thread.state == TaskState.BLOCKED) {
                    block(thread);
                    thread.publish();
                } else if (yieldedToAdmission) {
                    hold(thread);
                } else {
                    enqueue(thread);
                    thread.publish();
                }
            } finally {
                lock.unlock();
                if (stoppedHere != null) {
                    // outside the lock: the migration waiting for it carries on at once, without this core's lock in its way
                    stoppedHere.complete(thread);
                }
            }
        }

        private void publishTotals() {
            CoreTimeline.Totals totals = timeline.totals(id);
            counters.coreTotals(id, totals.busyNs(), totals.idleNs(), totals.wakeups());
        }
    }
}
