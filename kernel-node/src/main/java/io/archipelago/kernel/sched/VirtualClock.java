package io.archipelago.kernel.sched;

/**
 * The cluster's virtual time: nanoseconds since an epoch every kernel of the cluster shares
 * (host monotonic time, the same clock in every process of one host). Cores keep their own
 * virtual clocks, which advance by the virtual duration of the steps they run and never run more
 * than a bounded lead ahead of this one; events from outside (interrupts, arrivals) are stamped
 * with it.
 */
public final class VirtualClock {

    private final long epochHostNs;

    public VirtualClock(long epochHostNs) {
        this.epochHostNs = epochHostNs;
    }

    /** A clock whose time 0 is now (tests). */
    public static VirtualClock startingNow() {
        return new VirtualClock(System.nanoTime());
    }

    /** Virtual nanoseconds now. */
    public long now() {
        return System.nanoTime() - epochHostNs;
    }

    /** The host monotonic time of a virtual instant. */
    public long hostOf(long virtualNs) {
        return virtualNs + epochHostNs;
    }

    /** The virtual instant of a host monotonic time. */
    public long virtualOf(long hostNs) {
        return hostNs - epochHostNs;
    }

    public long epochHostNs() {
        return epochHostNs;
    }
}
