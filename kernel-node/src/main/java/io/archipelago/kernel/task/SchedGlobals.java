package io.archipelago.kernel.task;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * The task service's shared global variable ({@code tasks.globals}): the last thread id handed
 * out (a cluster-wide counter, changed by compare-and-set), and the host monotonic time every
 * kernel's virtual clock counts from.
 *
 * <pre>
 *  struct sched_globals {
 *      unsigned int last_pid;        0   the last pid/tid allocated (CAS)
 *      unsigned int slots;           4   capacity of the task table
 *      unsigned long long epoch_ns;  8   host monotonic ns of virtual time 0 (set once, CAS)
 *  };                           size 16 on every data model
 * </pre>
 */
@Typed("sched_globals")
public interface SchedGlobals {
    @CType(value = "unsigned int", member = "last_pid") long lastPid();
    void lastPid(long pid);
    @CType("unsigned int") long slots();
    void slots(long slots);
    @CType(value = "unsigned long long", member = "epoch_ns") long epochNs();
    void epochNs(long epoch);
}
