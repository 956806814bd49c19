package io.archipelago.memory;

/**
 * A counter of a kernel's counters area, defined once by the module that owns it (after Aeron's
 * {@code SystemCounterDescriptor}): an enum of these per module, whose writers allocate the
 * counter and whose readers (status, the CLI, tests) find it through the same constant, never
 * through a label spelled again.
 */
public interface CounterDescriptor {

    /** The label in the counters area: 1 to {@value KernelCountersArea#LABEL_MAX_BYTES} bytes, {@code <area>.<name>}. */
    String label();

    /** What the counter counts, and its unit. */
    String description();
}
