package io.archipelago.kernel.memory;

import io.archipelago.interconnect.mailbox.BalloonPayload;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's balloon driver (K2 §3.2, after the balloon drivers of virtual machines): moves
 * whole page blocks between this kernel's page allocator and the global pool, the free entries of
 * the block ownership table, which stays the single truth.
 *
 * <ul>
 *   <li><b>Inflate</b> ({@link #inflate}): take whole free blocks out of the allocator and give
 *   them to the pool. Blocks are chosen to make reclaim succeed and memory stay contiguous: the
 *   fewest pages in use first; then those next to pool blocks, and the highest, so that the
 *   kernel's remaining blocks and the pool's free runs both stay together. A block whose pages in
 *   use are all {@linkplain MovablePages movable}, and at most {@code migrateMaxPages}, is
 *   emptied by moving them into the kernel's other blocks (isolated first, so nothing new lands
 *   there).</li>
 *   <li><b>Deflate</b> ({@link #adopt}): take into the allocator every block the table says is
 *   this kernel's and the allocator lacks (the manager moved them from the pool).</li>
 *   <li><b>Asking</b> ({@link #requestBlocks}): one BALLOON_REQUEST (WANT n) to the manager,
 *   answered by one BALLOON_GRANT (n granted) or NACK: two words per batch of blocks.</li>
 * </ul>
 * The manager's requests (INFLATE, DEFLATE) arrive as interrupts; the handler only hands them to
 * the driver's own thread (moving pages takes longer than an interrupt handler may), which
 * replies with BALLOON_GRANT when done. Counters: {@code balloon.*} (see {@link BalloonCounters}).
 */
final class BalloonDriver implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BalloonDriver.class);

    /** This kernel's owner code in the block table: its id and incarnation (a restarted kernel's blocks are not its predecessor's). */
    private final int kernelId;
    private final String kernelName;
    private final GlobalMemory memory;
    private final BuddyPageAllocator buddy;
    private final MovablePages movable;
    private final Mailbox mailbox;
    private final int migrateMaxPages;
    private final Duration requestTimeout;
    private final BalloonCounters counters;
    private final ScheduledExecutorService worker;
    /** Whether this kernel was declared DEAD while running: then the block table is no longer its to change. */
    private volatile java.util.function.BooleanSupplier fenced = () -> false;

    BalloonDriver(int kernelId, String kernelName, GlobalMemory memory, BuddyPageAllocator buddy, MovablePages movable, Mailbox mailbox,
                  KernelCountersArea area, int migrateMaxPages, Duration requestTimeout) {
        this.kernelId = kernelId;
        this.kernelName = kernelName;
        this.memory = memory;
        this.buddy = buddy;
        this.movable = movable;
        this.mailbox = mailbox;
        this.migrateMaxPages = migrateMaxPages;
        this.requestTimeout = requestTimeout;
        this.counters = new BalloonCounters(area);
        this.worker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("balloon-" + kernelName).factory());
    }

    private volatile TraceRing trace;

    /** Tells the driver how to learn that its kernel was fenced (declared DEAD while it still runs). */
    void fencedBy(java.util.function.BooleanSupplier fenced) {
        this.fenced = fenced;
    }

    /** Puts the driver's requests to the manager and the moves it makes for it on the cluster's timeline. */
    void timeline(TraceRing ring) {
        this.trace = ring;
    }

    /** Registers the interrupt handler for the manager's requests and publishes the first probes. */
    void start() {
        mailbox.onInterrupt(MailboxType.BALLOON_REQUEST, this::onRequest);
        refreshProbes();
    }

    // ------------------------------------------------------------------ the manager's requests

    /** (interrupt context) Hands the request to the driver's thread; refuses at once what it must not serve. */
    private void onRequest(Interrupt interrupt) {
        int payload = interrupt.payload();
        BalloonPayload.Op op;
        try {
            op = BalloonPayload.op(payload);
        } catch (IllegalArgumentException e) {
            LOG.warn("kernel {}: {} from {}: {}", kernelName, interrupt.mailboxWord(), interrupt.senderName(), e.getMessage());
            interrupt.reply(MailboxType.NACK, BalloonPayload.refuse(payload, BalloonPayload.Refusal.NOT_THE_MANAGER));
            return;
        }
        if (interrupt.sender() != MemberIds.COORDINATOR || op == BalloonPayload.Op.WANT) {
            LOG.warn("kernel {}: refused balloon request {} from {}: only the meta-level manager (member {}) sends INFLATE and DEFLATE",
                kernelName, BalloonPayload.describe(payload), interrupt.senderName(), MemberIds.COORDINATOR);
            interrupt.reply(MailboxType.NACK, BalloonPayload.refuse(payload, BalloonPayload.Refusal.NOT_THE_MANAGER));
            return;
        }
        int sender = interrupt.sender();
        int sequence = interrupt.sequence();
        try {
            worker.execute(() -> serve(sender, sequence, payload, op, BalloonPayload.count(payload), BalloonPayload.near(payload)));
        } catch (RejectedExecutionException e) {
            interrupt.reply(MailboxType.NACK, BalloonPayload.refuse(payload, BalloonPayload.Refusal.CLOSING));
        }
    }

    /** (driver thread) Inflates or deflates, then answers with the number of blocks that moved. */
    private void serve(int sender, int sequence, int request, BalloonPayload.Op op, int count, int near) {
        long start = System.nanoTime();
        int done;
        try {
            done = op == BalloonPayload.Op.INFLATE ? inflate(count, near).size() : adopt();
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: balloon {} {} failed", kernelName, op, count, e);
            done = 0;
        }
        TraceRing ring = trace;
        if (ring != null) {
            ring.slice(TraceEvent.BALLOON_MOVE, TraceRing.KERNEL_TRACK, done, start, System.nanoTime() - start);
        }
        try {
            mailbox.send(sender, new MailboxWord(MailboxType.BALLOON_GRANT, sequence, BalloonPayload.grant(request, Math.min(done,
                BalloonPayload.MAX_COUNT))));
        } catch (MailboxException e) {
            LOG.warn("kernel {}: cannot answer the manager's {} {}: {}", kernelName, op, count, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ inflate

    /** Inflates with no hint where the blocks are wanted. */
    List<Integer> inflate(int wanted) {
        return inflate(wanted, -1);
    }

    /**
     * Gives up to {@code wanted} whole blocks back to the pool: wholly free ones first, then
     * nearly free ones whose pages in use are movable (moved out first); among equals, those
     * nearest block {@code near} (the manager's hint: next to the kernel that needs them), or,
     * without a hint, those next to the pool and the highest.
     *
     * @return the blocks now in the pool
     */
    synchronized List<Integer> inflate(int wanted, int near) {
        counters.inflateRequests.increment();
        counters.blocksAsked.add(wanted);
        List<Integer> released = new ArrayList<>();
        if (wanted <= 0) {
            return released;
        }
        BlockOwnershipTable table = memory.ownership();
        List<Candidate> candidates = new ArrayList<>();
        synchronized (movable) {
            for (int block : buddy.blocks()) {
                int used = buddy.usedPages(block);
                int movablePages = movable.movablePages(block);
                boolean reclaimable = used == 0 || used == movablePages && used <= migrateMaxPages;
                if (reclaimable) {
                    boolean nextToPool = neighbourFree(table, block - 1) || neighbourFree(table, block + 1);
                    candidates.add(new Candidate(block, used, near < 0 ? 0 : Math.abs(block - near), nextToPool));
                }
            }
        }
        candidates.sort(Comparator.comparingInt(Candidate::used).thenComparingInt(Candidate::distance)
            .thenComparing(Candidate::nextToPool, Comparator.reverseOrder()).thenComparing(Candidate::block, Comparator.reverseOrder()));
        for (Candidate candidate : candidates) {
            if (released.size() >= wanted) {
                break;
            }
            int block = candidate.block();
            if (candidate.used() > 0 && !emptyByMoving(block, farthestFrom(near))) {
                continue;
            }
            if (fenced.getAsBoolean()) {
                // declared DEAD: the manager took our blocks back already, and a new incarnation of our id may own them now
                LOG.warn("kernel {}: declared DEAD while inflating: releases nothing more", kernelName);
                break;
            }
            if (!buddy.removeFreeBlock(block)) {
                continue; // an allocation landed there meanwhile
            }
            if (table.transfer(block, kernelId, BlockOwnershipTable.FREE)) {
                released.add(block);
                if (released.size() == 1 && wanted > 1) {
                    io.archipelago.kernel.faults.FaultPoints.reached(io.archipelago.kernel.faults.FaultPoints.Point.BALLOON_MID_INFLATE);
                }
            } else {
                // never expected: someone changed the owner of a block this kernel owns
                counters.ownershipConflicts.increment();
                LOG.error("kernel {}: block {} was in its allocator but the ownership table says {}: dropped from the allocator, not "
                    + "released", kernelName, block, BlockOwnershipTable.describeOwner(table.owner(block)));
            }
        }
        counters.blocksReleased.add(released.size());
        if (!released.isEmpty()) {
            LOG.debug("kernel {}: balloon inflated {} of {} block(s) asked into the pool: {}", kernelName, released.size(), wanted, released);
        }
        refreshProbes();
        return released;
    }

    /**
     * Where to move pages to: with a hint, the kernel's block farthest from it (so the blocks the
     * manager wants next, near the hint, do not fill up); without one, -1 (the lowest free pages).
     */
    private int farthestFrom(int near) {
        if (near < 0) {
            return -1;
        }
        List<Integer> blocks = buddy.blocks();
        if (blocks.isEmpty()) {
            return -1;
        }
        int low = blocks.getFirst();
        int high = blocks.getLast();
        return Math.abs(high - near) >= Math.abs(low - near) ? high : low;
    }

    /** Moves the movable pages out of a block; true when it is then wholly free (isolated until removed). */
    private boolean emptyByMoving(int block, int toward) {
        synchronized (movable) {
            int used = buddy.usedPages(block);
            if (used == 0 || used != movable.movablePages(block) || used > migrateMaxPages) {
                return used == 0;
            }
            buddy.isolate(block);
            int moved = movable.moveOutOf(block, toward, fenced);
            if (moved < 0 || buddy.usedPages(block) != 0) {
                buddy.unisolate(block);
                counters.migrationFailures.increment();
                return false;
            }
            counters.pagesMoved.add(moved);
            counters.blocksEmptiedByMoving.increment();
            return true;
        }
    }

    private static boolean neighbourFree(BlockOwnershipTable table, int block) {
        return block >= table.firstDataBlock() && block < table.blockCount() && table.owner(block) == BlockOwnershipTable.FREE;
    }

    private record Candidate(int block, int used, int distance, boolean nextToPool) {
    }

    // ------------------------------------------------------------------ deflate

    /** Takes into the allocator every block the table gives this kernel that the allocator lacks. */
    synchronized int adopt() {
        int adopted = 0;
        for (int block : memory.ownership().blocksHeldBy(kernelId)) {
            if (!buddy.owns(block)) {
                buddy.addBlock(block);
                adopted++;
            }
        }
        counters.blocksDeflated.add(adopted);
        if (adopted > 0) {
            LOG.debug("kernel {}: balloon deflated {} block(s) into its allocator", kernelName, adopted);
        }
        refreshProbes();
        return adopted;
    }

    // ------------------------------------------------------------------ asking the manager

    /** What the manager answered to a WANT. */
    record Answer(int granted, int adopted, BalloonPayload.Refusal refusal, String error) {
        boolean refused() {
            return granted == 0;
        }

        String describe() {
            if (error != null) {
                return error;
            }
            return refusal != null ? "NACK " + refusal : "GRANT " + granted;
        }
    }

    /**
     * Asks the meta-level manager for blocks (one WANT, one GRANT or NACK) and takes what it
     * grants into the allocator. Called on a kernel thread, never on the interrupt context.
     */
    Answer requestBlocks(int blocks, boolean contiguous) {
        long start = System.nanoTime();
        Answer answer = askManager(blocks, contiguous);
        TraceRing ring = trace;
        if (ring != null) {
            ring.slice(TraceEvent.BALLOON_WANT, TraceRing.KERNEL_TRACK, answer.granted(), start, System.nanoTime() - start);
        }
        return answer;
    }

    private Answer askManager(int blocks, boolean contiguous) {
        counters.wants.increment();
        MailboxWord reply;
        int want = BalloonPayload.want(Math.min(blocks, BalloonPayload.MAX_COUNT), contiguous);
        try {
            reply = mailbox.request(MemberIds.COORDINATOR, MailboxType.BALLOON_REQUEST, want, requestTimeout, BalloonPayload.answers(want),
                MailboxType.BALLOON_GRANT, MailboxType.NACK);
        } catch (MailboxException e) {
            counters.wantFailures.increment();
            return new Answer(0, 0, null, "the meta-level manager did not answer: " + e.getMessage());
        }
        if (reply.type() == MailboxType.NACK) {
            counters.nacks.increment();
            BalloonPayload.Refusal refusal;
            try {
                refusal = BalloonPayload.refusal(reply.payload());
            } catch (IllegalArgumentException e) {
                return new Answer(0, 0, null, "the meta-level manager refused with unknown code " + reply.payload());
            }
            return new Answer(0, 0, refusal, null);
        }
        int granted = BalloonPayload.granted(reply.payload());
        counters.blocksGranted.add(granted);
        return new Answer(granted, adopt(), null, null);
    }

    // ------------------------------------------------------------------ probes

    /**
     * Refreshes {@code balloon.reclaimable_blocks}: blocks the driver could give back now (wholly
     * free, or emptied by moving at most {@code migrateMaxPages} movable pages). The meta-level
     * manager reads it to choose donors likely to succeed.
     */
    void refreshProbes() {
        int reclaimable = 0;
        synchronized (movable) {
            for (int block : buddy.blocks()) {
                int used = buddy.usedPages(block);
                if (used == 0 || used == movable.movablePages(block) && used <= migrateMaxPages) {
                    reclaimable++;
                }
            }
        }
        counters.reclaimableBlocks.set(reclaimable);
    }

    /**
     * Refreshes the probes every {@code period} on the driver's own thread, between the manager's
     * requests: no thread of its own, and one wake-up per period instead of two.
     */
    void refreshProbesEvery(Duration period) {
        try {
            worker.scheduleWithFixedDelay(this::refreshProbes, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
