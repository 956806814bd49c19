package io.archipelago.kernel.sched;

/** Where a scheduler counts what it does (the kernel's counters area, so that {@code status} shows it). */
public interface SchedCounters {

    void steps(long delta);

    void switches(boolean voluntary);

    void coreTotals(int core, long busyNs, long idleNs, long wakeups);

    /** How many of the kernel's threads now wait on interrupt line {@code line} (published so that other kernels forward it). */
    default void irqWaiters(int line, int count) {
    }

    SchedCounters NONE = new SchedCounters() {
        @Override
        public void steps(long delta) {
        }

        @Override
        public void switches(boolean voluntary) {
        }

        @Override
        public void coreTotals(int core, long busyNs, long idleNs, long wakeups) {
        }
    };
}
