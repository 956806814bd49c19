package io.archipelago.kernel.task.model;

/** Bits of {@code task_descriptor.flags}. */
public final class TaskFlags {

    /** A NightWatch thread (K2): pinned to weak islands, runs only while every normal thread of its process is suspended. */
    public static final long NIGHTWATCH = 0x1;
    /** The thread-group leader: its descriptor also holds its process's NightWatch gate. */
    public static final long LEADER = 0x2;

    private TaskFlags() {
    }

    public static boolean nightWatch(long flags) {
        return (flags & NIGHTWATCH) != 0;
    }
}
