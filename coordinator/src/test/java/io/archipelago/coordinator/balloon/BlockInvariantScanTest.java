package io.archipelago.coordinator.balloon;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.proto.Location;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class BlockInvariantScanTest {

    @TempDir
    Path dir;

    private GlobalMemory memory;
    private BlockOwnershipTable table;
    private int first;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "scan", new MemoryGeometry(16L << 20, 4096, 1 << 20, 4), 2);
        table = memory.ownership();
        first = table.firstDataBlock();
        table.transfer(first, BlockOwnershipTable.FREE, 0);
        table.transfer(first + 1, BlockOwnershipTable.FREE, 0);
        table.transfer(first + 2, BlockOwnershipTable.FREE, 1);
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private static KernelRecord kernel(int id, KernelState state) {
        return KernelRecord.newBuilder().setKernelId(id).setName("k" + id).setState(state).build();
    }

    private Contract region(String name, int owner, int block, long pages) {
        return Contract.newBuilder().setName(name).setLocation(Location.newBuilder().setOwnerKernel(owner)
            .setOffset(memory.geometry().blockOffset(block)).setPages(pages).setBytes(pages * 4096)).build();
    }

    @Test
    void agreeingAllocatorsPass() {
        BlockInvariantScan.Report report = BlockInvariantScan.check(memory, List.of(kernel(0, KernelState.RUNNING), kernel(1,
            KernelState.RUNNING)), List.of(region("r", 0, first, 3)), Map.of(0, List.of(first, first + 1), 1, List.of()), true);
        assertThat(report.passed()).as(report.toString()).isTrue();
        assertThat(report.inFlight()).as("kernel 1's block on its way into its allocator").isEqualTo(1);
    }

    @Test
    void aBlockInTwoAllocatorsOrHeldAgainstTheTableIsDoubleOwned() {
        BlockInvariantScan.Report report = BlockInvariantScan.check(memory, List.of(kernel(0, KernelState.RUNNING), kernel(1,
            KernelState.RUNNING)), List.of(), Map.of(0, List.of(first, first + 1, first + 2), 1, List.of(first + 2)), true);
        assertThat(report.doubleOwnedBlocks()).as("one block, %s", report).isEqualTo(1);
        assertThat(report.violations()).containsExactly("block " + (first + 2) + " is in the allocators of kernels [0, 1]",
            "block " + (first + 2) + " is in kernel 0's allocator but the ownership table says kernel 1");
    }

    @Test
    void deadKernelsBlocksAndRegionsOutsideTheirBlocksAreViolations() {
        table.transfer(first + 3, BlockOwnershipTable.FREE, BlockOwnershipTable.retainedFor(1));
        BlockInvariantScan.Report report = BlockInvariantScan.check(memory, List.of(kernel(0, KernelState.RUNNING), kernel(1,
                KernelState.DEAD)), List.of(region("lost", 0, first + 5, 1), region("kept", 1, first + 3, 1)),
            Map.of(0, List.of(first, first + 1)), true);
        assertThat(report.violations()).hasSize(2)
            .anyMatch(v -> v.contains("block " + (first + 2) + " is owned by kernel 1, which is DEAD"))
            .anyMatch(v -> v.contains("region 'lost' of kernel 0 lies in block " + (first + 5) + ", which is FREE"));
        assertThat(report.doubleOwnedBlocks()).isZero();
        assertThat(report.census()).containsEntry("RETAINED(1)", 1);
    }
}
