package io.archipelago.it.dsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.bench.faults.RegisterLinearizability;
import io.archipelago.control.proto.AttachRegionRequest;
import io.archipelago.control.proto.CreateRegionRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmHoldRequest;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenReply;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmOperation;
import io.archipelago.control.proto.DsmRegisterReply;
import io.archipelago.control.proto.DsmRegisterRequest;
import io.archipelago.control.proto.DsmTouchRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.testing.MiniCluster;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The software DSM across real kernel processes: three kernels in two coherence domains, of
 * three data models (x86_64 in domain a; armv7 and ppc32 in domain b), several threads each,
 * sharing software-coherent regions whose pages move between them over the mailbox.
 */
@Timeout(300)
class DsmIT {

    private static final List<String> KERNELS = List.of("strong-0", "weak-0", "tiny-0");
    private static MiniCluster cluster;

    @BeforeAll
    static void start() {
        cluster = MiniCluster.start(ClusterConfig.k2Default().withIslands(List.of(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1),
            new IslandConfig("tiny", "ppc32", 1, 0.25, "b", "cortex-m3", 1))), "dsm");
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Runs a blocking call on its own thread (the common pool has one worker on two cores). */
    private static <T> CompletableFuture<T> async(java.util.function.Supplier<T> call) {
        return CompletableFuture.supplyAsync(call, runnable -> Thread.ofPlatform().daemon().start(runnable));
    }

