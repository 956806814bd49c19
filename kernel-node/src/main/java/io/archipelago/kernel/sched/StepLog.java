package io.archipelago.kernel.sched;

import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps a kernel's cores ran, in a bounded ring (the oldest are overwritten), each with a
 * sequence number so that a reader asks for what is new since its last read and learns how many
 * it missed. Tests check K2's NightWatch rule from these records, across kernels, by host time.
 * With a {@link TraceRing}, each step is also a slice on its core's track of the cluster's timeline,
 * with its virtual time beside it (the core's virtual clock at the step's start, its virtual length).
 */
public final class StepLog {

    private final StepRecord[] ring;
    private final TraceRing trace;
    private long next = 1;

    public StepLog(int capacity) {
        this(capacity, null);
    }

    public StepLog(int capacity, TraceRing trace) {
        this.ring = new StepRecord[Math.max(16, capacity)];
        this.trace = trace;
    }

    public void add(int tid, int pid, boolean nightWatch, int core, long hostStart, long hostEnd, long virtualStart, long virtualEnd,
                    long cycles) {
        if (trace != null) {
            trace.slice(nightWatch ? TraceEvent.NIGHTWATCH_STEP : TraceEvent.STEP, core, tid, hostStart, hostEnd - hostStart);
            // beside it, at its host start: the core's virtual clock then, and the step's virtual length (saturated to 32 bits)
            trace.instantAt(TraceEvent.STEP_VIRTUAL_TIME, core, (int) Math.min(virtualEnd - virtualStart, 0xFFFF_FFFFL), hostStart,
                virtualStart);
        }
        log(tid, pid, nightWatch, core, hostStart, hostEnd, virtualStart, virtualEnd, cycles);
    }

    private synchronized void log(int tid, int pid, boolean nightWatch, int core, long hostStart, long hostEnd, long virtualStart,
                                  long virtualEnd, long cycles) {
        long seq = next++;
        ring[(int) (seq % ring.length)] = new StepRecord(seq, tid, pid, nightWatch, core, hostStart, hostEnd, virtualStart, virtualEnd, cycles);
    }

    /** Records after {@code since}, at most {@code max}, oldest first. */
    public synchronized Slice since(long since, int max) {
        long oldest = Math.max(1, next - ring.length);
        long from = Math.max(since + 1, oldest);
        long dropped = Math.max(0, oldest - (since + 1));
        List<StepRecord> records = new ArrayList<>();
        for (long seq = from; seq < next && records.size() < max; seq++) {
            records.add(ring[(int) (seq % ring.length)]);
        }
        long last = records.isEmpty() ? Math.max(since, from - 1) : records.getLast().seq();
        return new Slice(records, dropped, last);
    }

    public synchronized long lastSeq() {
        return next - 1;
    }

    /** What {@link #since} found: the records, how many were overwritten before they were read, the last sequence number. */
    public record Slice(List<StepRecord> records, long dropped, long lastSeq) {
    }
}
