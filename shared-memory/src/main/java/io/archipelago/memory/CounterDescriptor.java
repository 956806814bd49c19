package io.archipelago.memory;

/**
 * A counter of a kernel's counters area, defined once by the module that owns it (after Aeron's
 * {@code SystemCounterDescriptor}): an enum of these per module, whose writers allocate the
 * counter and whose readers (status, the CLI, tests) find it through the same constant, never
 * through a label spelled again.
 */
public interface CounterDescriptor {

    /** What a descriptor enum's constants hold: a counter's label and description. */
    record Definition(String label, String description) {
    }

    /** This counter's label and description (each descriptor enum's one field). */
    Definition definition();

    /** The label in the counters area: 1 to {@value KernelCountersArea#LABEL_MAX_BYTES} bytes, {@code <area>.<name>}. */
    default String label() {
        return definition().label();
    }

    /** What the counter counts, and its unit. */
    default String description() {
        return definition().description();
    }
}