    private static DsmControlGrpc.DsmControlBlockingStub dsm(String kernel, Duration deadline) {
        Channel channel = cluster.kernelControl(kernel).getChannel();
        return DsmControlGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static TypedMemoryControlGrpc.TypedMemoryControlBlockingStub typed(String kernel) {
        return TypedMemoryControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static DsmOpenReply open(String region, long count) {
        DsmOpenReply created = dsm("strong-0", Duration.ofSeconds(30)).open(DsmOpenRequest.newBuilder().setRegion(region).setCount(count)
            .setCreate(true).build());
        for (String kernel : KERNELS.subList(1, KERNELS.size())) {
            DsmOpenReply attached = dsm(kernel, Duration.ofSeconds(30)).open(DsmOpenRequest.newBuilder().setRegion(region).build());
            // armv7 lays dsm_cell out as x86_64 does; big-endian ppc32 reads the little-endian cells through morphed code
            assertThat(attached.getAccessor()).as(kernel).isEqualTo(kernel.equals("tiny-0") ? "MORPHED" : "NATIVE");
        }
        return created;
    }

    private static long value(String kernel, String region, long cell) {
        return typed(kernel).readFields(FieldsRequest.newBuilder().setRegion(region).setView(DsmCell.class.getName()).setIndex(cell)
            .addFields(FieldValue.newBuilder().setPath("value")).build()).getFields(0).getInteger();
    }

    @Test
    void aHardwareCoherentRegionIsRefusedAcrossDomainsAndASoftwareOneIsNot() {
        typed("strong-0").createRegion(CreateRegionRequest.newBuilder().setName("hw-only").setView(DsmCell.class.getName()).setCount(4)
            .build());
        assertThatThrownBy(() -> typed("weak-0").attachRegion(AttachRegionRequest.newBuilder().setName("hw-only")
            .setView(DsmCell.class.getName()).build()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription())
                .contains("hardware-coherent in coherence domain a").contains("domain b").contains("SOFTWARE"));
        typed("strong-0").createRegion(CreateRegionRequest.newBuilder().setName("sw").setView(DsmCell.class.getName()).setCount(4)
            .setSoftwareCoherent(true).build());
        assertThat(typed("weak-0").attachRegion(AttachRegionRequest.newBuilder().setName("sw").setView(DsmCell.class.getName()).build())
            .getCoherence()).isEqualTo("SOFTWARE");
    }

    @Test
    void sharedCountersIncrementedConcurrentlyByThreeKernelsEndExact() throws Exception {
        // Two counters on two different pages (a dsm_cell is 24 bytes on x86_64: cell 400 is on the third page).
        open("counters", 1024);
        int threads = 3;
        int increments = 300;
        List<CompletableFuture<DsmWorkloadReply>> runs = new ArrayList<>();
        for (String kernel : KERNELS) {
            runs.add(async(() -> dsm(kernel, Duration.ofMinutes(3)).increment(DsmIncrementRequest.newBuilder()
                .setRegion("counters").addCells(0).addCells(400).setThreads(threads).setIncrements(increments).build())));
        }
        for (int k = 0; k < KERNELS.size(); k++) {
            DsmWorkloadReply reply = runs.get(k).get(4, TimeUnit.MINUTES);
            assertThat(reply.getError()).as(KERNELS.get(k)).isEmpty();
            assertThat(reply.getPagesReceived()).as(KERNELS.get(k) + " received pages from the others").isPositive();
        }
        long perCell = (long) KERNELS.size() * threads * increments / 2;
        for (String kernel : KERNELS) {
            assertThat(value(kernel, "counters", 0)).as("cell 0 seen by " + kernel).isEqualTo(perCell);
            assertThat(value(kernel, "counters", 400)).as("cell 400 seen by " + kernel).isEqualTo(perCell);
        }
    }

    @Test
    void aRegisterSharedByThreeKernelsIsLinearizable() throws Exception {
        open("register", 16);
        List<CompletableFuture<DsmRegisterReply>> runs = new ArrayList<>();
        // every kernel's threads start at one instant: on a loaded host the calls arrive far apart, and 300 operations
        // take a kernel about a millisecond, so without it each kernel could run alone and read only its own writes
        long startAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (String kernel : KERNELS) {
            runs.add(async(() -> dsm(kernel, Duration.ofMinutes(3)).register(DsmRegisterRequest.newBuilder()
                .setRegion("register").setCell(3).setThreads(2).setOperations(150).setWritePercent(50).setStartAtNs(startAt).build())));
        }
        List<RegisterLinearizability.Operation> history = new ArrayList<>();
        for (CompletableFuture<DsmRegisterReply> run : runs) {
            DsmRegisterReply reply = run.get(4, TimeUnit.MINUTES);
            assertThat(reply.getError()).isEmpty();
            for (DsmOperation op : reply.getOperationsList()) {
                history.add(new RegisterLinearizability.Operation(op.getProcess(), op.getWrite(), op.getValue(), op.getInvokedNs(),
                    op.getCompletedNs()));
            }
        }
        assertThat(history).hasSize(KERNELS.size() * 2 * 150);
        assertThat(history).as("the kernels wrote").anyMatch(RegisterLinearizability.Operation::write);
        assertThat(history).as("and read others' writes").anyMatch(op -> !op.write() && op.value() != 0
            && (op.value() >>> 40) - 1 != op.process() / 1000);
        assertThat(RegisterLinearizability.check(history, 0)).isEmpty();
    }

    @Test
    void onePagePingPongsBetweenAllKernelsForTenSecondsWithNoHang() throws Exception {
        open("pingpong", 8);
        List<CompletableFuture<DsmWorkloadReply>> runs = new ArrayList<>();
        for (String kernel : KERNELS) {
            runs.add(async(() -> dsm(kernel, Duration.ofSeconds(60)).touch(DsmTouchRequest.newBuilder()
                .setRegion("pingpong").setCell(1).setDurationMs(10_000).build())));
        }
        long total = 0;
        for (int k = 0; k < KERNELS.size(); k++) {
            DsmWorkloadReply reply = runs.get(k).get(90, TimeUnit.SECONDS);
            assertThat(reply.getError()).as(KERNELS.get(k)).isEmpty();
            assertThat(reply.getOperations()).as(KERNELS.get(k) + " made progress").isPositive();
            total += reply.getOperations();
        }
        assertThat(value("weak-0", "pingpong", 1)).isEqualTo(total);
    }

    @Test
    void killingAHolderMidRunLosesExactlyWhatItNeverWroteBack() throws Exception {
        try (MiniCluster own = MiniCluster.start(ClusterConfig.k2Default().withIslands(List.of(
            new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
            new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 2))), "dsm-kill")) {
            DsmControlGrpc.DsmControlBlockingStub strong = DsmControlGrpc.newBlockingStub(own.kernelControl("strong-0").getChannel());
            DsmControlGrpc.DsmControlBlockingStub victim = DsmControlGrpc.newBlockingStub(own.kernelControl("weak-1").getChannel());
            strong.withDeadlineAfter(30, TimeUnit.SECONDS).open(DsmOpenRequest.newBuilder().setRegion("kill").setCount(8).setCreate(true).build());
            victim.withDeadlineAfter(30, TimeUnit.SECONDS).open(DsmOpenRequest.newBuilder().setRegion("kill").build());
            DsmControlGrpc.newBlockingStub(own.kernelControl("weak-0").getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion("kill").build());

            // 200 increments by strong-0: written back when weak-1 takes the page.
            assertThat(strong.withDeadlineAfter(60, TimeUnit.SECONDS).increment(DsmIncrementRequest.newBuilder().setRegion("kill")
                .addCells(2).setThreads(1).setIncrements(200).build()).getError()).isEmpty();
            // weak-1 takes the page, adds 1000 in its private copy and holds it: never written back.
            CompletableFuture<DsmWorkloadReply> hold = async(() -> victim.withDeadlineAfter(120, TimeUnit.SECONDS)
                .hold(DsmHoldRequest.newBuilder().setRegion("kill").setCell(2).setAdd(1000).setHoldMs(60_000).build()));
            own.awaitKernel("weak-1", k -> k.getCountersList().stream().anyMatch(c -> c.getLabel().equals(KernelCounter.DSM_HOLDING.label())
                && c.getValue() == 1),
                "holding the page", Duration.ofSeconds(30));

            // strong-0 and weak-0 want it meanwhile: they wait, then weak-1 is killed.
            List<CompletableFuture<DsmWorkloadReply>> survivors = new ArrayList<>();
            for (String kernel : List.of("strong-0", "weak-0")) {
                DsmControlGrpc.DsmControlBlockingStub stub = DsmControlGrpc.newBlockingStub(own.kernelControl(kernel).getChannel());
                survivors.add(async(() -> stub.withDeadlineAfter(120, TimeUnit.SECONDS).increment(
                    DsmIncrementRequest.newBuilder().setRegion("kill").addCells(2).setThreads(2).setIncrements(50).build())));
            }
            // weak-1 defers the first request (its section is in flight) and answers the other BUSY
            own.awaitKernel("weak-1", k -> k.getCountersList().stream().anyMatch(c -> c.getLabel().equals(KernelCounter.DSM_DEFERRED_REQUESTS.label())
                && c.getValue() > 0), "asked for the page it holds", Duration.ofSeconds(30));
            own.kill9("weak-1");
            own.awaitState("weak-1", "DEAD", Duration.ofSeconds(5));
            // the holder's own call breaks off with its process, long before the 60 s hold would end (not a timeout here)
            assertThatThrownBy(() -> hold.get(30, TimeUnit.SECONDS)).as("the holder died mid-hold")
                .isInstanceOf(java.util.concurrent.ExecutionException.class).cause()
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).as(e.toString())
                    .isEqualTo(io.grpc.Status.Code.UNAVAILABLE));

            long recovered = 0;
            for (CompletableFuture<DsmWorkloadReply> survivor : survivors) {
                DsmWorkloadReply reply = survivor.get(60, TimeUnit.SECONDS);
                assertThat(reply.getError()).as("the survivors carry on").isEmpty();
                // the region's own count: the dead kernel may also have held a page of the task tables, which a reaper recovers
                recovered += reply.getRegionPagesRecovered();
            }
            assertThat(recovered).as("the page was recovered from global memory once").isEqualTo(1);
            // 200 written back + 2 kernels x 2 threads x 50: the 1000 the dead holder never wrote back is lost, nothing else.
            long expected = 200 + 2 * 2 * 50;
            assertThat(TypedMemoryControlGrpc.newBlockingStub(own.kernelControl("weak-0").getChannel()).withDeadlineAfter(30, TimeUnit.SECONDS)
                .readFields(FieldsRequest.newBuilder().setRegion("kill").setView(DsmCell.class.getName()).setIndex(2)
                    .addFields(FieldValue.newBuilder().setPath("value")).build()).getFields(0).getInteger()).isEqualTo(expected);
        }
    }
}
