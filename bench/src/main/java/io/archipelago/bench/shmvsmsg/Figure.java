package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one way of doing one operation measured: its latency per operation, the batch a sample
 * averages over (1: every operation timed alone), how many operations in how long (over every
 * thread of every kernel), the DSM faults taken meanwhile, and by URPC how the two ends waited
 * ({@link UrpcWaits}, null for the other ways).
 */
public record Figure(LatencySummary latency, long batch, long operations, long elapsedNanos, long faults, long lateThreads, UrpcWaits urpcWaits) {

    public Figure(LatencySummary latency, long batch, long operations, long elapsedNanos, long faults) {
        this(latency, batch, operations, elapsedNanos, faults, 0, null);
    }

    /**
     * By URPC: the requester's parks, the owner dispatcher's parks, the doorbells rung each way and
     * the waits on a full ring over the first thread's measured windows (the kernels' urpc.* counters).
     */
    public record UrpcWaits(long requesterParks, long ownerParks, long doorbellsToOwner, long doorbellsToRequester, long fullWaits) {

        UrpcWaits plus(UrpcWaits other) {
            return new UrpcWaits(requesterParks + other.requesterParks, ownerParks + other.ownerParks, doorbellsToOwner + other.doorbellsToOwner,
                doorbellsToRequester + other.doorbellsToRequester, fullWaits + other.fullWaits);
        }
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
        if (urpcWaits != null && operations > 0) {
            // per operation: 0 when both ends polled throughout, about 2 parks and 2 doorbells when every round trip woke both
            ObjectNode waits = node.putObject("urpc_waits_per_op");
            double ops = operations;
            waits.put("requester_parks", round3(urpcWaits.requesterParks() / ops));
            waits.put("owner_parks", round3(urpcWaits.ownerParks() / ops));
            waits.put("doorbells_to_owner", round3(urpcWaits.doorbellsToOwner() / ops));
            waits.put("doorbells_to_requester", round3(urpcWaits.doorbellsToRequester() / ops));
            waits.put("full_waits", round3(urpcWaits.fullWaits() / ops));
        }
        return node;
    }

    private static double round3(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
