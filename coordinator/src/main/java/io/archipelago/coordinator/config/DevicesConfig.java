package io.archipelago.coordinator.config;

/**
 * The emulated devices as the cluster boots with them (the {@code devices:} key of the cluster
 * YAML); {@code archipelago devices} changes them while the cluster runs. The defaults are what
 * the coordinator always started with: devices silent, K2's routing rule, the shadowed driver.
 *
 * @param nicRatePerS   packets per second arriving at the NIC (0: none), at most 20,000
 * @param timerPeriodUs the timer's period in microseconds (0: off), at least 1,000
 * @param routing       {@code k2} (interrupts to the weak domain while the strong one sleeps),
 *                      {@code strong} (always a strong kernel) or {@code alternate} (every kernel in turn)
 * @param driver        the NIC driver's state: {@code shared} (K2's shadowed driver) or {@code private}
 */
public record DevicesConfig(double nicRatePerS, long timerPeriodUs, String routing, String driver) {

    public static final double MAX_NIC_RATE = 20_000;
    public static final long MIN_TIMER_PERIOD_US = 1_000;
    public static final java.util.List<String> ROUTINGS = java.util.List.of("k2", "strong", "alternate");
    public static final java.util.List<String> DRIVERS = java.util.List.of("shared", "private");

    public DevicesConfig {
        checkNicRate(nicRatePerS);
        checkTimerPeriod(timerPeriodUs);
        checkRouting(routing);
        checkDriver(driver);
    }

    public static double checkNicRate(double perSecond) {
        if (!(perSecond >= 0 && perSecond <= MAX_NIC_RATE)) {
            throw new IllegalArgumentException("NIC rate: expected 0 to 20000 packets per second, found " + perSecond);
        }
        return perSecond;
    }

    public static long checkTimerPeriod(long periodUs) {
        if (periodUs != 0 && periodUs < MIN_TIMER_PERIOD_US) {
            throw new IllegalArgumentException("timer period: expected 0 (off) or at least 1000 us, found " + periodUs);
        }
        return periodUs;
    }

    public static String checkRouting(String policy) {
        if (!ROUTINGS.contains(policy)) {
            throw new IllegalArgumentException("routing: expected 'k2' (K2's rule), 'strong' (always a strong kernel) or 'alternate' "
                + "(every kernel in turn), found '" + policy + "'");
        }
        return policy;
    }

    public static String checkDriver(String mode) {
        if (!DRIVERS.contains(mode)) {
            throw new IllegalArgumentException("driver: expected 'shared' (K2's shadowed driver) or 'private', found '" + mode + "'");
        }
        return mode;
    }

    public static DevicesConfig defaults() {
        return new DevicesConfig(0, 0, "k2", "shared");
    }
}
