package io.archipelago.coordinator;

/** Something the coordinator saw happen to a kernel: launched, running, dead, restarted, stopped. */
public record ClusterEvent(Kind kind, int kernelId, String kernelName, String detail, long atMs) {

    public enum Kind {
        LAUNCHED, RUNNING, DEAD, RESTARTED, STOPPED
    }

    @Override
    public String toString() {
        return "kernel " + kernelName + " (id " + kernelId + ") " + kind + (detail.isEmpty() ? "" : ": " + detail);
    }
}
