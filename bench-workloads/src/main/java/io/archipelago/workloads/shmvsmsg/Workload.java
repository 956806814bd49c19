package io.archipelago.workloads.shmvsmsg;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.messages.OwnerChannels;
import io.archipelago.kernel.messages.ObjectChannel;
import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;
import io.archipelago.shmvsmsg.proto.RunReply;
import io.archipelago.shmvsmsg.proto.RunRequest;
import io.archipelago.shmvsmsg.proto.UrpcWaits;
import io.archipelago.shmvsmsg.proto.Way;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.access.HeldPages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;

/**
 * One operation done one way by {@code threads} threads of this kernel: each thread gets its
 * object (the same one, or its own with a stride), prepares its way (attaches the region, or
 * opens its stream to the owner and binds the object), warms up, waits for the common start,
 * and times batches until the common end ({@link Sampler}); or, in single mode, times a few
 * operations one by one with no warm-up (the object was just written by another kernel).
 */
final class Workload {

    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_THREADS = 64;
    private static final long SPIN_UP_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long MAX_START_DELAY_NS = TimeUnit.SECONDS.toNanos(60);

    private final Kernel kernel;
    private final TypedMemory typed;
    private final OwnerChannels owners;
    private final RunRequest request;

    Workload(Kernel kernel, TypedMemory typed, OwnerChannels owners, RunRequest request) {
        this.kernel = kernel;
        this.typed = typed;
        this.owners = owners;
        this.request = request;
    }

