package io.archipelago.kernel.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.PageRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The balloon driver's inflate and deflate over a real memory file, without the mailbox (the manager's side is in the cluster tests). */
@Timeout(30)
class BalloonDriverTest {

    /** 16 pages per 64 KiB block. */
    private static final MemoryGeometry GEOMETRY = new MemoryGeometry(4L << 20, 4096, 64 * 1024, 4);

    @TempDir
    Path dir;

    private GlobalMemory memory;
    private BlockOwnershipTable table;
    private KernelCountersArea counters;
    private BuddyPageAllocator buddy;
    private MovablePages movable;
    private BalloonDriver balloon;
    private List<Integer> blocks;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "balloon", GEOMETRY, 2);
        table = memory.ownership();
        blocks = table.claimFree(0, 8);
        counters = memory.countersArea(0);
        buddy = BuddyPageAllocator.forKernel(memory, 0, List.of(), counters);
        movable = new MovablePages(memory, buddy);
        balloon = new BalloonDriver(0, "k0", memory, buddy, movable, null, counters, 4, Duration.ofSeconds(1));
    }

    @AfterEach
    void tearDown() {
        balloon.close();
        memory.close();
    }

    private MovablePages.Allocation allocate(int pages) {
        return movable.adopt(buddy.allocatePages(pages), true);
    }

    @Test
    void wholeFreeBlocksGoFirstAndOnlyWhatIsAsked() {
        allocate(16); // fills the lowest block
        List<Integer> released = balloon.inflate(3);
        assertThat(released).hasSize(3).doesNotContain(blocks.getFirst());
        assertThat(released).allSatisfy(b -> assertThat(table.owner(b)).isEqualTo(BlockOwnershipTable.FREE));
        assertThat(buddy.blocks()).hasSize(5).doesNotContainAnyElementsOf(released);
        assertThat(counters.value(MemoryCounters.BLOCKS_RELEASED)).isEqualTo(3);
        assertThat(counters.value(MemoryCounters.BLOCKS_ASKED)).isEqualTo(3);
    }

    @Test
    void aNearlyFreeBlockIsEmptiedByMovingItsMovablePagesAndNothingIsLost() {
        List<MovablePages.Allocation> all = new ArrayList<>();
        for (int i = 0; i < 8 * 4; i++) {
            all.add(allocate(4)); // four 4-page allocations per block
        }
        for (int i = 0; i < all.size(); i++) {
            if (i % 4 != 0) {
                buddy.free(movable.forget(all.get(i).handle()));
            }
        }
        // every block keeps 4 movable pages: none is wholly free, each can be emptied (4 <= migrate-max 4)
        List<Integer> released = balloon.inflate(4);
        assertThat(released).hasSize(4);
        assertThat(counters.value(MemoryCounters.PAGES_MOVED)).isEqualTo(16);
        assertThat(counters.value(MemoryCounters.BLOCKS_EMPTIED_BY_MOVING)).isEqualTo(4);
        assertThat(movable.verify()).as("the moved pages kept their content").isEmpty();
        for (MovablePages.Allocation allocation : movable.allocationsNow()) {
            assertThat(released).doesNotContain((int) (allocation.run().firstPage() / 16));
        }
        assertThat(buddy.usedPages()).isEqualTo(8 * 4);
    }

    @Test
    void theManagersHintDecidesAmongEqualBlocksAndPagesMoveAway() {
        List<MovablePages.Allocation> all = new ArrayList<>();
        for (int i = 0; i < 8 * 4; i++) {
            all.add(allocate(4));
        }
        for (int i = 0; i < all.size(); i++) {
            if (i % 4 != 0) {
                buddy.free(movable.forget(all.get(i).handle())); // every block keeps 4 movable pages
            }
        }
        int near = blocks.getFirst() - 1; // the requester's block just below ours
        List<Integer> released = balloon.inflate(3, near);
        assertThat(released).containsExactlyInAnyOrder(blocks.get(0), blocks.get(1), blocks.get(2));
        assertThat(movable.verify()).isEmpty();
        // the moved pages went to the far end, so the next blocks near the requester are still cheap to take
        assertThat(buddy.usedPages(blocks.get(3))).isEqualTo(4);
        assertThat(buddy.usedPages(blocks.getLast())).isGreaterThan(4);
    }

    @Test
    void pinnedPagesKeepTheirBlock() {
        PageRun pinned = buddy.allocatePages(1); // a typed region's page: not in the movable table
        List<Integer> released = balloon.inflate(8);
        assertThat(released).hasSize(7).doesNotContain((int) (pinned.firstPage() / 16));
        assertThat(buddy.blocks()).containsExactly((int) (pinned.firstPage() / 16));
    }

    @Test
    void deflateTakesWhatTheTableGives() {
        List<Integer> more = table.claimFree(0, 2);
        assertThat(balloon.adopt()).isEqualTo(2);
        assertThat(buddy.blocks()).containsAll(more);
        assertThat(balloon.adopt()).isZero();
        assertThat(counters.value(MemoryCounters.BLOCKS_DEFLATED)).isEqualTo(2);
    }
}
