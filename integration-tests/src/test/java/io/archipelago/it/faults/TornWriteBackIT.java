package io.archipelago.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmIncrementRequest;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.DsmWorkloadReply;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.testing.MiniCluster;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A DSM holder killed (as by kill -9) half-way through copying a page back to global memory: the
 * kernel that recovers the page sees it whole, never half new and half old. The holder's redo
 * record was published before the copy began, so what is recovered is exactly the new page.
 */
@Timeout(300)
class TornWriteBackIT {

    /** struct dsm_cell is 24 bytes (two int64, one int32, padded): cells 0..169 lie wholly in the first 4 KiB page. */
    private static final int CELLS_IN_FIRST_PAGE = 4096 / 24;

    private static DsmControlGrpc.DsmControlBlockingStub dsm(MiniCluster cluster, String kernel) {
        return DsmControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(120, TimeUnit.SECONDS);
    }

    private static long value(MiniCluster cluster, String kernel, long cell) {
        return TypedMemoryControlGrpc.newBlockingStub(cluster.kernelControl(kernel).getChannel()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .readFields(FieldsRequest.newBuilder().setRegion("torn").setView(DsmCell.class.getName()).setIndex(cell)
                .addFields(FieldValue.newBuilder().setPath("value")).build()).getFields(0).getInteger();
    }

    private static DsmWorkloadReply incrementFirstPage(MiniCluster cluster, String kernel) {
        return dsm(cluster, kernel).increment(DsmIncrementRequest.newBuilder().setRegion("torn")
            .addAllCells(LongStream.range(0, CELLS_IN_FIRST_PAGE).boxed().toList()).setThreads(1).setIncrements(CELLS_IN_FIRST_PAGE)
            .build());
    }

    @Test
    void aHolderKilledMidWriteBackLeavesTheRecoveringKernelAWholePage() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(FencingIT.patientCluster(), "torn-write-back");
             UnsupervisedKernel doomed = UnsupervisedKernel.join(cluster, "doomed-0", MiniCluster.BOOT_TIMEOUT,
                 List.of("-Darchipelago.faults=dsm.mid-write-back=crash"))) {
            dsm(cluster, "strong-0").open(DsmOpenRequest.newBuilder().setRegion("torn").setCount(2 * CELLS_IN_FIRST_PAGE)
                .setCreate(true).build());
            dsm(cluster, "doomed-0").open(DsmOpenRequest.newBuilder().setRegion("torn").build());

            // Global memory gets the page with every cell 1 (strong-0 writes it back when doomed-0 asks for it); doomed-0 then
            // holds it with every cell 2, in its private copy only.
            assertThat(incrementFirstPage(cluster, "strong-0").getError()).isEmpty();
            assertThat(incrementFirstPage(cluster, "doomed-0").getError()).isEmpty();

            // strong-0 asks for the page: doomed-0's interrupt handler writes it back and dies half-way through the copy.
            long first = readRetrying(cluster, "strong-0", 0, doomed);
            assertThat(doomed.awaitExit(Duration.ofSeconds(60))).as("doomed-0 crashed at dsm.mid-write-back").isEqualTo(137);

            TreeMap<Long, Long> cells = new TreeMap<>();
            cells.put(0L, first);
            for (long cell = 1; cell < CELLS_IN_FIRST_PAGE; cell++) {
                cells.put(cell, value(cluster, "strong-0", cell));
            }
            assertThat(cells.values().stream().distinct().toList()).as("the cells of the recovered page (cell -> value): %s", cells)
                .containsExactly(2L);
            assertThat(counter(cluster, "strong-0", KernelCounter.DSM_TORN_PAGES_REPAIRED.label())).as("repaired from doomed-0's journal record")
                .isEqualTo(1);
        }
    }

    /**
     * Reads a cell while the holder is dying: the read's fault waits for the coordinator to declare the holder DEAD, which
     * on a loaded host may take longer than one fault's deadline; then it recovers the page.
     */
    private static long readRetrying(MiniCluster cluster, String kernel, long cell, UnsupervisedKernel holder) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                return value(cluster, kernel, cell);
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("kernel " + kernel + " could not read cell " + cell + " within 90 s while its holder "
                        + "died: " + e.getStatus(), e);
                }
                holder.awaitState(cluster, KernelState.DEAD, Duration.ofSeconds(60));
            }
        }
    }

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return cluster.kernelControl(kernel).describe(DescribeRequest.getDefaultInstance()).getCountersList().stream()
            .filter(c -> c.getLabel().equals(label)).findFirst()
            .orElseThrow(() -> new AssertionError("kernel " + kernel + " has no counter " + label)).getValue();
    }
}
