package io.archipelago.typed.alloc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class BuddyPageAllocatorTest {

    /** 16 MiB of 4 KiB pages in 64 KiB blocks: 16 pages per block, orders 0..4. */
    private static final MemoryGeometry GEOMETRY = new MemoryGeometry(16L << 20, 4096, 64 * 1024, 4);

    @TempDir
    Path dir;

    private GlobalMemory memory;
    private KernelCountersArea counters;
    private BuddyPageAllocator buddy;
    private int first;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "buddy", GEOMETRY, 1);
        counters = memory.countersArea(0);
        buddy = new BuddyPageAllocator(GEOMETRY, 0, counters);
        first = GEOMETRY.systemBlocks();
        for (int block = first; block < first + 4; block++) {
            buddy.addBlock(block);
        }
    }

    @AfterEach
    void tearDown() {
        memory.close();
    }

    private int page(int block, int index) {
        return block * 16 + index;
    }

    @Test
    void splitsTheLowestChunkAndKeepsExactSizes() {
        PageRun one = buddy.allocatePages(1);
        assertThat(one.firstPage()).isEqualTo(page(first, 0));
        PageRun five = buddy.allocatePages(5);
        // order 3 (8 pages) from the lowest free chunk of that order: pages 8..15 of the first block
        assertThat(five.firstPage()).isEqualTo(page(first, 8));
        assertThat(five.pages()).isEqualTo(5);
        // the tail of the 8-page chunk (3 pages) is free again: a 2-page chunk at 13 and a page at 15... and 1..7 from the first split
        assertThat(buddy.usedPages(first)).isEqualTo(6);
        assertThat(buddy.freePages()).isEqualTo(4 * 16 - 6);
        PageRun two = buddy.allocatePages(2);
        assertThat(two.firstPage()).isEqualTo(page(first, 2));
        assertThat(counters.value(MemoryCounters.ALLOCATIONS)).isEqualTo(3);
        assertThat(counters.value(MemoryCounters.FREE_PAGES)).isEqualTo(4 * 16 - 8);
        assertThat(counters.value(MemoryCounters.FREE_BLOCKS)).isEqualTo(3);
    }

    @Test
    void freeingEverythingCoalescesBackToWholeBlocks() {
        List<PageRun> runs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            runs.add(buddy.allocatePages(1 + i % 5));
        }
        assertThat(buddy.wholeFreeBlocks()).hasSizeLessThan(4);
        for (PageRun run : runs) {
            buddy.free(run);
        }
        assertThat(buddy.wholeFreeBlocks()).hasSize(4);
        assertThat(buddy.freeChunks()[buddy.maxOrder()]).isEqualTo(4);
        assertThat(buddy.freePages()).isEqualTo(64);
        assertThat(counters.value(MemoryCounters.freePagesOfOrder(4))).isEqualTo(64);
        assertThat(counters.value(MemoryCounters.freePagesOfOrder(0))).isZero();
    }

    @Test
    void aRequestBeyondOneBlockTakesAdjacentWholeBlocks() {
        PageRun small = buddy.allocatePages(1); // in the first block
        PageRun big = buddy.allocatePages(40);  // 3 blocks: the other three, adjacent
        assertThat(big.firstPage()).isEqualTo(page(first + 1, 0));
        assertThat(buddy.usedPages(first + 3)).isEqualTo(8);
        assertThatThrownBy(() -> buddy.allocatePages(17)).isInstanceOf(OutOfPagesException.class)
            .hasMessageContaining("no run of 17 free page(s)").hasMessageContaining("adjacent wholly free block(s)");
        assertThat(counters.value(MemoryCounters.FAILURES)).isEqualTo(1);
        buddy.free(big);
        buddy.free(small);
        assertThat(buddy.wholeFreeBlocks()).hasSize(4);
    }

    @Test
    void doubleFreesAndForeignPagesAreRefused() {
        PageRun run = buddy.allocatePages(3);
        buddy.free(run);
        assertThatThrownBy(() -> buddy.free(run)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("freed twice");
        PageRun foreign = new PageRun((long) (first + 10) * 16 * 4096, 1, 4096);
        assertThatThrownBy(() -> buddy.free(foreign)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not in kernel 0's allocator");
    }

    @Test
    void onlyAWhollyFreeBlockLeavesTheAllocator() {
        PageRun run = buddy.allocatePages(1);
        assertThat(buddy.removeFreeBlock(first)).isFalse();
        assertThat(buddy.removeFreeBlock(first + 3)).isTrue();
        assertThat(buddy.blocks()).containsExactly(first, first + 1, first + 2);
        assertThat(buddy.freePages()).isEqualTo(3 * 16 - 1);
        buddy.free(run);
        assertThat(buddy.removeFreeBlock(first)).isTrue();
        assertThat(counters.value(MemoryCounters.BLOCKS)).isEqualTo(2);
    }

    @Test
    void anIsolatedBlockGetsNoAllocationAndEmptiesForTheBalloon() {
        PageRun a = buddy.allocatePages(4);
        PageRun b = buddy.allocatePages(4);
        assertThat(a.firstPage() / 16).isEqualTo(first);
        buddy.isolate(first);
        assertThat(buddy.freePages()).isEqualTo(3 * 16);
        PageRun moved = buddy.allocatePages(4);
        assertThat(moved.firstPage() / 16).as("nothing lands in the isolated block").isEqualTo(first + 1);
        buddy.free(a);
        buddy.free(b);
        assertThat(buddy.freePages()).as("pages freed in the isolated block stay out of the lists").isEqualTo(3 * 16 - 4);
        assertThat(buddy.removeFreeBlock(first)).isTrue();
        assertThat(buddy.freePages()).isEqualTo(3 * 16 - 4);

        PageRun c = buddy.allocatePages(2);
        buddy.isolate(first + 1);
        buddy.unisolate(first + 1);
        assertThat(buddy.freePages()).isEqualTo(3 * 16 - 6);
        buddy.free(c);
        buddy.free(moved);
        assertThat(buddy.wholeFreeBlocks()).containsExactly(first + 1, first + 2, first + 3);
    }

    @Test
    void aRestartedKernelRebuildsFromTheRunsItsRegionsUse() {
        // kernel 0's four blocks were added by hand, not claimed in the table: kernel 1 claims the same three
        memory.ownership().claimFree(1, 3);
        BuddyPageAllocator rebuilt = BuddyPageAllocator.forKernel(memory, 1, List.of(), null);
        assertThat(rebuilt.blocks()).containsExactly(first, first + 1, first + 2);
        assertThatThrownBy(() -> BuddyPageAllocator.forKernel(memory, 1, List.of(new PageRun((long) page(first + 1, 0) * 4096, 20,
            4096), new PageRun((long) page(first + 1, 4) * 4096, 1, 4096)), null))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("overlap");
        List<PageRun> own = List.of(new PageRun((long) page(first, 3) * 4096, 6, 4096),
            new PageRun((long) page(first + 1, 15) * 4096, 3, 4096)); // spans two blocks
        BuddyPageAllocator restarted = BuddyPageAllocator.forKernel(memory, 1, own, null);
        assertThat(restarted.usedPages()).isEqualTo(9);
        assertThat(restarted.usedPages(first)).isEqualTo(6);
        assertThat(restarted.usedPages(first + 1)).isEqualTo(1);
        assertThat(restarted.usedPages(first + 2)).isEqualTo(2);
        assertThat(restarted.freePages()).isEqualTo(48 - 9);
        // every free page can still be allocated one by one, and none of the region pages is handed out
        BitSet seen = new BitSet();
        for (int i = 0; i < 48 - 9; i++) {
            PageRun page = restarted.allocatePages(1);
            for (PageRun region : own) {
                assertThat(page.firstPage() < region.firstPage() || page.firstPage() >= region.firstPage() + region.pages())
                    .as("page %d is outside %s", page.firstPage(), region).isTrue();
            }
            assertThat(seen.get((int) page.firstPage())).isFalse();
            seen.set((int) page.firstPage());
        }
        assertThatThrownBy(() -> restarted.allocatePages(1)).isInstanceOf(OutOfPagesException.class);
        assertThatThrownBy(() -> BuddyPageAllocator.forKernel(memory, 1, List.of(new PageRun((long) page(first + 9, 0) * 4096, 1, 4096)),
            null)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not all in kernel 1's blocks");
    }

    @Test
    void randomAllocationsNeverOverlapAndAlwaysCoalesce() {
        Random random = new Random(42);
        List<PageRun> live = new ArrayList<>();
        BitSet model = new BitSet();
        for (int step = 0; step < 20_000; step++) {
            if (live.isEmpty() || random.nextInt(100) < 55) {
                int pages = random.nextInt(10) < 8 ? 1 + random.nextInt(8) : 1 + random.nextInt(40);
                PageRun run;
                try {
                    run = buddy.allocatePages(pages);
                } catch (OutOfPagesException e) {
                    assertThat(buddy.largestFreeChunk()).isLessThan(pages > 16 ? Integer.MAX_VALUE : pages);
                    continue;
                }
                int p = (int) run.firstPage();
                assertThat(model.get(p, p + pages).isEmpty()).as("step %d: %s overlaps a live run", step, run).isTrue();
                model.set(p, p + pages);
                live.add(run);
            } else {
                PageRun run = live.remove(random.nextInt(live.size()));
                buddy.free(run);
                model.clear((int) run.firstPage(), (int) (run.firstPage() + run.pages()));
            }
            assertThat(buddy.usedPages()).isEqualTo(model.cardinality());
            assertThat(buddy.freePages()).isEqualTo(64 - model.cardinality());
        }
        live.forEach(buddy::free);
        assertThat(buddy.wholeFreeBlocks()).hasSize(4);
        assertThat(buddy.largestFreeChunk()).isEqualTo(16);
    }
}
