package io.archipelago.bench.shmvsmsg;

import java.util.List;

/**
 * What a run of {@code archipelago bench shm-vs-msg} measures and for how long.
 *
 * @param sizes            object sizes in bytes (multiples of 64: objects are arrays of 64-byte bench_items)
 * @param ops              operations of the size sweep
 * @param kernels          requester kernels of the contention sweep: 1..kernels
 * @param threads          threads per kernel of the contention sweep
 * @param contentionOps    operations of the contention sweep
 * @param warmupMs         warm-up of each timed run of the size sweep, in the kernel
 * @param measureMs        measured window of each run of the size sweep
 * @param rounds           interleaved rounds of the size sweep, each with a round of the floors (the ways' order rotates), and
 *                         of the operations timed alone
 * @param coldSamples      operations timed alone right after the owner wrote the object, per operation, size and way, spread
 *                         over the rounds (after one unrecorded round of coldSamples / rounds)
 * @param floorRoundTrips  round trips of each floor (socket, mailbox) per round
 * @param contentionWarmupMs warm-up of every thread before the common start
 * @param contentionMeasureMs the common measured window
 * @param marshalMs        measured time per size of the in-process marshalling figures
 * @param jitWarmupMs      how long every operation runs every way, unrecorded, before anything is measured
 */
public record ShmVsMsgPlan(boolean quick, List<Long> sizes, List<String> ops, int kernels, List<Integer> threads, List<String> contentionOps,
                           long warmupMs, long measureMs, int rounds, int coldSamples, int floorRoundTrips, long contentionWarmupMs,
                           long contentionMeasureMs, long marshalMs, long jitWarmupMs) {

    /** The operations of the size sweep, as the JSON names them. */
    public static final List<String> ALL_OPS = List.of("read_field", "update_field", "read_struct", "scan", "increment");
    /** The contention sweep: a consistent multi-member update (the object's lock), and a counter (an atomic instruction). */
    public static final List<String> CONTENTION_OPS = List.of("update_struct", "increment");

    public ShmVsMsgPlan {
        sizes = List.copyOf(sizes);
        ops = List.copyOf(ops);
        threads = List.copyOf(threads);
        contentionOps = List.copyOf(contentionOps);
        for (long size : sizes) {
            if (size < 64 || size % 64 != 0) {
                throw new IllegalArgumentException("an object size is a multiple of 64 bytes (one bench_item), at least 64; found " + size);
            }
        }
        if (sizes.isEmpty()) {
            throw new IllegalArgumentException("expected at least one object size");
        }
        if (kernels < 1 || kernels > 8) {
            throw new IllegalArgumentException("expected 1 to 8 requester kernels; found " + kernels);
        }
        if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1 || t > 16)) {
            throw new IllegalArgumentException("expected threads per kernel between 1 and 16; found " + threads);
        }
        if (warmupMs < 1 || measureMs < 1 || contentionWarmupMs < 1 || contentionMeasureMs < 1 || marshalMs < 1 || jitWarmupMs < 1 || rounds < 1
            || coldSamples < 0 || floorRoundTrips < 1) {
            throw new IllegalArgumentException("expected positive durations, rounds and round trips");
        }
    }

    /** For CI: three sizes, two kernels, short windows: about a minute on 2 cores, cluster boot included. */
    public static ShmVsMsgPlan quickPlan() {
        return new ShmVsMsgPlan(true, List.of(64L, 4096L, 65536L), ALL_OPS, 2, List.of(1, 2), CONTENTION_OPS, 40, 120, 1, 15, 1_000, 40, 150,
            150, 300);
    }

    /**
     * Six sizes from 64 B to 64 KiB, up to three kernels x four threads, four interleaved rounds (so that a burst of other
     * work on the machine hits every way alike): a few minutes.
     */
    public static ShmVsMsgPlan fullPlan() {
        return new ShmVsMsgPlan(false, List.of(64L, 256L, 1024L, 4096L, 16384L, 65536L), ALL_OPS, 3, List.of(1, 2, 4), CONTENTION_OPS, 100,
            150, 4, 100, 2_500, 100, 500, 600, 500);
    }

    public ShmVsMsgPlan withSizes(List<Long> newSizes) {
        return new ShmVsMsgPlan(quick, newSizes, ops, kernels, threads, contentionOps, warmupMs, measureMs, rounds, coldSamples, floorRoundTrips,
            contentionWarmupMs, contentionMeasureMs, marshalMs, jitWarmupMs);
    }

    public ShmVsMsgPlan withContention(int newKernels, List<Integer> newThreads) {
        return new ShmVsMsgPlan(quick, sizes, ops, newKernels, newThreads, contentionOps, warmupMs, measureMs, rounds, coldSamples,
            floorRoundTrips, contentionWarmupMs, contentionMeasureMs, marshalMs, jitWarmupMs);
    }

    public ShmVsMsgPlan withWindows(long newMeasureMs, int newRounds) {
        return new ShmVsMsgPlan(quick, sizes, ops, kernels, threads, contentionOps, warmupMs, newMeasureMs, newRounds, coldSamples,
            floorRoundTrips, contentionWarmupMs, Math.max(contentionMeasureMs, newMeasureMs), marshalMs, jitWarmupMs);
    }

    public int maxThreads() {
        return threads.stream().mapToInt(Integer::intValue).max().orElse(1);
    }

    /** Units of work, for the progress bar: one per run a kernel is asked for, roughly. */
    public long workUnits() {
        long prepare = sizes.size() * 4L + 4;
        long warmUp = (long) (ops.size() + contentionOps.size()) * 4 + 2;
        long floors = rounds * 3L;
        long sweep = (long) rounds * sizes.size() * ops.size() * 4;
        long cold = coldSamples > 0 ? (long) sizes.size() * ops.size() * (rounds + 1) : 0;
        long contention = (long) contentionOps.size() * 2 * kernels * threads.size() * 4;
        return prepare + warmUp + floors + sweep + cold + sizes.size() + contention + 2;
    }
}
