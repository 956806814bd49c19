package io.archipelago.kernel.task.model;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;

/**
 * The task service's shared global variable ({@code tasks.globals}): the last thread id handed
 * out (a cluster-wide counter, changed by compare-and-set), the host monotonic time every
 * kernel's virtual clock counts from, and which slots of the task table are in use.
 *
 * <pre>
 *  struct sched_globals {
 *      unsigned int last_pid;            0   the last pid/tid allocated (CAS)
 *      unsigned int slots;               4   capacity of the task table
 *      unsigned long long epoch_ns;      8   host monotonic ns of virtual time 0 (set once, CAS)
 *      unsigned long long slot_map[64]; 16   bit s of word s / 64: slot s is in use (CAS per word)
 *  };                               size 528 on every data model
 * </pre>
 * The slot map lets a kernel find the slots in use without reading every descriptor: on a
 * software-coherent table, reading a descriptor takes its page from the kernel that holds it.
 * <pre>
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
    @CType(value = "unsigned long long[64]", member = "slot_map") long slotMap(int i);

    /** Slots the map can describe. */
    int MAX_SLOTS = 64 * 64;
}
