package io.archipelago.bench.energy;

import java.util.Locale;

/**
 * Whether the two cases of {@code bench energy} did the same work, so that dividing their
 * energies compares like with like: their sync counts may differ by at most
 * {@link #TOLERANCE_FRACTION} of the larger or {@link #TOLERANCE_SYNCS} syncs, whichever is more
 * (a case's start and end are taken from the host's clock, so a packet at either edge may fall in
 * one case and not the other). A case that did no sync cannot be compared at all.
 */
public record SameWork(long strongSyncs, long nightWatchSyncs) {

    public static final double TOLERANCE_FRACTION = 0.05;
    public static final long TOLERANCE_SYNCS = 2;

    /** The largest difference allowed between the two counts. */
    public long tolerance() {
        return Math.max(TOLERANCE_SYNCS, (long) Math.floor(Math.max(strongSyncs, nightWatchSyncs) * TOLERANCE_FRACTION));
    }

    public boolean agrees() {
        return strongSyncs > 0 && nightWatchSyncs > 0 && Math.abs(strongSyncs - nightWatchSyncs) <= tolerance();
    }

    /** Why the two cases cannot be compared; empty when they can. */
    public String disagreement() {
        if (agrees()) {
            return "";
        }
        if (strongSyncs <= 0 || nightWatchSyncs <= 0) {
            return String.format(Locale.ROOT, "a case did no work (syncs: strong %d, nightwatch %d)", strongSyncs, nightWatchSyncs);
        }
        return String.format(Locale.ROOT, "the cases did different work: strong %d syncs, nightwatch %d (differ by %d, more than the "
            + "tolerance of %d: max(%d, %.0f%% of the larger))", strongSyncs, nightWatchSyncs, Math.abs(strongSyncs - nightWatchSyncs),
            tolerance(), TOLERANCE_SYNCS, TOLERANCE_FRACTION * 100);
    }

    /** Energy per sync in microjoules, from millijoules over {@code syncs}; 0 for no sync. */
    public static double microjoulesPerSync(double millijoules, long syncs) {
        return syncs <= 0 ? 0 : millijoules * 1000 / syncs;
    }
}
