package io.archipelago.program;

/**
 * Typed data a program asks for: {@code count} elements of the struct the {@link io.archipelago.typed.Typed}
 * interface {@code view} describes, laid out for the data model of the kernel that creates them.
 */
public record ProgramData(Class<?> view, long count) {
    public ProgramData {
        if (count < 1) {
            throw new IllegalArgumentException("program data needs at least one element, found " + count);
        }
    }
}
