package io.archipelago.program;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedRegion;

/**
 * What a {@link Program} sees of the thread it runs: its identity, its registers (saved in its
 * shared descriptor, so they survive a migration), its typed data and its process's, and the
 * kernel it runs on at this step (which may change between two steps).
 */
public interface ThreadContext {

    int tid();

    int pid();

    boolean nightWatch();

    /** Its index among its process's threads of its kind (0, 1, ...). */
    long threadIndex();

    /** Register {@code i} (0..7), kept in the shared descriptor. */
    long reg(int i);

    void reg(int i, long value);

    /** Steps this thread ran before the current one. */
    long steps();

    /** Why the thread last woke up from BLOCKED. */
    WakeReason wakeReason();

    /**
     * The thread's typed data, through {@code view} (the program's declared view; attached by this
     * kernel, morphed when another data model laid it out).
     *
     * @throws IllegalStateException if the program declared no thread data, or another view
     */
    <T> TypedRegion<T> data(Class<T> view);

    /** The process's shared typed data, through {@code view}. */
    <T> TypedRegion<T> shared(Class<T> view);

    /** Atomic access to an integer member of the process's shared data (e.g. a counter several threads increment). */
    SharedWord sharedWord(String member);

    /** The kernel running this step. */
    String kernelName();

    DataModel dataModel();

    /** The virtual time the current step started at. */
    long virtualNow();
}