    RunReply run() {
        validate();
        int threads = Math.max(1, request.getThreads());
        KernelCountersArea.Counter faults = kernel.counters().counter(KernelCounter.DSM_FAULTS);
        long faultsBefore = faults.get();
        Worker[] workers = new Worker[threads];
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers[t] = new Worker(t);
            running.add(Thread.ofPlatform().name("shmvsmsg-" + request.getWay().name().toLowerCase() + "-" + t).start(workers[t]));
        }
        long deadline = System.nanoTime() + MAX_START_DELAY_NS + TimeUnit.MILLISECONDS.toNanos(request.getWarmupMs() + request.getMeasureMs())
            + TimeUnit.SECONDS.toNanos(60);
        for (Thread thread : running) {
            try {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || !thread.join(Duration.ofNanos(remaining))) {
                    running.forEach(Thread::interrupt);
                    throw new IllegalStateException("the workload's thread " + thread.getName() + " did not finish in time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the workload ran", e);
            }
        }
        Histogram latencies = Sampler.histogram();
        long operations = 0;
        long checksum = 0;
        long batch = 0;
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        String error = "";
        int late = 0;
        for (Worker worker : workers) {
            late += worker.late ? 1 : 0;
            if (worker.failure.get() != null && error.isEmpty()) {
                Throwable failure = worker.failure.get();
                error = "thread " + worker.index + ": " + failure.getClass().getSimpleName() + ": " + failure.getMessage();
            }
            latencies.add(worker.latencies);
            operations += worker.sampler == null ? 0 : worker.sampler.operations();
            checksum ^= worker.sampler == null ? 0 : worker.sampler.checksum();
            batch = Math.max(batch, worker.batch);
            if (worker.measuredFrom != 0) {
                start = Math.min(start, worker.measuredFrom);
                end = Math.max(end, worker.measuredTo);
            }
        }
        RunReply.Builder reply = RunReply.newBuilder();
        UrpcWaits urpcWaits = workers[0].urpcWaits();
        if (urpcWaits != null) {
            reply.setUrpcWaits(urpcWaits);
        }
        return reply
            .setHistogram(com.google.protobuf.ByteString.copyFrom(Sampler.encode(latencies)))
            .setOperations(operations)
            .setElapsedNs(end > start ? end - start : 0)
            .setBatch(batch)
            .setFaults(faults.get() - faultsBefore)
            .setChecksum(checksum)
            .setError(error)
            .setLateThreads(late)
            .setStartedNs(end > start ? start : 0)
            .build();
    }

    private void validate() {
        if (request.getThreads() > MAX_THREADS) {
            throw new IllegalArgumentException("at most " + MAX_THREADS + " threads per kernel; asked for " + request.getThreads());
        }
        if (request.getOp() == ObjectOp.BIND || request.getOp() == ObjectOp.UNRECOGNIZED) {
            throw new IllegalArgumentException("expected an operation on an object (READ_FIELD, UPDATE_FIELD, READ_STRUCT, SCAN, INCREMENT, "
                + "UPDATE_STRUCT, or NOOP by message); found " + request.getOp());
        }
        if (request.getOp() == ObjectOp.NOOP && request.getWay() != Way.MSG && request.getWay() != Way.URPC) {
            throw new IllegalArgumentException("NOOP is the floor of the message path: it goes with MSG or URPC only");
        }
        if (request.getSingleOps() <= 0 && request.getMeasureMs() <= 0) {
            throw new IllegalArgumentException("expected measure_ms > 0 (duration mode) or single_ops > 0");
        }
        if (request.getStartAtNs() != 0 && request.getStartAtNs() - System.nanoTime() > MAX_START_DELAY_NS) {
            throw new IllegalArgumentException("start_at_ns is more than 60 s away (is it this machine's CLOCK_MONOTONIC?)");
        }
    }

    /** One thread of the workload. */
    private final class Worker implements Runnable {
        final int index;
        final Histogram latencies = Sampler.histogram();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Sampler sampler;
        volatile long batch;
        volatile long measuredFrom;
        volatile long measuredTo;
        volatile boolean late;
        /** Way URPC, first thread: the requester's and the owner's urpc.* counters as its measured window began and ended. */
        volatile long[] urpcBefore;
        volatile long[] urpcAfter;

        Worker(int index) {
            this.index = index;
        }

        @Override
        public void run() {
            long first = request.getFirst() + (request.getStride() == 0 ? 0 : (request.getSlot() + index) * request.getStride());
            HeldPages.begin(); // quiescent points: after every batch (Sampler)
            try (Ways.Operation operation = open(first)) {
                Sampler timing = new Sampler(operation);
                sampler = timing;
                if (request.getSingleOps() > 0) {
                    spinUp();
                    urpcBefore = urpcCounts();
                    measuredFrom = System.nanoTime();
                    timing.measureEach(request.getSingleOps(), latencies);
                    measuredTo = System.nanoTime();
                    urpcAfter = urpcCounts();
                    batch = 1;
                    return;
                }
                long target = request.getBatchTargetNs() > 0 ? request.getBatchTargetNs() : Sampler.DEFAULT_TARGET_NANOS;
                int size = timing.warmUp(TimeUnit.MILLISECONDS.toNanos(Math.max(1, request.getWarmupMs())), target);
                batch = size;
                long start = request.getStartAtNs() != 0 ? request.getStartAtNs() : System.nanoTime();
                long ready = System.nanoTime();
                late = request.getStartAtNs() != 0 && ready - start > 0;
                awaitStart(start);
                long window = TimeUnit.MILLISECONDS.toNanos(request.getMeasureMs());
                measuredFrom = Math.max(start, System.nanoTime());
                // a thread that got here after the common start (a loaded machine) still measures at least half a window
                long end = late ? Math.max(start + window, ready + window / 2) : start + window;
                urpcBefore = urpcCounts();
                timing.measureUntil(end, size, latencies);
                measuredTo = System.nanoTime();
                urpcAfter = urpcCounts();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                try {
                    HeldPages.end();
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }
        }

        private Ways.Operation open(long first) {
            int tag = ((kernel.id() + 1) << 16) | (request.getSlot() + index + 1);
            return switch (request.getWay()) {
                case SHM -> Ways.inPlace(object(first, BenchObject.Sharing.HARDWARE, tag), request.getOp());
                case DSM -> Ways.inPlace(object(first, BenchObject.Sharing.SOFTWARE, tag), request.getOp());
                case MSG -> Ways.byMessage(owners.open(request.getOwner(), REPLY_TIMEOUT), request.getRegion(), first, request.getCount(),
                    request.getOp());
                case URPC -> Ways.byMessage(owners.openUrpc(request.getOwner(), REPLY_TIMEOUT), request.getRegion(), first, request.getCount(),
                    request.getOp());
                default -> throw new IllegalArgumentException("unknown way " + request.getWayValue());
            };
        }

        /** The counters {@link UrpcWaits} reports, read in global memory (the owner's area too), or null when not the first URPC thread. */
        private long[] urpcCounts() {
            if (index != 0 || request.getWay() != Way.URPC) {
                return null;
            }
            KernelCountersArea mine = kernel.counters();
            KernelCountersArea owner = kernel.memory().countersArea(request.getOwner());
            return new long[] {mine.value("urpc.requester_parks"), owner.value("urpc.parks"), mine.value("urpc.doorbells"),
                owner.value("urpc.doorbells"), mine.value("urpc.full_waits") + owner.value("urpc.full_waits")};
        }

        /** The counters' deltas over the measured window (null when not measured by URPC). */
        UrpcWaits urpcWaits() {
            long[] before = urpcBefore;
            long[] after = urpcAfter;
            if (before == null || after == null) {
                return null;
            }
            return UrpcWaits.newBuilder().setRequesterParks(after[0] - before[0]).setOwnerParks(after[1] - before[1])
                .setDoorbellsToOwner(after[2] - before[2]).setDoorbellsToRequester(after[3] - before[3]).setFullWaits(after[4] - before[4])
                .build();
        }

        private BenchObject object(long first, BenchObject.Sharing sharing, int tag) {
            TypedRegion<BenchItem> region = typed.attach(request.getRegion(), BenchItem.class);
            return new BenchObject(region, first, request.getCount(), sharing, tag);
        }
    }

    /**
     * Keeps this thread busy for a moment, touching nothing shared, so that a single timed
     * operation does not also pay for waking an idle core.
     */
    private static void spinUp() {
        long end = System.nanoTime() + SPIN_UP_NANOS;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** Parks until {@code start} (CLOCK_MONOTONIC), at most 60 s. */
    private static void awaitStart(long start) {
        long remaining;
        while ((remaining = start - System.nanoTime()) > 0) {
            LockSupport.parkNanos(Math.min(remaining, MAX_START_DELAY_NS));
        }
    }

    /** Operations as the four ways do them. */
    static final class Ways {

        private Ways() {
        }

        /** An operation of one thread, and what it holds (a stream to close). */
        interface Operation extends LongSupplier, AutoCloseable {
            @Override
            default void close() {
            }
        }

        /** In place, through the typed accessors: hardware- or software-coherent shared memory. */
        static Operation inPlace(BenchObject object, ObjectOp op) {
            return switch (op) {
                case READ_FIELD -> object::readField;
                case UPDATE_FIELD -> {
                    long[] next = {0};
                    yield () -> object.updateField(++next[0]);
                }
                case READ_STRUCT -> {
                    long[] copy = new long[object.structLongs()];
                    yield () -> object.readStruct(copy);
                }
                case SCAN -> () -> object.scan() + object.matched();
                case INCREMENT -> object::increment;
                case UPDATE_STRUCT -> {
                    long[] next = {0};
                    yield () -> object.updateStruct(++next[0]);
                }
                default -> throw new IllegalArgumentException(op + " is not an operation in place");
            };
        }

        /** A request to the owner and its reply, per operation, on this thread's channel (gRPC stream or URPC rings). */
        static Operation byMessage(ObjectChannel stream, String region, long first, long count, ObjectOp op) {
            int handle;
            try {
                handle = stream.bind(region, first, count);
            } catch (RuntimeException e) {
                stream.close();
                throw e;
            }
            long[] next = {0};
            return new Operation() {
                @Override
                public long getAsLong() {
                    ObjectRequest.Builder request = ObjectRequest.newBuilder().setOp(op).setHandle(handle);
                    if (op == ObjectOp.UPDATE_FIELD || op == ObjectOp.UPDATE_STRUCT) {
                        request.setValue(++next[0]);
                    }
                    ObjectReply reply = stream.call(request.build());
                    return switch (op) {
                        case READ_STRUCT -> reply.getItemsCount() == 0 ? 0 : reply.getItemsCount() ^ reply.getItems(reply.getItemsCount() - 1).getStamp();
                        case SCAN -> reply.getSum() + reply.getMatched();
                        default -> reply.getValue();
                    };
                }

                @Override
                public void close() {
                    stream.close();
                }
            };
        }
    }
}
