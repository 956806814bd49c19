package io.archipelago.kernel.sched;

/** A core in one state over [startNs, endNs) of virtual time; consecutive intervals of one state are merged. */
public record CoreInterval(int core, CoreState state, long startNs, long endNs) {

    public long durationNs() {
        return endNs - startNs;
    }
}
