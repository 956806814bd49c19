package io.archipelago.typed.access;

/**
 * What the modelled platform adds to a load or store of one cache line homed in another coherence
 * domain than the accessing kernel's, over a local one (README, "A platform model"): the costs a
 * generated accessor of such a region pays per line each access touches ({@link RemoteLineDelay}).
 * {@link #NONE} for a region of the kernel's own domain, and everywhere under the {@code host}
 * platform: the accessor's code then carries no delay at all.
 *
 * @param readNs  extra nanoseconds per cache line a load touches
 * @param writeNs extra nanoseconds per cache line a store touches
 */
public record RemoteLineCosts(long readNs, long writeNs) {

    public static final RemoteLineCosts NONE = new RemoteLineCosts(0, 0);

    public RemoteLineCosts {
        if (readNs < 0 || writeNs < 0) {
            throw new IllegalArgumentException("remote-line costs are never negative, found read " + readNs + " ns, write " + writeNs + " ns");
        }
    }

    /** Whether nothing is paid: the accessor's code is the same as for a local region. */
    public boolean none() {
        return readNs == 0 && writeNs == 0;
    }
}
