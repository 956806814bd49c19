package io.archipelago.trace;

/**
 * What the coordinator's interrupt router decided for one interrupt, and the inputs of the rule
 * (K2, section 3.4: an interrupt goes to the strong domain while one of its kernels is awake, to
 * the weak domain while the strong one sleeps), as the value of an {@link TraceEvent#IRQ_ROUTED}
 * record:
 * <pre>
 *  63        48 47        40 39        32 31        24 23  22  21  20 19     16 15                   0
 *  +-----------+------------+------------+------------+---+---+---+---+--------+---------------------+
 *  | reserved  | weak       | strong     | strong     | 0 | 0 | A | W | rule   | kernel chosen       |
 *  |           | kernels    | kernels    | asleep     |   |   |   |   |        | (0xFFFF: none)      |
 *  +-----------+------------+------------+------------+---+---+---+---+--------+---------------------+
 * </pre>
 * W: a thread of a strong kernel waits on the line (the weak kernel forwards the interrupt to it);
 * A: a weak kernel took the interrupt while every strong kernel slept and none of their threads
 * waited on it, so no strong kernel was woken (K2's saving). Counts saturate at 255.
 *
 * @param kernel         the kernel chosen, or {@link #NONE}
 * @param strongKernels  running kernels of the strong domain
 * @param strongAsleep   of those, how many published that they sleep
 * @param weakKernels    running kernels of the weak domain
 */
public record IrqDecision(int kernel, Rule rule, int strongKernels, int strongAsleep, int weakKernels, boolean strongThreadsWait,
                          boolean avoidedStrongWakeup) {

    /** No kernel took the interrupt. */
    public static final int NONE = 0xFFFF;

    /** Why the router chose as it did. */
    public enum Rule {
        /** No kernel of the domain the policy asks for runs: the interrupt is not delivered. */
        NO_KERNEL("no kernel runs"),
        /** K2's rule: a kernel of the strong domain is awake, it takes the interrupt. */
        STRONG_AWAKE("k2: a strong kernel is awake"),
        /** K2's rule: every strong kernel sleeps (or none runs), a weak kernel takes it and the strong domain sleeps on. */
        STRONG_ASLEEP("k2: the strong domain sleeps, a weak kernel takes it"),
        /** K2's rule with no weak kernel running: a strong kernel takes it, asleep or not. */
        NO_WEAK("k2: no weak kernel runs"),
        /** Policy {@code strong}: always a strong kernel (the baseline without K2's rule). */
        POLICY_STRONG("policy strong"),
        /** Policy {@code alternate}: every running kernel in turn. */
        POLICY_ALTERNATE("policy alternate");

        private final String description;

        Rule(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public IrqDecision {
        if (kernel < 0 || kernel > NONE) {
            throw new IllegalArgumentException("an interrupt's kernel: expected 0 to " + NONE + ", found " + kernel);
        }
    }

    /** The decision as an {@link TraceEvent#IRQ_ROUTED} record's value. */
    public long packed() {
        return kernel
            | (long) rule.ordinal() << 16
            | (strongThreadsWait ? 1L << 20 : 0)
            | (avoidedStrongWakeup ? 1L << 21 : 0)
            | (long) Math.min(strongAsleep, 255) << 24
            | (long) Math.min(strongKernels, 255) << 32
            | (long) Math.min(weakKernels, 255) << 40;
    }

    /** The decision an {@link TraceEvent#IRQ_ROUTED} record's value holds (an unknown rule reads as {@link Rule#NO_KERNEL}). */
    public static IrqDecision unpack(long value) {
        int ruleCode = (int) (value >>> 16 & 0xF);
        Rule rule = ruleCode < Rule.values().length ? Rule.values()[ruleCode] : Rule.NO_KERNEL;
        return new IrqDecision((int) (value & 0xFFFF), rule, (int) (value >>> 32 & 0xFF), (int) (value >>> 24 & 0xFF),
            (int) (value >>> 40 & 0xFF), (value & 1L << 20) != 0, (value & 1L << 21) != 0);
    }

    public boolean delivered() {
        return kernel != NONE;
    }
}
