package io.archipelago.workloads.dsm;

import io.archipelago.control.proto.DsmAccessReply;
import io.archipelago.control.proto.DsmAccessRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmHoldRequest;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenReply;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmOperation;
import io.archipelago.control.proto.DsmRegisterReply;
import io.archipelago.control.proto.DsmRegisterRequest;
import io.archipelago.control.proto.DsmTouchRequest;
import io.archipelago.control.proto.DsmTransferReply;
import io.archipelago.control.proto.DsmTransferRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.dsm.DsmService;
import io.archipelago.kernel.dsm.DsmTimeoutException;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Coherence;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Workloads a kernel runs on its own threads against a software-coherent region of
 * {@link DsmCell}: what the cluster tests and {@code archipelago bench dsm} drive through the
 * control API. The threads use the region exactly as any kernel code would, through the typed
 * accessors; the DSM underneath is transparent.
 */
public final class DsmControlService extends DsmControlGrpc.DsmControlImplBase {

    private final Kernel kernel;
    private final DsmService dsm;
    private final TypedMemory typed;

    public DsmControlService(Kernel kernel, DsmService dsm, TypedMemory typed) {
        this.kernel = kernel;
        this.dsm = dsm;
        this.typed = typed;
    }

    private TypedMemory typed() {
        return typed;
    }

    private TypedRegion<DsmCell> region(String name) {
        return typed().attach(name, DsmCell.class);
    }

    private int self() {
        return kernel.id();
    }

