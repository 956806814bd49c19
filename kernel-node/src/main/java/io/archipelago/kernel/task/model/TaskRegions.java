package io.archipelago.kernel.task.model;

import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Coherence;

/**
 * Names and creates every region of the task service, in one place: the task table, its
 * globals, each thread's data and each process's data.
 * <p>
 * Coherence: the task service is one of K2's <em>shadowed</em> services: its state (descriptors,
 * threads' and processes' data) is shared by kernels of every coherence domain, so its regions are
 * software-coherent (the DSM) by default, and a thread migrating to another domain takes its pages
 * lazily, as it touches them. A cluster of one coherence domain may choose hardware coherence
 * ({@code -Darchipelago.tasks.coherence=hardware}: no page faults, and no kernel of another domain
 * can attach the regions).
 */
public final class TaskRegions {

    public static final String TABLE = "tasks.table";
    public static final String GLOBALS = "tasks.globals";
    private static final String THREAD_PREFIX = "task.";
    private static final String PROCESS_PREFIX = "proc.";

    private TaskRegions() {
    }

    /** The region of a thread's typed data, generation {@code generation} (a migration by messages makes a new one). */
    public static String threadData(int tid, long generation) {
        return THREAD_PREFIX + tid + "." + generation;
    }

    /** The region of a process's shared typed data. */
    public static String processData(int pid) {
        return PROCESS_PREFIX + pid;
    }

    /** A thread data region's name as (tid, generation), or null for any other name. */
    public static long[] parseThreadData(String name) {
        if (!name.startsWith(THREAD_PREFIX)) {
            return null;
        }
        String[] parts = name.substring(THREAD_PREFIX.length()).split("\\.");
        try {
            return parts.length == 2 ? new long[] {Integer.parseInt(parts[0]), Long.parseLong(parts[1])} : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A process data region's pid, or -1 for any other name. */
    public static int parseProcessData(String name) {
        if (!name.startsWith(PROCESS_PREFIX)) {
            return -1;
        }
        try {
            return Integer.parseInt(name.substring(PROCESS_PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates a region of the task service (see the class comment on coherence). */
    public static <T> TypedRegion<T> create(TypedMemory typed, String name, Class<T> view, long count, Coherence coherence) {
        return typed.create(name, view, count, ArrayLayout.ARRAY_OF_STRUCTS, coherence, region -> { });
    }

    /** Attaches the region {@code name}, creating it first when no kernel has (of kernels racing, one creates it). */
    public static <T> TypedRegion<T> createOrAttach(TypedMemory typed, String name, Class<T> view, long count, Coherence coherence) {
        if (typed.contract(name).isEmpty()) {
            try {
                return create(typed, name, view, count, coherence);
            } catch (RegionException.Exists raced) {
                // another kernel created it first: attach theirs
            }
        }
        return typed.attach(name, view);
    }
}
