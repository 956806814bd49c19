package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.coordinator.config.BalloonPolicy;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.BalloonPayload;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.memory.BlockOwnershipTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.typed.registry.RegionRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K2's meta-level manager (§3.2), in the coordinator: decides when page blocks move between the
 * kernels' independent page allocators, and moves them with their balloon drivers, over the
 * mailbox. It senses pressure through each kernel's probes in global memory (free pages,
 * allocation failures, reclaim rate: {@link KernelProbes}) and
 *
 * <ul>
 *   <li>answers a kernel's WANT (its allocator ran out): blocks from the pool, or, when the pool
 *   is short, from kernels with spare blocks, asked to INFLATE (their reclaim rate and
 *   reclaimable blocks decide whom to ask first); GRANT n, or NACK when nothing anywhere;</li>
 *   <li>every {@link BalloonPolicy#interval()}: moves a batch of blocks to a kernel under pressure
 *   before it runs out (DEFLATE n); reclaims from idle kernels when the pool runs low;</li>
 *   <li>takes the blocks of a dead kernel back ({@link #reclaimDead}), keeping those where its
 *   registered typed regions live ({@link RetainedBlocks}) until the regions are released
 *   ({@link #releaseRegion}) or it restarts and adopts them.</li>
 * </ul>
 * Every change of ownership it makes is a compare-and-set in the ownership table, and all of them
 * run on its one thread, so the liveness it checked before a transfer cannot change under it by
 * its own hand. Few words: one WANT/GRANT pair moves up to {@link BalloonPolicy#batchBlocks()}
 * blocks.
 */
public final class MetaLevelManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MetaLevelManager.class);
    /** How long a region's release waits for the manager's thread. */
    static final Duration RECLAIM_WAIT = Duration.ofSeconds(5);

    private final BalloonPolicy policy;
    private final GlobalMemory memory;
    private final BlockOwnershipTable table;
    private final Membership membership;
    private final Mailbox mailbox;
    private final ScheduledExecutorService worker;
    private final RetainedBlocks retained;
    private final ManagerStats stats = new ManagerStats();
    /** Kernels whose blocks were taken back, by id, with the incarnation that died: nothing is granted to it. */
    private final Map<Integer, Long> fenced = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Held while blocks are taken back from a dead kernel and while the pool's blocks are granted to
     * one (never while waiting for a kernel): a grant decided before a kernel died cannot land after
     * its blocks were taken back.
     */
    private final Object grants = new Object();
    /** Per kernel: its allocation count when last seen, and when it last changed (for idleness). */
    private final Map<Integer, long[]> activity = new HashMap<>();
    /** Where each kernel's probes are, for the incarnation found there. */
    private final Map<Integer, KernelProbes.Source> probeSources = new HashMap<>();
    /** Donors that released nothing when asked, with their activity then: not asked again until their allocator changes. */
    private final Map<Integer, Long> fruitless = new HashMap<>();

    public MetaLevelManager(BalloonPolicy policy, GlobalMemory memory, Membership membership, RegionRegistry regions, Mailbox mailbox) {
        this.policy = policy;
        this.memory = memory;
        this.table = memory.ownership();
        this.membership = membership;
        this.mailbox = mailbox;
        this.retained = new RetainedBlocks(memory, membership, regions, stats);
        this.worker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("balloon-manager").factory());
    }

    /** Registers the handler of kernels' WANT words and starts the periodic pass. */
    public void start() {
        mailbox.onInterrupt(MailboxType.BALLOON_REQUEST, this::onRequest);
        long period = policy.interval().toMillis();
        worker.scheduleWithFixedDelay(this::tickQuietly, period, period, TimeUnit.MILLISECONDS);
    }

    public BalloonPolicy policy() {
        return policy;
    }

    // ------------------------------------------------------------------ a kernel asks (WANT)

    /** (interrupt context) A kernel's WANT: served on the manager's thread, which replies. */
    private void onRequest(Interrupt interrupt) {
        stats.words.incrementAndGet();
        int payload = interrupt.payload();
        BalloonPayload.Op op;
        try {
            op = BalloonPayload.op(payload);
        } catch (IllegalArgumentException e) {
            op = null;
        }
        if (op != BalloonPayload.Op.WANT || !MemberIds.isKernel(interrupt.sender())) {
            LOG.warn("balloon manager: refused {} from {}: only kernels send WANT", interrupt.mailboxWord(), interrupt.senderName());
            stats.words.incrementAndGet();
            interrupt.reply(MailboxType.NACK, BalloonPayload.refuse(payload, BalloonPayload.Refusal.NOT_A_KERNEL));
            return;
        }
        int kernel = interrupt.sender();
        int sequence = interrupt.sequence();
        try {
            worker.execute(() -> serveWant(kernel, sequence, BalloonPayload.count(payload), BalloonPayload.contiguous(payload)));
        } catch (RejectedExecutionException e) {
            stats.words.incrementAndGet();
            interrupt.reply(MailboxType.NACK, BalloonPayload.refuse(payload, BalloonPayload.Refusal.CLOSING));
        }
    }

    private void serveWant(int kernel, int sequence, int wanted, boolean contiguous) {
        stats.wants.incrementAndGet();
        int granted;
        try {
            granted = give(kernel, contiguous ? wanted : Math.max(wanted, policy.batchBlocks()), contiguous);
        } catch (RuntimeException e) {
            LOG.warn("balloon manager: serving WANT {} of kernel {} failed", wanted, kernel, e);
            granted = 0;
        }
        MailboxWord reply;
        if (granted > 0) {
            reply = new MailboxWord(MailboxType.BALLOON_GRANT, sequence, BalloonPayload.grant(BalloonPayload.want(0, contiguous),
                Math.min(granted, BalloonPayload.MAX_COUNT)));
        } else {
            stats.nacks.incrementAndGet();
            BalloonPayload.Refusal refusal = contiguous && table.freeBlocks() >= wanted ? BalloonPayload.Refusal.NO_CONTIGUOUS_RUN
                : BalloonPayload.Refusal.NO_MEMORY;
            reply = new MailboxWord(MailboxType.NACK, sequence, BalloonPayload.refuse(BalloonPayload.want(0, contiguous), refusal));
            LOG.info("balloon manager: kernel {} wants {} block(s){}: nothing to give ({}; pool {} free; probes {})", kernel, wanted,
                contiguous ? " adjacent" : "", refusal, table.freeBlocks(), runningProbes());
        }
        try {
            mailbox.send(kernel, reply);
            stats.words.incrementAndGet();
        } catch (MailboxException e) {
            LOG.warn("balloon manager: cannot answer kernel {}: {}", kernel, e.getMessage());
        }
    }

    /**
     * Moves up to {@code wanted} blocks into {@code kernel}'s ownership: from the pool, after
     * asking kernels with spare blocks to inflate when the pool is short. (Manager thread.)
     *
     * @return blocks transferred to the kernel in the ownership table
     */
    private int give(int kernel, int wanted, boolean contiguous) {
        Optional<KernelRecord> record = membership.get(kernel);
        boolean live = record.isPresent() && (record.get().getState() == KernelState.RUNNING || record.get().getState() == KernelState.BOOTING);
        if (!live || Long.valueOf(record.get().getIncarnation()).equals(fenced.get(kernel))) {
            return 0;
        }
        List<Integer> chosen = PoolBlocks.choose(table, kernel, wanted, contiguous);
        if (chosen.size() < wanted) {
            inflateDonors(kernel, wanted - chosen.size());
            chosen = PoolBlocks.choose(table, kernel, wanted, contiguous);
        }
        int transferred = 0;
        synchronized (grants) {
            // the kernel may have died while its donors were asked: its blocks are taken back, it gets none
            if (Long.valueOf(record.get().getIncarnation()).equals(fenced.get(kernel))) {
                return 0;
            }
            for (int block : chosen) {
                if (table.transfer(block, BlockOwnershipTable.FREE, BlockOwnershipTable.ownerCode(kernel, record.get().getIncarnation()))) {
                    transferred++;
                }
            }
        }
        stats.blocksGranted.addAndGet(transferred);
        if (transferred > 0) {
            LOG.debug("balloon manager: {} block(s) to kernel {} ({} wanted{}): {}", transferred, record.get().getName(), wanted,
                contiguous ? ", adjacent" : "", chosen);
        }
        return transferred;
    }

    /**
     * Asks kernels with spare blocks to inflate, most promising first, until {@code missing}
     * blocks are in the pool. The probes may be a moment old (a kernel refreshes its reclaimable
     * count every 500 ms): when none shows spare blocks, a kernel with more free pages than
     * {@code keep-free-blocks + 1} blocks' worth is asked anyway, as a last resort; its answer is
     * the truth.
     */
    private void inflateDonors(int requester, int missing) {
        int pagesPerBlock = memory.geometry().pagesPerBlock();
        List<KernelProbes> donors = new ArrayList<>();
        List<KernelProbes> lastResort = new ArrayList<>();
        for (KernelProbes probes : runningProbes()) {
            Long before = fruitless.get(probes.kernelId());
            if (probes.kernelId() == requester || underPressure(probes) || before != null && before == probes.activity()) {
                continue; // the requester, a kernel under pressure, or one that released nothing last time and did nothing since
            }
            if (probes.spare(policy.keepFreeBlocks()) > 0) {
                donors.add(probes);
            } else if (probes.freePages() / pagesPerBlock > policy.keepFreeBlocks()) {
                lastResort.add(probes);
            }
        }
        donors.sort(Comparator.comparingDouble((KernelProbes p) -> p.spare(policy.keepFreeBlocks()) * p.reclaimRate()).reversed());
        lastResort.sort(Comparator.comparingLong(KernelProbes::freePages).reversed());
        List<Integer> requesterBlocks = table.blocksOwnedBy(requester);
        for (KernelProbes donor : donors) {
            missing = askDonor(donor, (int) Math.min(Integer.MAX_VALUE, donor.spare(policy.keepFreeBlocks())), missing, requesterBlocks);
        }
        for (KernelProbes donor : lastResort) {
            missing = askDonor(donor, (int) (donor.freePages() / pagesPerBlock - policy.keepFreeBlocks()), missing, requesterBlocks);
        }
    }

    /** Asks one donor for up to {@code spare} blocks, in INFLATE words of at most 63; returns what is still missing. */
    private int askDonor(KernelProbes donor, int spare, int missing, List<Integer> requesterBlocks) {
        int near = nearest(requesterBlocks, table.blocksOwnedBy(donor.kernelId()));
        while (missing > 0 && spare > 0) {
            int ask = Math.min(BalloonPayload.MAX_INFLATE, Math.min(missing, spare));
            int released = inflate(donor, ask, near);
            missing -= released;
            spare -= ask;
            if (released < ask) {
                break;
            }
        }
        return missing;
    }

    /**
     * The requester's block nearest to any of the donor's (so the donor gives the blocks that
     * extend the requester's run), or -1 when either has none.
     */
    static int nearest(List<Integer> requesterBlocks, List<Integer> donorBlocks) {
        // both in block order: one merge pass
        int best = -1;
        int bestDistance = Integer.MAX_VALUE;
        int j = 0;
        for (int mine : requesterBlocks) {
            while (j < donorBlocks.size() && donorBlocks.get(j) < mine) {
                j++;
            }
            for (int k = Math.max(0, j - 1); k <= Math.min(donorBlocks.size() - 1, j); k++) {
                int distance = Math.abs(mine - donorBlocks.get(k));
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = mine;
                }
            }
        }
        return best;
    }

    /** One INFLATE exchange (at most {@link BalloonPayload#MAX_INFLATE} blocks): returns the blocks the kernel released into the pool. */
    private int inflate(KernelProbes donor, int blocks, int near) {
        stats.inflateRequests.incrementAndGet();
        stats.blocksAsked.addAndGet(blocks);
        MailboxWord reply = exchange(donor.kernelId(), BalloonPayload.inflate(blocks, near));
        int released = reply != null && reply.type() == MailboxType.BALLOON_GRANT ? BalloonPayload.granted(reply.payload()) : 0;
        stats.blocksReleased.addAndGet(released);
        if (released == 0) {
            fruitless.put(donor.kernelId(), donor.activity());
        } else {
            fruitless.remove(donor.kernelId());
        }
        LOG.debug("balloon manager: asked kernel {} to inflate {} block(s): {} released", donor.name(), blocks, released);
        return released;
    }

    /** One DEFLATE exchange: tells a kernel to take the blocks it was given; returns how many it took. */
    private int deflate(int kernel, int blocks) {
        stats.deflateRequests.incrementAndGet();
        MailboxWord reply = exchange(kernel, BalloonPayload.deflate(Math.min(blocks, BalloonPayload.MAX_COUNT)));
        return reply != null && reply.type() == MailboxType.BALLOON_GRANT ? BalloonPayload.granted(reply.payload()) : 0;
    }

    private MailboxWord exchange(int kernel, int payload) {
        try {
            stats.words.incrementAndGet();
            MailboxWord reply = mailbox.request(kernel, MailboxType.BALLOON_REQUEST, payload, policy.requestTimeout(),
                BalloonPayload.answers(payload), MailboxType.BALLOON_GRANT, MailboxType.NACK);
            stats.words.incrementAndGet();
            return reply;
        } catch (MailboxException e) {
            LOG.warn("balloon manager: {} to kernel {} failed: {}", BalloonPayload.describe(payload), kernel, e.getMessage());
            return null;
        }
    }

    // ------------------------------------------------------------------ the periodic pass

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("balloon manager: pass failed: {}", e.toString());
        }
    }

    private void tick() {
        stats.ticks.incrementAndGet();
        long now = System.currentTimeMillis();
        List<KernelProbes> running = runningProbes();
        for (KernelProbes probes : running) {
            long[] seen = activity.computeIfAbsent(probes.kernelId(), id -> new long[] {probes.allocations(), now});
            if (seen[0] != probes.allocations()) {
                seen[0] = probes.allocations();
                seen[1] = now;
            }
        }
        // under pressure: blocks before the kernel runs out
        for (KernelProbes probes : running) {
            if (underPressure(probes)) {
                int given = give(probes.kernelId(), policy.batchBlocks(), false);
                if (given > 0) {
                    stats.pressureMoves.addAndGet(given);
                    deflate(probes.kernelId(), given);
                }
            }
        }
        // the pool runs low: reclaim from idle kernels
        if (policy.poolLowBlocks() > 0 && table.freeBlocks() < policy.poolLowBlocks()) {
            List<KernelProbes> idle = new ArrayList<>();
            for (KernelProbes probes : runningProbes()) {
                long[] seen = activity.get(probes.kernelId());
                Long before = fruitless.get(probes.kernelId());
                if (seen != null && now - seen[1] >= policy.idleAfter().toMillis() && !underPressure(probes)
                    && probes.spare(policy.keepFreeBlocks()) > 0 && (before == null || before != probes.activity())) {
                    idle.add(probes);
                }
            }
            idle.sort(Comparator.comparingLong((KernelProbes p) -> p.spare(policy.keepFreeBlocks())).reversed());
            for (KernelProbes probes : idle) {
                int missing = policy.poolLowBlocks() - table.freeBlocks();
                if (missing <= 0) {
                    break;
                }
                int ask = (int) Math.min(BalloonPayload.MAX_INFLATE, Math.min(missing, probes.spare(policy.keepFreeBlocks())));
                stats.idleReclaims.addAndGet(inflate(probes, ask, -1));
            }
        }
        retained.releaseUnheld();
    }

    private boolean underPressure(KernelProbes probes) {
        return probes.freePages() < policy.pressureFreePages();
    }

    /** The probes of every RUNNING, unfenced kernel whose page allocator has started. */
    private List<KernelProbes> runningProbes() {
        List<KernelProbes> probes = new ArrayList<>();
        for (KernelRecord record : membership.all()) {
            Long dead = fenced.get(record.getKernelId());
            if (dead != null && dead != record.getIncarnation() && record.getState() == KernelState.RUNNING) {
                fenced.remove(record.getKernelId()); // a new incarnation runs
                dead = null;
            }
            if (record.getState() == KernelState.RUNNING && dead == null) {
                KernelProbes.Source source = probeSources.get(record.getKernelId());
                if (source == null || source.incarnation() != record.getIncarnation()) {
                    source = KernelProbes.Source.find(memory.countersArea(record.getKernelId()), record).orElse(null);
                    if (source == null) {
                        continue;
                    }
                    probeSources.put(record.getKernelId(), source);
                }
                probes.add(source.read(record));
            }
        }
        return probes;
    }

    // ------------------------------------------------------------------ dead kernels and retained blocks

    /**
     * Takes back the blocks of a kernel that died (called by the membership watch before it
     * declares the kernel DEAD, so a restart of that id cannot race it; see {@link RetainedBlocks}).
     * Runs on the caller's thread, ahead of whatever the manager's thread is doing (it may be
     * waiting for a stalled donor), under the lock grants take: it fences the incarnation first
     * (nothing is granted to it any more), then moves its blocks with compare-and-sets, and it
     * takes nothing when another incarnation of the id has registered since. Never waits for a
     * kernel, so the kernel is marked DEAD only once its blocks are back.
     *
     * @return blocks returned to the pool
     */
    public int reclaimDead(KernelRecord record) {
        // On the caller's thread, not queued behind the manager's work: one balloon request to a stalled donor can keep
        // the manager's thread for a request timeout, and the kernel must not be marked DEAD (which lets its id restart)
        // before its blocks are back. Only compare-and-sets on the table: bounded, no waiting for any kernel.
        synchronized (grants) {
            Optional<KernelRecord> current = membership.get(record.getKernelId());
            if (current.isPresent() && current.get().getIncarnation() != record.getIncarnation()) {
                // another incarnation of the id registered meanwhile: what the id owns now is that one's
                LOG.warn("balloon manager: kernel {} (incarnation {}) died, but incarnation {} of its id runs now: its blocks are "
                    + "that one's, nothing taken back", record.getName(), record.getIncarnation(), current.get().getIncarnation());
                return 0;
            }
            fenced.put(record.getKernelId(), record.getIncarnation());
            int returned = retained.takeBack(record);
            try {
                worker.execute(() -> activity.remove(record.getKernelId()));
            } catch (RejectedExecutionException e) {
                // the manager is closing
            }
            return returned;
        }
    }

    /**
     * Removes a region whose owner kernel is dead and which no live kernel has attached, then
     * returns the blocks retained for it to the pool (on the manager's thread).
     *
     * @return blocks returned to the pool
     * @throws RegionStillInUseException when its owner lives or a live kernel has it attached
     * @throws java.util.NoSuchElementException when there is no such region
     */
    public int releaseRegion(String name) {
        return onManagerThread("release region '" + name + "'", () -> retained.releaseRegion(name), RECLAIM_WAIT, 0);
    }

    private <T> T onManagerThread(String what, Callable<T> task, Duration wait, T late) {
        Future<T> future;
        try {
            future = worker.submit(task);
        } catch (RejectedExecutionException e) {
            return late;
        }
        try {
            return future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.warn("balloon manager: could not {} within {} ms (it will when its thread is free)", what, wait.toMillis());
            return late;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return late;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    // ------------------------------------------------------------------ figures

    /** Queues {@code work} on the manager's thread, behind what it is doing (tests: a manager kept busy by a stalled donor). */
    java.util.concurrent.Future<?> onManagerThread(Runnable work) {
        return worker.submit(work);
    }

    public MemoryManagerStatus status() {
        return stats.snapshot(table);
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
