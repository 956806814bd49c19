package io.archipelago.kernel.sched;

/**
 * One step a core ran: which thread, on which core, when in host time (comparable across the
 * kernels of one host) and in the core's virtual time, and its cycles.
 */
public record StepRecord(long seq, int tid, int pid, boolean nightWatch, int core, long hostStartNs, long hostEndNs,
                         long virtualStartNs, long virtualEndNs, long cycles) {
}
