package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class BlockOwnershipTableTest {

    @TempDir
    Path dir;

    @Test
    void claimsAreContiguousAndNeverShared() throws Exception {
        MemoryGeometry geometry = new MemoryGeometry(64L << 20, 4096, 1 << 20, 8);
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", geometry, 4)) {
            BlockOwnershipTable table = memory.ownership();
            int first = table.firstDataBlock();
            List<Integer> claimed = table.claimFree(0, 3);
            assertThat(claimed).containsExactly(first, first + 1, first + 2);

            // Four "kernels" race for the rest; every block ends with exactly one owner.
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Integer>>> results = new ArrayList<>();
                for (int kernel = 1; kernel <= 4; kernel++) {
                    int id = kernel;
                    results.add(pool.submit((Callable<List<Integer>>) () -> table.claimFree(id, geometry.dataBlocks())));
                }
                Set<Integer> seen = new HashSet<>(claimed);
                int total = claimed.size();
                for (Future<List<Integer>> result : results) {
                    for (int block : result.get()) {
                        assertThat(seen.add(block)).as("block %d claimed twice", block).isTrue();
                        total++;
                    }
                }
                assertThat(total).isEqualTo(geometry.dataBlocks());
                assertThat(table.freeBlocks()).isZero();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void transferIsACompareAndSetOnTheOwner() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            BlockOwnershipTable table = memory.ownership();
            int block = table.firstDataBlock();
            assertThat(table.transfer(block, BlockOwnershipTable.FREE, 1)).isTrue();
            assertThat(table.transfer(block, BlockOwnershipTable.FREE, 2)).as("already owned by 1").isFalse();
            assertThat(table.owner(block)).isEqualTo(1);
            assertThat(table.releaseAll(1)).isEqualTo(1);
            assertThat(table.owner(block)).isEqualTo(BlockOwnershipTable.FREE);
        }
    }

    @Test
    void retainedBlocksAreHandedToNobodyButTheirKernel() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            BlockOwnershipTable table = memory.ownership();
            int block = table.firstDataBlock();
            int retained = BlockOwnershipTable.retainedFor(3);
            assertThat(BlockOwnershipTable.isRetained(retained)).isTrue();
            assertThat(BlockOwnershipTable.retainedKernel(retained)).isEqualTo(3);
            assertThat(BlockOwnershipTable.describeOwner(retained)).isEqualTo("RETAINED(3)");
            assertThat(BlockOwnershipTable.isRetained(BlockOwnershipTable.FREE)).isFalse();
            assertThat(table.transfer(block, BlockOwnershipTable.FREE, 3)).isTrue();
            assertThat(table.transfer(block, 3, retained)).isTrue();
            assertThat(table.claimFree(1, 100)).doesNotContain(block);
            assertThat(table.transfer(block, BlockOwnershipTable.FREE, 1)).isFalse();
            // a restarting kernel 3 and the manager race for it: exactly one wins
            assertThat(table.transfer(block, retained, 3)).isTrue();
            assertThat(table.transfer(block, retained, BlockOwnershipTable.FREE)).isFalse();
            assertThat(table.owner(block)).isEqualTo(3);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> table.transfer(block, 3, BlockOwnershipTable.SYSTEM))
                .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theLongestFreeRunCountsAdjacentPoolBlocks() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            BlockOwnershipTable table = memory.ownership();
            int data = memory.geometry().dataBlocks();
            assertThat(table.longestFreeRun()).isEqualTo(data);
            table.transfer(table.firstDataBlock() + 2, BlockOwnershipTable.FREE, 0);
            assertThat(table.longestFreeRun()).isEqualTo(data - 3);
        }
    }

    @Test
    void ownerCodesTellIncarnationsOfOneKernelIdApart() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("codes.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            BlockOwnershipTable table = memory.ownership();
            int dead = BlockOwnershipTable.ownerCode(3, 0x7fff_1234_5678_9abcL);
            int live = BlockOwnershipTable.ownerCode(3, 42);
            assertThat(dead).isNotEqualTo(live).isPositive();
            assertThat(BlockOwnershipTable.kernelOf(dead)).isEqualTo(3);
            assertThat(BlockOwnershipTable.ownerCode(3, 0)).as("no incarnation: the bare id").isEqualTo(3);
            assertThat(BlockOwnershipTable.ownerCode(1023, Long.MIN_VALUE)).isPositive();
            List<Integer> deads = table.claimFree(dead, 2);
            List<Integer> lives = table.claimFree(live, 1);
            assertThat(table.blocksHeldBy(live)).isEqualTo(lives);
            assertThat(table.blocksOwnedBy(3)).hasSize(3);
            assertThat(table.census()).containsEntry(3, 3);
            assertThat(table.transfer(lives.getFirst(), dead, BlockOwnershipTable.FREE)).as("the dead incarnation's hand-back").isFalse();
            assertThat(table.releaseAll(dead)).isEqualTo(2);
            assertThat(table.ownerCode(lives.getFirst())).isEqualTo(live);
            assertThat(BlockOwnershipTable.describeOwner(live)).isEqualTo("kernel 3");
            assertThatThrownBy(() -> BlockOwnershipTable.ownerCode(1024, 1)).hasMessageContaining("kernel id 0..1023, found 1024");
        }
    }
}
