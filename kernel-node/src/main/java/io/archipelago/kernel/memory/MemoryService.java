package io.archipelago.kernel.memory;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelContext;
import io.archipelago.kernel.KernelService;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.PageAllocator;
import io.archipelago.typed.alloc.PageRun;
import io.archipelago.typed.registry.RegionRegistry;
import io.grpc.BindableService;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's independent memory services (K2's share-most model: one instance per kernel,
 * nothing shared with other kernels on the allocation path): its {@linkplain BuddyPageAllocator
 * page allocator} over the blocks it owns, its {@linkplain BalloonDriver balloon driver}, and its
 * {@linkplain MovablePages movable pages}. Other services allocate through {@link #allocator()}
 * (typed regions, task structs); the control API {@code KernelMemory} allocates movable pages
 * for tests, the demo and the benchmark.
 * <p>
 * At boot it takes the blocks this kernel id holds: those still owned by it (the coordinator was
 * not there to take them back), those {@linkplain BlockOwnershipTable#retainedFor retained} for
 * its typed regions after it died (a compare-and-set, so it races safely with the manager), and
 * free ones up to its initial share. The pages its registered regions use are found in the
 * region registry, so a restarted kernel never hands them out again.
 */
public final class MemoryService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryService.class);
    /**
     * How often the balloon's reclaimable-blocks probe is refreshed. The meta-level manager uses it
     * only to choose whom to ask first (the asked kernel's answer is the truth, and a kernel that
     * frees blocks on request refreshes at once); at 100 ms it was a tenth of an idle kernel's CPU.
     */
    static final Duration PROBE_PERIOD = Duration.ofMillis(500);

    private volatile BuddyPageAllocator buddy;
    private volatile MovablePages movable;
    private volatile BalloonDriver balloon;
    private volatile KernelPageAllocator allocator;
    private final Kernel kernel;
    private final Mailbox mailbox;

    public MemoryService(Kernel kernel, Mailbox mailbox) {
        this.kernel = kernel;
        this.mailbox = mailbox;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public void start() {
        GlobalMemory memory = kernel.memory();
        takeBlocks(kernel);
        List<PageRun> inUse;
        try (RegionRegistry registry = RegionRegistry.open(kernel.context().clusterDirectory().regionsFile())) {
            inUse = TypedMemory.pagesInUse(registry, kernel.id(), memory.geometry().pageSize());
        }
        buddy = BuddyPageAllocator.forKernel(memory, kernel.blockOwner(), inUse, kernel.counters());
        movable = new MovablePages(memory, buddy);
        KernelContext context = kernel.context();
        balloon = new BalloonDriver(kernel.blockOwner(), kernel.name(), memory, buddy, movable, mailbox, kernel.counters(),
            context.migrateMaxPages(), context.balloonRequestTimeout());
        balloon.fencedBy(kernel::fenced);
        balloon.timeline(kernel.trace());
        balloon.start();
        allocator = new KernelPageAllocator(kernel.name(), buddy, balloon, kernel.counters(), memory.geometry().pageSize());
        balloon.refreshProbesEvery(PROBE_PERIOD);
        LOG.info("kernel {}: page allocator over {} block(s), {} page(s) in use by {} registered region run(s), {} free", kernel.name(),
            buddy.blocks().size(), buddy.usedPages(), inUse.size(), buddy.freePages());
    }

    /** Adopts retained blocks (compare-and-set) and claims free ones up to the initial share. */
    private static void takeBlocks(Kernel kernel) {
        GlobalMemory memory = kernel.memory();
        BlockOwnershipTable table = memory.ownership();
        int retainedCode = BlockOwnershipTable.retainedFor(kernel.id());
        int adopted = 0;
        for (int block = table.firstDataBlock(); block < table.blockCount(); block++) {
            if (table.owner(block) == retainedCode && table.transfer(block, retainedCode, kernel.blockOwner())) {
                adopted++;
            }
        }
        if (adopted > 0) {
            LOG.info("kernel {}: adopted {} block(s) retained for its typed regions since it died", kernel.name(), adopted);
        }
        int share = kernel.context().initialBlocks() >= 0 ? kernel.context().initialBlocks() : memory.initialShare();
        int owned = table.blocksHeldBy(kernel.blockOwner()).size();
        int missing = share - owned;
        if (missing > 0) {
            List<Integer> claimed = table.claimFree(kernel.blockOwner(), missing);
            if (claimed.size() < missing) {
                LOG.warn("kernel {} holds {} of the {} page block(s) of its initial share: the free pool ran out (the balloon brings more "
                    + "when needed)", kernel.name(), owned + claimed.size(), share);
            }
        }
    }

    /** The kernel's page allocator, with the balloon step behind it. */
    public PageAllocator allocator() {
        PageAllocator current = allocator;
        if (current == null) {
            throw new IllegalStateException("the memory service has not started");
        }
        return current;
    }

    KernelPageAllocator kernelAllocator() {
        return allocator;
    }

    BuddyPageAllocator buddy() {
        return buddy;
    }

    MovablePages movable() {
        return movable;
    }

    BalloonDriver balloon() {
        return balloon;
    }

    Kernel kernel() {
        return kernel;
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new MemoryControlService(this));
    }

    @Override
    public void close() {
        BalloonDriver driver = balloon;
        if (driver != null) {
            driver.close();
        }
        if (buddy != null && kernel.fenced()) {
            // Declared DEAD: the coordinator already took this incarnation's blocks back; some may be another kernel's by now.
            LOG.warn("kernel {}: declared DEAD while running: its page blocks were taken back already; giving nothing back", kernel.name());
        } else if (buddy != null) {
            giveBlocksBack();
        }
    }

    /**
     * A kernel that stops gives its blocks back: to the pool, except those holding pages that are
     * not its movable pages (its typed regions), which stay retained for it, as when it dies.
     * Its movable pages die with it: nobody else can reach them. The control API and the other
     * services are closed by then, so nothing allocates any more.
     */
    private void giveBlocksBack() {
        BlockOwnershipTable table = kernel.memory().ownership();
        int returned = 0;
        int retained = 0;
        synchronized (movable) {
            for (int block : table.blocksHeldBy(kernel.blockOwner())) {
                boolean pinned = buddy.owns(block) && buddy.usedPages(block) > movable.movablePages(block);
                if (pinned) {
                    retained += table.transfer(block, kernel.blockOwner(), BlockOwnershipTable.retainedFor(kernel.id())) ? 1 : 0;
                } else {
                    returned += table.transfer(block, kernel.blockOwner(), BlockOwnershipTable.FREE) ? 1 : 0;
                }
            }
        }
        LOG.info("kernel {} stopping: {} page block(s) back to the pool, {} retained for its typed regions", kernel.name(), returned, retained);
    }
}
