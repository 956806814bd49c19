package io.archipelago.kernel.energy;

import io.archipelago.kernel.sched.CoreInterval;
import io.archipelago.kernel.sched.CoreState;
import io.archipelago.kernel.sched.CoreStateListener;

/**
 * Integrates a {@link PowerModel} over the states of a kernel's cores in virtual time: a
 * {@link CoreStateListener} on the scheduler's {@code CoreTimeline}, told of every closed
 * interval. Per core:
 * <ul>
 *   <li>BUSY for d: d x active power;</li>
 *   <li>IDLE for d: min(d, sleep-after) x idle power, and (d - sleep-after) x sleep power past
 *       the threshold; a core that slept pays one wake-up's energy when it is next BUSY;</li>
 * </ul>
 * and per interrupt handled by the kernel: the handler's cycles at active power, plus a wake-up
 * when the kernel was asleep (the caller says so: the energy service knows the kernel's state).
 * Energy is kept in picojoules (1 mW over 1 ns), exactly: the figures of a hand-computed
 * scenario come out to the picojoule ({@code EnergyMeterTest}).
 * <p>
 * {@link #read} adds the open tail (the interval not closed yet and the idle time since) without
 * changing the accounts, so {@code status} sees energy up to now.
 */
public final class EnergyMeter implements CoreStateListener {

    private final PowerModel model;
    private final long irqNs;
    private final Account[] cores;
    private long irqPj;
    private long irqs;
    private long irqWakeups;

    /**
     * @param irqNs virtual time of one interrupt handler on a core of this island (the model's
     *              irq cycles at the island's speed)
     */
    public EnergyMeter(PowerModel model, int cores, long startNs, long irqNs) {
        this.model = model;
        this.irqNs = irqNs;
        this.cores = new Account[cores];
        for (int i = 0; i < cores; i++) {
            this.cores[i] = new Account(startNs);
        }
    }

    public PowerModel model() {
        return model;
    }

    @Override
    public void onInterval(CoreInterval interval) {
        Account account = cores[interval.core()];
        synchronized (account) {
            account.add(model, interval.state(), interval.startNs(), interval.endNs());
        }
    }

    /**
     * The kernel handled an interrupt at {@code atNs}; {@code asleep}: the kernel was asleep (past
     * its sleep threshold). A sleeping kernel pays the wake-up here; a core that runs a step within
     * the threshold after it does not pay it again.
     */
    public void interrupt(boolean asleep, long atNs) {
        synchronized (this) {
            irqs++;
            irqPj += PowerModel.picojoules(model.activeMw(), irqNs);
            if (asleep) {
                irqWakeups++;
                irqPj += model.wakeupPj();
            }
        }
        if (asleep) {
            for (Account account : cores) {
                synchronized (account) {
                    account.wokenAt = atNs;
                }
            }
        }
    }

    /** Energy of the closed intervals only (what the listener was told). */
    public Energy closed() {
        return read(null, Long.MIN_VALUE);
    }

    /**
     * Energy up to {@code nowNs}: the closed intervals, plus for each core its open interval
     * ({@code open[core]}, may be null) and the time from its end to {@code nowNs} as IDLE.
     */
    public Energy read(CoreInterval[] open, long nowNs) {
        Energy total = Energy.ZERO;
        for (int i = 0; i < cores.length; i++) {
            Account copy;
            synchronized (cores[i]) {
                copy = cores[i].copy();
            }
            if (open != null) {
                CoreInterval tail = open[i];
                if (tail != null) {
                    copy.add(model, tail.state(), tail.startNs(), tail.endNs());
                }
                // the open interval may be IDLE: the gap extends it (the timeline would merge them)
                long from = tail != null ? tail.endNs() : copy.until;
                if (nowNs > from) {
                    if (tail != null && tail.state() == CoreState.IDLE) {
                        copy.undoLastIdle(model);
                        copy.add(model, CoreState.IDLE, tail.startNs(), nowNs);
                    } else {
                        copy.add(model, CoreState.IDLE, from, nowNs);
                    }
                }
            }
            total = total.plus(copy.energy());
        }
        synchronized (this) {
            return total.plus(new Energy(0, 0, 0, 0, irqPj, 0, irqs, irqWakeups));
        }
    }

