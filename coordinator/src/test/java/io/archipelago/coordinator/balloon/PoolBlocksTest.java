package io.archipelago.coordinator.balloon;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PoolBlocksTest {

    @TempDir
    Path dir;

    private GlobalMemory memory;
    private BlockOwnershipTable table;
    private int first;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "pool", new MemoryGeometry(24L << 20, 4096, 1 << 20, 4), 2);
        table = memory.ownership();
        first = table.firstDataBlock();
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    /** Sets owners from a layout string: digits are kernels, '.' the pool; the blocks after it belong to kernel 9. */
    private void layout(String owners) {
        for (int i = 0; first + i < table.blockCount(); i++) {
            char c = i < owners.length() ? owners.charAt(i) : '9';
            table.transfer(first + i, BlockOwnershipTable.FREE, c == '.' ? BlockOwnershipTable.FREE : c - '0');
        }
    }

    private List<Integer> relative(List<Integer> blocks) {
        return blocks.stream().map(b -> b - first).toList();
    }

    @Test
    void blocksNextToTheKernelsOwnComeFirstThenTheSmallestRuns() {
        layout("000..111....1.");
        // kernel 0 grows to the right of its run; then the smallest run (the single block 13) before the run of four
        assertThat(relative(PoolBlocks.choose(table, 0, 3, false))).containsExactly(3, 4, 13);
        // kernel 1 extends its runs, in block order, each as far as it goes: left of 5, then right of 7 on into the pool's run
        assertThat(relative(PoolBlocks.choose(table, 1, 4, false))).containsExactly(4, 8, 9, 10);
    }

    @Test
    void adjacentBlocksComeFromOneRunOrNotAtAll() {
        layout("000..111....1.");
        assertThat(relative(PoolBlocks.choose(table, 0, 2, true))).as("the run touching kernel 0").containsExactly(3, 4);
        assertThat(relative(PoolBlocks.choose(table, 0, 3, true))).containsExactly(8, 9, 10);
        assertThat(PoolBlocks.choose(table, 0, 5, true)).isEmpty();
    }

    @Test
    void theNearestBlockOfTheRequesterPointsTheDonorToIt() {
        assertThat(MetaLevelManager.nearest(List.of(1, 2, 3), List.of(10, 11, 12))).isEqualTo(3);
        assertThat(MetaLevelManager.nearest(List.of(20, 21), List.of(10, 11, 30))).isEqualTo(20);
        assertThat(MetaLevelManager.nearest(List.of(), List.of(1))).isEqualTo(-1);
    }
}
