package io.archipelago.coordinator.balloon;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.coordinator.config.BalloonPolicy;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The take-back of a dead kernel's blocks, which the membership watch runs before it marks the
 * kernel DEAD: it must not wait behind the manager's other work (a balloon request to a stalled
 * donor keeps its thread for a request timeout), and it goes by incarnation.
 */
@Timeout(30)
class MetaLevelManagerTakeBackTest {

    @TempDir
    Path dir;

    private GlobalMemory memory;
    private Membership membership;
    private RegionRegistry regions;
    private MetaLevelManager manager;
    private BlockOwnershipTable table;
    private int first;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "takeback", new MemoryGeometry(16L << 20, 4096, 1 << 20, 4), 2);
        membership = Membership.create(dir.resolve("membership.cm"));
        regions = RegionRegistry.create(dir.resolve("regions.cm"));
        manager = new MetaLevelManager(BalloonPolicy.defaults(), memory, membership, regions, null);
        table = memory.ownership();
        first = table.firstDataBlock();
        table.transfer(first, BlockOwnershipTable.FREE, BlockOwnershipTable.ownerCode(1, 7));
        table.transfer(first + 1, BlockOwnershipTable.FREE, BlockOwnershipTable.ownerCode(1, 7));
    }

    @AfterEach
    void tearDown() {
        manager.close();
        regions.close();
        membership.close();
        memory.close();
    }

    private static KernelRecord kernel(long incarnation) {
        return KernelRecord.newBuilder().setKernelId(1).setName("weak-0").setIncarnation(incarnation).setState(KernelState.RUNNING).build();
    }

    @Test
    void aDeadKernelsBlocksAreTakenBackAtOnceWhileTheManagersThreadIsBusy() throws Exception {
        membership.put(kernel(7));
        CountDownLatch stalled = new CountDownLatch(1);
        manager.onManagerThread(() -> {
            try {
                stalled.await(20, TimeUnit.SECONDS); // as if waiting for a stalled donor's answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        int returned = manager.reclaimDead(kernel(7));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        stalled.countDown();
        assertThat(returned).as("blocks back in the pool").isEqualTo(2);
        assertThat(table.owner(first)).isEqualTo(BlockOwnershipTable.FREE);
        assertThat(table.owner(first + 1)).isEqualTo(BlockOwnershipTable.FREE);
        assertThat(tookMs).as("not queued behind the busy manager").isLessThan(2_000);
    }

    @Test
    void aTakeBackForAnIncarnationThatWasSucceededTakesNothing() {
        membership.put(kernel(8)); // the id restarted: incarnation 8 owns the id's blocks now
        assertThat(manager.reclaimDead(kernel(7))).isZero();
        assertThat(table.owner(first)).as("the new incarnation keeps its block").isEqualTo(1);
        assertThat(table.owner(first + 1)).isEqualTo(1);
    }

    @Test
    void aTakeBackTakesOnlyTheDeadIncarnationsBlocksNotThoseItsSuccessorAlreadyClaimed() {
        membership.put(kernel(7)); // membership not yet showing the restart: the take-back runs
        int successor = BlockOwnershipTable.ownerCode(1, 8);
        assertThat(table.transfer(first + 2, BlockOwnershipTable.FREE, successor)).isTrue();
        assertThat(manager.reclaimDead(kernel(7))).as("incarnation 7's two blocks").isEqualTo(2);
        assertThat(table.ownerCode(first + 2)).as("the block incarnation 8 claimed by the same id").isEqualTo(successor);
        assertThat(table.owner(first + 2)).isEqualTo(1);
    }
}
