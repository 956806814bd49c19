package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** Accumulates the runs of one way of one operation (rounds, kernels) into one {@link Figure}. */
public final class Measured {

    private final Histogram picos = LatencySummary.picosHistogram();
    private long batch;
    private long operations;
    private long elapsedNanos;
    private long faults;
    private long late;
    private Figure.UrpcWaits urpcWaits;

    /** Adds one kernel's run: its encoded picosecond histogram and counts. */
    public void add(byte[] encodedHistogram, long runBatch, long runOperations, long runFaults) {
        picos.add(decode(encodedHistogram));
        batch = Math.max(batch, runBatch);
        operations += runOperations;
        faults += runFaults;
    }

    /** Adds how a URPC run's two ends waited. */
    public void addUrpcWaits(Figure.UrpcWaits waits) {
        urpcWaits = urpcWaits == null ? waits : urpcWaits.plus(waits);
    }

    /** Adds samples measured in nanoseconds (the socket and mailbox baselines). */
    public void addNanos(long[] nanos) {
        LatencySummary.recordNanosAsPicos(picos, nanos);
        batch = Math.max(batch, 1);
        operations += nanos.length;
    }

    /** Adds a measured window (throughput runs: the longest window of the kernels that ran together). */
    public void addWindow(long nanos) {
        elapsedNanos += nanos;
    }

    /** Threads that reached the common start late. */
    public void addLate(long threads) {
        late += threads;
    }

    public Figure figure() {
        return new Figure(LatencySummary.of(picos), batch, operations, elapsedNanos, faults, late, urpcWaits);
    }

    static Histogram decode(byte[] encoded) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(encoded), 0);
        } catch (DataFormatException e) {
            throw new IllegalStateException("a kernel returned a histogram that does not decode: " + e.getMessage(), e);
        }
    }
}
