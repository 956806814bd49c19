package io.archipelago.program;

/** Why a blocked thread woke up ({@code task_descriptor.wake_reason}), for the program's next step. */
public enum WakeReason {
    NONE, TIMER, IRQ;

    public static WakeReason of(long code) {
        return code >= 0 && code < values().length ? values()[(int) code] : NONE;
    }
}
