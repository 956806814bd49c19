package io.archipelago.kernel.sched;

/** Where a scheduler counts what it does (the kernel's counters area, so that {@code status} shows it). */
public interface SchedCounters {

    void steps(long delta);

    void switches(boolean voluntary);

    void coreTotals(int core, long busyNs, long idleNs, long wakeups);

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