    /**
     * Energy by where it went, in picojoules.
     *
     * @param wakeups     deep-sleep exits of cores (a BUSY interval after an IDLE past the threshold)
     * @param irqWakeups  interrupts that found the kernel asleep
     */
    public record Energy(long busyPj, long idlePj, long sleepPj, long wakeupPj, long irqPj, long wakeups, long irqs, long irqWakeups) {
        public static final Energy ZERO = new Energy(0, 0, 0, 0, 0, 0, 0, 0);

        public long totalPj() {
            return busyPj + idlePj + sleepPj + wakeupPj + irqPj;
        }

        Energy plus(Energy o) {
            return new Energy(busyPj + o.busyPj, idlePj + o.idlePj, sleepPj + o.sleepPj, wakeupPj + o.wakeupPj, irqPj + o.irqPj,
                wakeups + o.wakeups, irqs + o.irqs, irqWakeups + o.irqWakeups);
        }
    }

    /** One core's account; guarded by itself. */
    private static final class Account {
        long busyPj;
        long idlePj;
        long sleepPj;
        long wakeupPj;
        long wakeups;
        /** End of the last interval accounted. */
        long until;
        /** The last interval was IDLE past the threshold: the next BUSY pays a wake-up. */
        boolean slept;
        /** The last IDLE interval accounted (to extend it in a reading). */
        long lastIdleShallowPj;
        long lastIdleDeepPj;
        boolean lastWasIdle;
        boolean lastIdleSleptBefore;
        /** An interrupt woke the kernel at this instant (and paid the wake-up). */
        long wokenAt = Long.MIN_VALUE / 2;

        Account(long startNs) {
            this.until = startNs;
        }

        void add(PowerModel model, CoreState state, long start, long end) {
            long ns = end - start;
            if (ns <= 0) {
                return;
            }
            if (state == CoreState.BUSY) {
                if (slept && start - wokenAt > model.sleepAfterNs()) {
                    wakeupPj += model.wakeupPj();
                    wakeups++;
                }
                slept = false;
                wokenAt = Long.MIN_VALUE / 2;
                busyPj += PowerModel.picojoules(model.activeMw(), ns);
                lastWasIdle = false;
            } else {
                long threshold = model.sleepAfterNs();
                long shallow = Math.min(ns, threshold);
                long shallowPj = PowerModel.picojoules(model.idleMw(), shallow);
                long deepPj = ns > threshold ? PowerModel.picojoules(model.sleepMw(), ns - threshold) : 0;
                idlePj += shallowPj;
                sleepPj += deepPj;
                lastIdleShallowPj = shallowPj;
                lastIdleDeepPj = deepPj;
                lastIdleSleptBefore = slept;
                lastWasIdle = true;
                slept = ns > threshold;
            }
            until = end;
        }

        /** Takes back the last IDLE interval (a reading extends it to now as one interval). */
        void undoLastIdle(PowerModel model) {
            if (lastWasIdle) {
                idlePj -= lastIdleShallowPj;
                sleepPj -= lastIdleDeepPj;
                slept = lastIdleSleptBefore;
                lastWasIdle = false;
            }
        }

        Account copy() {
            Account a = new Account(until);
            a.busyPj = busyPj;
            a.idlePj = idlePj;
            a.sleepPj = sleepPj;
            a.wakeupPj = wakeupPj;
            a.wakeups = wakeups;
            a.slept = slept;
            a.lastIdleShallowPj = lastIdleShallowPj;
            a.lastIdleDeepPj = lastIdleDeepPj;
            a.lastWasIdle = lastWasIdle;
            a.lastIdleSleptBefore = lastIdleSleptBefore;
            a.wokenAt = wokenAt;
            return a;
        }

        Energy energy() {
            return new Energy(busyPj, idlePj, sleepPj, wakeupPj, 0, wakeups, 0, 0);
        }
    }
}
