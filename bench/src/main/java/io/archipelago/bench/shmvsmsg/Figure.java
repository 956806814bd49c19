package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one way of doing one operation measured: its latency per operation, the batch a sample
 * averages over (1: every operation timed alone), how many operations in how long (over every
 * thread of every kernel), and the DSM faults taken meanwhile.
 */
public record Figure(LatencySummary latency, long batch, long operations, long elapsedNanos, long faults, long lateThreads) {

    public Figure(LatencySummary latency, long batch, long operations, long elapsedNanos, long faults) {
        this(latency, batch, operations, elapsedNanos, faults, 0);
    }

    public double p50() {
        return latency.p50();
    }

    /** The p50 unrounded, for ratios ({@link LatencySummary#exactP50()}). */
    public double exactP50() {
        return latency.exactP50();
    }

    /** Operations per second over the measured window (0 when not a throughput run). */
    public double opsPerSecond() {
        return elapsedNanos <= 0 ? 0 : Math.round(operations * 1e9 / elapsedNanos);
    }

    public ObjectNode json() {
        ObjectNode node = latency.json();
        node.put("batch", batch);
        node.put("operations", operations);
        if (elapsedNanos > 0) {
            node.put("ops_per_s", opsPerSecond());
        }
        node.put("dsm_faults", faults);
        if (lateThreads > 0) {
            node.put("late_threads", lateThreads);
        }
        return node;
    }
}
