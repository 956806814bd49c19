package io.archipelago.program;

import java.util.Optional;

/**
 * A program the emulated kernels run: one Java class, found through {@link java.util.ServiceLoader}
 * in every kernel (as one binary is compiled for every ISA). It runs in <b>steps</b>: a step
 * reads and writes only the thread's registers ({@link ThreadContext#reg}) and typed data, all
 * in shared memory, and says how many cycles it consumed; between two steps the thread may be
 * preempted, or migrated to another kernel, where the next step continues from the same state.
 * A program object therefore holds no per-thread state.
 * <p>
 * To add one: implement this interface in a public class with a public no-argument constructor
 * and list it in {@code META-INF/services/io.archipelago.program.Program}.
 */
public interface Program {

    /** The name {@code archipelago run} takes (up to 15 ASCII characters: it is the thread's {@code comm}). */
    String name();

    /** One line for {@code archipelago run --help}. */
    String summary();

    /** The typed data of each thread (migrated with it), if any. */
    default Optional<ProgramData> threadData(ProgramArgs args) {
        return Optional.empty();
    }

    /** The typed data shared by the threads of a process (stays in shared memory), if any. */
    default Optional<ProgramData> processData(ProgramArgs args) {
        return Optional.empty();
    }

    /**
     * Sets up a new thread's registers and data from the arguments, on the kernel that creates
     * it, before it first runs.
     *
     * @throws IllegalArgumentException for arguments the program does not accept (the message says which and what it expects)
     */
    void start(ThreadContext thread, ProgramArgs args);

    /** Runs one step. */
    Step step(ThreadContext thread);
}
