package io.archipelago.kernel.task.model;

/**
 * A thread's state, as stored in {@code task_descriptor.__state}. {@link #NEW} is a slot being
 * filled by its creator: no other kernel acts on it.
 */
public enum TaskState {
    NEW(0),
    /** Runnable, in its kernel's run queue. */
    READY(1),
    /** Executing a step on one of its kernel's cores. */
    RUNNING(2),
    /** Waiting for a timer or an interrupt. */
    BLOCKED(3),
    /** Held off the cores: a NightWatch thread while a normal thread of its process is awake (K2). */
    SUSPENDED(4),
    /** Finished; its slot is reclaimed later. */
    EXITED(5);

    private static final TaskState[] BY_CODE = values();

    private final int code;

    TaskState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The state of a stored code. */
    public static TaskState of(long code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("a task state code is 0.." + (BY_CODE.length - 1) + ", found " + code);
        }
        return BY_CODE[(int) code];
    }
}