    @Override
    public void open(DsmOpenRequest request, StreamObserver<DsmOpenReply> response) {
        try {
            TypedRegion<DsmCell> region;
            if (request.getCreate() && typed().registry().get(request.getRegion()).isEmpty()) {
                try {
                    region = typed().create(request.getRegion(), DsmCell.class, request.getCount(), ArrayLayout.ARRAY_OF_STRUCTS,
                        Coherence.SOFTWARE, r -> { });
                } catch (RegionException.Exists raced) {
                    region = region(request.getRegion());
                }
            } else {
                region = region(request.getRegion());
            }
            response.onNext(DsmOpenReply.newBuilder()
                .setRegion(region.name())
                .setCount(region.count())
                .setPages(region.contract().getLocation().getPages())
                .setFirstPageFrame(region.contract().getLocation().getOffset() / kernel.memory().geometry().pageSize())
                .setAccessor(region.accessor().name())
                .setDataModel(region.dataModel().id())
                .build());
            response.onCompleted();
        } catch (RegionException | IllegalArgumentException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void increment(DsmIncrementRequest request, StreamObserver<DsmWorkloadReply> response) {
        TypedRegion<DsmCell> region = region(request.getRegion());
        List<Long> cells = request.getCellsList().isEmpty() ? List.of(0L) : request.getCellsList();
        int self = self();
        response.onNext(run(request.getRegion(), request.getThreads(), thread -> {
            for (long i = 0; i < request.getIncrements(); i++) {
                long cell = cells.get((int) ((i + thread) % cells.size()));
                region.exclusive(cell, c -> {
                    c.value(c.value() + 1);
                    c.writes(c.writes() + 1);
                    c.lastWriter(self);
                    return null;
                });
            }
        }, (long) request.getThreads() * request.getIncrements()));
        response.onCompleted();
    }

    @Override
    public void touch(DsmTouchRequest request, StreamObserver<DsmWorkloadReply> response) {
        TypedRegion<DsmCell> region = region(request.getRegion());
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(request.getDurationMs());
        AtomicLong operations = new AtomicLong();
        int self = self();
        DsmWorkloadReply reply = run(request.getRegion(), 1, thread -> {
            while (System.nanoTime() - until < 0) {
                region.exclusive(request.getCell(), c -> {
                    c.value(c.value() + 1);
                    c.lastWriter(self);
                    return null;
                });
                operations.incrementAndGet();
            }
        }, 0);
        response.onNext(reply.toBuilder().setOperations(operations.get()).build());
        response.onCompleted();
    }

    @Override
    public void register(DsmRegisterRequest request, StreamObserver<DsmRegisterReply> response) {
        TypedRegion<DsmCell> region = region(request.getRegion());
        int self = self();
        List<List<DsmOperation>> histories = new ArrayList<>();
        for (int t = 0; t < request.getThreads(); t++) {
            histories.add(new ArrayList<>());
        }
        long startAt = request.getStartAtNs();
        if (startAt != 0 && startAt - System.nanoTime() > java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
            throw io.grpc.Status.INVALID_ARGUMENT.withDescription("start_at_ns is " + (startAt - System.nanoTime()) / 1_000_000
                + " ms ahead of this host's monotonic clock; expected at most a minute (is the caller on another host?)").asRuntimeException();
        }
        DsmWorkloadReply outcome = run(request.getRegion(), request.getThreads(), thread -> {
            DsmCell cell = region.at(request.getCell());
            List<DsmOperation> history = histories.get(thread);
            while (startAt != 0 && startAt - System.nanoTime() > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(startAt - System.nanoTime(), 1_000_000));
            }
            int process = self * 1000 + thread;
            for (int seq = 0; seq < request.getOperations(); seq++) {
                boolean write = ThreadLocalRandom.current().nextInt(100) < request.getWritePercent();
                long value = ((long) (self + 1) << 40) | ((long) thread << 24) | (seq + 1);
                long invoked = System.nanoTime();
                if (write) {
                    cell.value(value);
                } else {
                    value = cell.value();
                }
                long completed = System.nanoTime();
                history.add(DsmOperation.newBuilder().setProcess(process).setWrite(write).setValue(value).setInvokedNs(invoked)
                    .setCompletedNs(completed).build());
            }
        }, 0);
        DsmRegisterReply.Builder reply = DsmRegisterReply.newBuilder().setError(outcome.getError());
        histories.forEach(reply::addAllOperations);
        response.onNext(reply.build());
        response.onCompleted();
    }

    @Override
    public void transfer(DsmTransferRequest request, StreamObserver<DsmTransferReply> response) {
        TypedRegion<DsmCell> region = region(request.getRegion());
        KernelCountersArea.Counter faults = kernel.counters().counter(KernelCounter.DSM_FAULTS);
        DsmTransferReply.Builder reply = DsmTransferReply.newBuilder();
        long start = System.nanoTime();
        long faultsBefore = faults.get();
        try {
            DsmCell cell = region.at(request.getCell());
            int parties = Math.max(2, request.getParties());
            for (int round = 0; round < request.getRounds(); round++) {
                int idle = 0;
                while (true) {
                    long before = faults.get();
                    long t0 = System.nanoTime();
                    long value = cell.value();
                    long t1 = System.nanoTime();
                    if (faults.get() != before) {
                        reply.addTransferNs(t1 - t0);
                    }
                    if (value % parties == request.getTurn()) {
                        cell.value(value + 1);
                        break;
                    }
                    if (++idle > 64) {
                        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(2));
                    } else {
                        Thread.onSpinWait();
                    }
                }
            }
        } catch (RuntimeException e) {
            reply.setError(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        response.onNext(reply.setElapsedNs(System.nanoTime() - start).setFaults(faults.get() - faultsBefore).build());
        response.onCompleted();
    }

    @Override
    public void access(DsmAccessRequest request, StreamObserver<DsmAccessReply> response) {
        try {
            TypedRegion<DsmCell> region = region(request.getRegion());
            KernelCountersArea.Counter faults = kernel.counters().counter(KernelCounter.DSM_FAULTS);
            DsmCell cell = region.at(request.getCell());
            long before = faults.get();
            long start = System.nanoTime();
            long value = cell.value() + 1;
            long elapsed = System.nanoTime() - start;
            cell.value(value);
            response.onNext(DsmAccessReply.newBuilder().setAccessNs(elapsed).setFaulted(faults.get() != before).setValue(value).build());
            response.onCompleted();
        } catch (DsmTimeoutException e) {
            response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
        } catch (RegionException | IndexOutOfBoundsException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void hold(DsmHoldRequest request, StreamObserver<DsmWorkloadReply> response) {
        TypedRegion<DsmCell> region = region(request.getRegion());
        KernelCountersArea.Counter holding = kernel.counters().counter(KernelCounter.DSM_HOLDING);
        int self = self();
        DsmWorkloadReply reply = run(request.getRegion(), 1, thread -> region.exclusive(request.getCell(), c -> {
            c.value(c.value() + request.getAdd());
            c.lastWriter(self);
            holding.set(1);
            try {
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(request.getHoldMs());
                while (System.nanoTime() - until < 0) {
                    LockSupport.parkNanos(Math.min(until - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100)));
                }
            } finally {
                holding.set(0);
            }
            return null;
        }), 1);
        response.onNext(reply);
        response.onCompleted();
    }

    /**
     * Runs {@code body} on {@code threads} platform threads over region {@code regionName};
     * collects the first error, the kernel's DSM counters and the region's recoveries.
     */
    private DsmWorkloadReply run(String regionName, int threads, IntConsumer body, long operations) {
        AtomicReference<String> firstError = new AtomicReference<>("");
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < Math.max(1, threads); t++) {
            int thread = t;
            running.add(Thread.ofPlatform().name("dsm-workload-" + t).start(() -> {
                try {
                    body.accept(thread);
                } catch (RuntimeException e) {
                    errors.incrementAndGet();
                    firstError.compareAndSet("", e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }));
        }
        for (Thread thread : running) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        KernelCountersArea counters = kernel.counters();
        return DsmWorkloadReply.newBuilder()
            .setOperations(operations)
            .setElapsedNs(System.nanoTime() - start)
            .setFaults(counters.value(KernelCounter.DSM_FAULTS))
            .setPagesReceived(counters.value(KernelCounter.DSM_PAGES_RECEIVED))
            .setPagesSent(counters.value(KernelCounter.DSM_PAGES_SENT))
            .setBusyRetries(counters.value(KernelCounter.DSM_BUSY_RETRIES))
            .setPagesRecovered(counters.value(KernelCounter.DSM_PAGES_RECOVERED))
            .setRegionPagesRecovered(dsm.pagesRecovered(regionName))
            .setError(firstError.get())
            .setErrors(errors.get())
            .build();
    }
}
