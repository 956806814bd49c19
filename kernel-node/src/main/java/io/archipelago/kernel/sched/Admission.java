package io.archipelago.kernel.sched;

/**
 * Rules that decide, beyond the run queue, whether a thread may take a core: K2's NightWatch
 * rule plugs in here ({@code NightWatch}). The scheduler calls
 * {@link #admit}, {@link #left}, {@link #runnable} and {@link #notRunnable} under its lock:
 * implementations must not block (they may send mailbox words asynchronously).
 */
public interface Admission {

    /** Before a thread takes a core: may it run now? Refused threads wait until {@link Scheduler#reconsider()}. */
    boolean admit(SchedThread thread);

    /** At a step boundary: must the running thread leave its core now? */
    boolean mustYield(SchedThread thread);

    /** An admitted thread left its core (whatever the reason). */
    void left(SchedThread thread);

    /** A thread became runnable (woke from a timer or an interrupt, or was created). */
    void runnable(SchedThread thread);

    /** A runnable thread stopped being runnable (blocked, or exited). */
    void notRunnable(SchedThread thread);

    /** Every thread may always run. */
    Admission ALWAYS = new Admission() {
        @Override
        public boolean admit(SchedThread thread) {
            return true;
        }

        @Override
        public boolean mustYield(SchedThread thread) {
            return false;
        }

        @Override
        public void left(SchedThread thread) {
        }

        @Override
        public void runnable(SchedThread thread) {
        }

        @Override
        public void notRunnable(SchedThread thread) {
        }
    };
}
