package io.archipelago.typed.access;

/**
 * The one call a generated accessor emits before each load or store of a region homed in another
 * coherence domain (and only there: a local region's accessor, and every accessor under the
 * {@code host} platform, has no call at all): holds the thread for the modelled extra latency of
 * every cache line the access touches, as the platform's remote memory would (a member straddling
 * two lines pays for both).
 * <p>
 * Spun on the host's monotonic clock, never parked: the costs are tens to hundreds of nanoseconds,
 * far below a park's slack. The clock is read at the start and on every turn, so an access pays at
 * least the modelled time and at most one clock read (about 20-30 ns here) more.
 */
public final class RemoteLineDelay {

    /** The modelled cache line: 64 bytes, as on the platforms the presets describe. */
    public static final int LINE_BYTES = 64;
    private static final int LINE_SHIFT = 6;

    private RemoteLineDelay() {
    }

    /**
     * Pays {@code nanosPerLine} for each cache line that bytes {@code [offset, offset + width)} of the
     * region touch. The offset is within the region, whose start is page aligned, so its lines are
     * the global memory's.
     */
    public static void pay(long offset, int width, long nanosPerLine) {
        long start = System.nanoTime();
        long nanos = lines(offset, width) * nanosPerLine;
        while (System.nanoTime() - start < nanos) {
            Thread.onSpinWait();
        }
    }

    /** How many cache lines bytes {@code [offset, offset + width)} touch. */
    static long lines(long offset, int width) {
        return ((offset + width - 1) >>> LINE_SHIFT) - (offset >>> LINE_SHIFT) + 1;
    }
}
