package io.archipelago.kernel.sched;

/**
 * What an emulated core does over an interval of virtual time. A power model (the energy
 * issue) integrates these per core: BUSY at active power; IDLE at idle power, or, past its
 * threshold, at sleep power plus a wake-up's energy when the core becomes BUSY again.
 */
public enum CoreState {
    /** Running a step of a thread. */
    BUSY,
    /** No thread to run. */
    IDLE
}
