package io.archipelago.interconnect.mailbox.internal;

/**
 * Keeps a flood of bad frames from flooding the log: at most {@code perWindow} lines per window,
 * then one line saying how many were left out. Counters still count every event.
 */
final class LogLimiter {

    private final int perWindow;
    private final long windowNanos;
    private long windowStart = System.nanoTime();
    private int used;
    private long suppressed;

    LogLimiter(int perWindow, long windowNanos) {
        this.perWindow = perWindow;
        this.windowNanos = windowNanos;
    }

    /**
     * Whether to log this event; returns -1 to log, or 0 to stay silent. When a window ends with
     * suppressed events, the first call of the next window returns how many were suppressed
     * (positive), and the caller logs that count along with its line.
     */
    synchronized long admit() {
        long now = System.nanoTime();
        if (now - windowStart > windowNanos) {
            windowStart = now;
            used = 0;
            long left = suppressed;
            suppressed = 0;
            if (left > 0) {
                used++;
                return left;
            }
        }
        if (used < perWindow) {
            used++;
            return -1;
        }
        suppressed++;
        return 0;
    }
}
