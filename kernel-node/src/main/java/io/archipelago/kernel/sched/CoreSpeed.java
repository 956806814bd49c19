package io.archipelago.kernel.sched;

/**
 * How fast an island's cores run: a step of {@code cycles} keeps a core busy for
 * cycles / (speed x base frequency) of virtual time, whatever the host did meanwhile.
 *
 * @param speed  the island's speed relative to the base frequency (K2's weak island: 0.25)
 * @param baseHz the frequency of a core of speed 1.0
 */
public record CoreSpeed(double speed, long baseHz) {

    public CoreSpeed {
        if (!(speed > 0) || baseHz < 1) {
            throw new IllegalArgumentException("a core speed is > 0 and a base frequency >= 1 Hz, found " + speed + " x " + baseHz + " Hz");
        }
    }

    /** Virtual nanoseconds a core of this island is busy for {@code cycles} (rounded to the nearest ns, at least 1). */
    public long nanos(long cycles) {
        return Math.max(1, Math.round(cycles * 1e9 / (speed * baseHz)));
    }

    /** Hz of one core. */
    public double hz() {
        return speed * baseHz;
    }
}
