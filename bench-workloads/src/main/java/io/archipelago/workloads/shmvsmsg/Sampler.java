package io.archipelago.workloads.shmvsmsg;

import io.archipelago.typed.access.HeldPages;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * How one thread times an operation: warm up (JIT, caches, pages, connections) for a while, size
 * a batch so that it lasts at least {@code targetNanos} (a single shared-memory access is far
 * shorter than what {@code System.nanoTime} can resolve), then record each batch's mean per
 * operation, in picoseconds, into an HdrHistogram. A message round trip lasts far longer than the
 * target, so its batch is 1: every round trip is its own sample.
 */
final class Sampler {

    static final long DEFAULT_TARGET_NANOS = 2_000;
    private static final int MAX_BATCH = 1 << 16;

    private final LongSupplier operation;
    private long checksum;
    private long operations;

    Sampler(LongSupplier operation) {
        this.operation = operation;
    }

    static Histogram histogram() {
        return new Histogram(10, 60_000_000_000_000L, 3);
    }

    /** How many of the warm-up's last chunks size the batch. */
    private static final int SIZING_CHUNKS = 64;
    /** How many chunks of the final size the warm-up waits for (within twice its time). */
    private static final int MIN_SIZING_CHUNKS = 8;

    /**
     * Runs the operation for {@code nanos}; returns the batch that lasts at least {@code targetNanos}.
     * <p>
     * Timed in chunks that double until one lasts half the target, each followed by a quiescent
     * point as a measured batch is, and the batch is sized from the median of the last chunks'
     * means: a clock read per operation would weigh about as much as a nanosecond-scale operation
     * itself, and the mean of the whole warm-up is swollen by the interpreted and compiling start
     * and by any preemption on a loaded host (both made batches of 1 to 40 operations, whose
     * samples were mostly two clock reads).
     */
    int warmUp(long nanos, long targetNanos) {
        long now = System.nanoTime();
        long end = now + nanos;
        // a first access that faults a page in (or runs cold code) may outlast the whole warm-up: go on, up to twice as
        // long, until a few chunks have sized the batch
        long lastEnd = end + nanos;
        int chunk = 1;
        double[] means = new double[SIZING_CHUNKS];
        int chunks = 0;
        do {
            long start = now;
            for (int i = 0; i < chunk; i++) {
                checksum ^= operation.getAsLong();
            }
            HeldPages.quiesce();
            now = System.nanoTime();
            long took = now - start;
            if (took < targetNanos / 2 && chunk < MAX_BATCH) {
                chunk *= 2;
                chunks = 0; // only chunks of the final size count: shorter ones carry more of the clock
            } else {
                means[chunks++ % SIZING_CHUNKS] = (double) took / chunk;
            }
        } while (now - end < 0 || (chunks < MIN_SIZING_CHUNKS && now - lastEnd < 0));
        HeldPages.idle(); // what follows may wait (the common start): hold nothing meanwhile
        double mean = chunks == 0 ? (double) targetNanos / chunk : median(means, Math.min(chunks, SIZING_CHUNKS));
        return (int) Math.max(1, Math.min(MAX_BATCH, Math.ceil(targetNanos / Math.max(mean, 0.01))));
    }

    private static double median(double[] values, int count) {
        double[] sorted = java.util.Arrays.copyOf(values, count);
        java.util.Arrays.sort(sorted);
        return sorted[count / 2];
    }

    /** Timed batches until {@code endNanos}; every batch's mean per operation goes into {@code latencies}. */
    void measureUntil(long endNanos, int batch, Histogram latencies) {
        while (true) {
            long start = System.nanoTime();
            if (start - endNanos >= 0) {
                return;
            }
            for (int i = 0; i < batch; i++) {
                checksum ^= operation.getAsLong();
            }
            HeldPages.quiesce(); // the batch is one use of the pages: a page another kernel asked for meanwhile goes to it now
            long elapsed = System.nanoTime() - start;
            operations += batch;
            record(latencies, elapsed * 1000 / batch);
        }
    }

    /** {@code count} operations, each timed alone. */
    void measureEach(int count, Histogram latencies) {
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            checksum ^= operation.getAsLong();
            HeldPages.quiesce();
            long elapsed = System.nanoTime() - start;
            operations++;
            record(latencies, elapsed * 1000);
        }
    }

    long checksum() {
        return checksum;
    }

    long operations() {
        return operations;
    }

    static void record(Histogram histogram, long picos) {
        histogram.recordValue(Math.max(histogram.getLowestDiscernibleValue(), Math.min(picos, histogram.getHighestTrackableValue())));
    }

    static byte[] encode(Histogram histogram) {
        ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        byte[] bytes = new byte[length];
        buffer.flip();
        buffer.get(bytes);
        return bytes;
    }
}
