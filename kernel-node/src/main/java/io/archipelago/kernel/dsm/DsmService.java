package io.archipelago.kernel.dsm;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.faults.FaultPoints;
import io.archipelago.kernel.platform.ModelledDelay;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea.Counter;
import io.archipelago.memory.PageDirectory;
import io.archipelago.memory.WriteBackJournal;
import io.archipelago.trace.DsmExchange;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.SoftwareCoherence;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.proto.Contract;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * K2's software DSM for regions that span coherence domains: two states per page and kernel
 * (VALID, INVALID), {@code GET_EXCLUSIVE} / {@code PUT_EXCLUSIVE} over the 32-bit mailbox, the
 * requester waiting (a brief spin, then park, with a deadline), the holder's interrupt handler
 * never blocking. Its model, checked with spin, is {@code src/test/promela/dsm.pml}; keep them in
 * step.
 *
 * <h2>Finding the holder among N kernels: the page directory</h2>
 * <pre>
 *   requester R                      global memory                      holder H
 *   access page p: INVALID -> fault
 *   read directory[p] = (H, v)  ---> | p: holder H, version v |
 *   PENDING; GET_EXCLUSIVE(p) ----------------- mailbox R->H -------------> interrupt handler:
 *                                                                           VALID, used, no pin?
 *                                                                             REVOKING, write back
 *                                   | p: contents             | <--------- (DRAM now current)
 *                                   | p: holder R, version v+1| <--------- CAS (H,v) -> (R,v+1)
 *                                                                             INVALID
 *   <-------------------------------------- mailbox H->R ------------------- PUT_EXCLUSIVE(p)
 *   load p from DRAM, VALID, the access completes (and marks the page used)
 *
 *   When H holds p but has not used it once yet, an access to it is in flight, or H is itself
 *   getting p (PENDING: its PUT may be crossing R's GET), H defers the request: the thread whose
 *   access ends hands p over and sends the PUT_EXCLUSIVE (with the request's sequence number),
 *   so R waits one exchange, not a retry loop. H answers NACK(BUSY) when another requester
 *   already waits for p: R retries, backing off. H answers NACK(NOT_HOLDER) when it does not hold p: if the directory
 *   still says (H, v), H lost it (it restarted), and R claims it with a CAS (H,v) -> (R,v+1),
 *   loading the last written-back contents. A directory entry with no holder (or naming R
 *   itself, after a reply R never saw) is claimed the same way, with no message at all.
 * </pre>
 * Every change of holder is one compare-and-set on the directory entry, so exactly one kernel
 * wins it; a VALID copy exists only where the directory names its kernel.
 *
 * <h2>A holder that dies</h2>
 * Its link closes and the requester's GET fails at once; the requester retries until the
 * coordinator declares the holder DEAD (membership), then claims the page from DRAM. What is
 * lost is exactly what the dead kernel wrote to the pages it held since it obtained them
 * (they were never written back); everything written back before is kept. A holder that is
 * alive but silent past the deadline gives the requester a {@link DsmTimeoutException}
 * naming it. A kernel that stops cleanly writes back and releases every page it holds.
 *
 * <h2>A holder that dies mid write-back</h2>
 * A write-back is atomic as seen by the kernel that recovers the page: the holder first copies
 * its page into a slot of the {@link WriteBackJournal} and publishes the record (frame, directory
 * version), then copies the page in place, clears the record, and only then moves the directory.
 * Whoever takes the page from a dead holder (the winner of the directory's compare-and-set) and
 * finds a record of the frame repairs global memory from it before loading: it sees the new page
 * exactly; with no record it sees the old page (the holder died before publishing) or the new
 * one (it died after clearing).
 */
public final class DsmService implements KernelService, SoftwareCoherence {

    public static final Duration DEFAULT_FAULT_TIMEOUT = io.archipelago.kernel.KernelConfiguration.DSM_TIMEOUT_DEFAULT;
    /** How long one GET_EXCLUSIVE may wait for its answer before the requester looks again. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(1);
    /**
     * A write-back copies the page in place in chunks of this many bytes and checks between them that its
     * record still stands: a holder stopped mid-copy, recovered from and resumed stops copying there.
     */
    private static final int WRITE_BACK_CHUNK = 512;
    /** Backoffs shorter than this yield the core instead of parking (see {@link #pause}). */
    private static final long SHORT_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(40);
    /** The longest a requester watches for its answer, in microseconds (0: the mailbox's own window only, for comparison). */
    public static final String REPLY_WATCH_PROP = "archipelago.dsm.reply-watch-max-us";
    /**
     * The longest a requester watches for its PUT_EXCLUSIVE before it parks. Past it the answer is late for a reason a
     * spin cannot fix (the holder's access runs long, the holder is stopped), and a core held longer is a core taken from
     * the kernels that must answer.
     */
    static final long MAX_REPLY_WATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong(REPLY_WATCH_PROP, 400));
    /**
     * For how long, in microseconds, a kernel handed a page expects to be asked for it back (0: only the mailbox's poll
     * window, for comparison).
     */
    public static final String ASK_BACK_WATCH_PROP = "archipelago.dsm.ask-back-watch-us";
    /**
     * How long a kernel handed a page expects a GET_EXCLUSIVE for it: its interrupt context, woken to watch its rings,
     * yields its core rather than block while others want the cores, so that the GET finds it watching. A kernel that
     * faulted a page in is about to use it and others want it too (they just had it); a page nobody asks back for costs
     * this much watching once, never an idle cluster's time.
     */
    static final long ASK_BACK_WATCH_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong(ASK_BACK_WATCH_PROP, 200));
    /** How long a requester first expects an answer to take, before it has measured any (a wake-up of the holder's loop). */
    static final long INITIAL_EXPECTED_ANSWER_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    /** How long a write-back waits for one of this kernel's journal slots before it copies without one. */
    private static final long SLOT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Logger LOG = LoggerFactory.getLogger(DsmService.class);

    private final Kernel kernel;
    private final Mailbox mailbox;
    private final GlobalMemory memory;
    private final int self;
    private final Duration faultTimeout;
    private final WriteBackJournal journal;
    /** This kernel's journal slots in use by its own threads, one bit each. */
    private final AtomicInteger slotsInUse = new AtomicInteger();
    /**
     * How long this kernel's GET_EXCLUSIVEs took to be answered lately (a moving average, in nanoseconds; racy updates
     * between faulting threads lose a sample, which is harmless): a requester watches for its answer about twice that.
     */
    private volatile long expectedAnswerNanos = INITIAL_EXPECTED_ANSWER_NANOS;
    private final Map<String, DsmRegion> regions = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<Long, DsmRegion> byFrame = new ConcurrentSkipListMap<>();

    private Counter faults;
    private Counter claims;
    private Counter coalesced;
    private Counter pagesReceived;
    private Counter pagesSent;
    private Counter bytesWrittenBack;
    private Counter busyRetries;
    private Counter busyAnswers;
    private Counter deferred;
    private Counter recovered;
    private Counter timeouts;
    private Counter waitNanos;
    private Counter tornRepaired;
    private Counter unjournaled;

    /** @param faultTimeout how long a fault may wait for its page before it fails naming the holder */
    public DsmService(Kernel kernel, Mailbox mailbox, Duration faultTimeout) {
        this.kernel = kernel;
        this.mailbox = mailbox;
        this.memory = kernel.memory();
        this.self = kernel.id();
        this.faultTimeout = faultTimeout;
        this.journal = memory.writeBackJournal();
    }

    @Override
    public String name() {
        return "dsm";
    }

    @Override
    public void start() {
        faults = kernel.counters().counter(KernelCounter.DSM_FAULTS);
        claims = kernel.counters().counter(KernelCounter.DSM_CLAIMS);
        coalesced = kernel.counters().counter(KernelCounter.DSM_COALESCED_FAULTS);
        pagesReceived = kernel.counters().counter(KernelCounter.DSM_PAGES_RECEIVED);
        pagesSent = kernel.counters().counter(KernelCounter.DSM_PAGES_SENT);
        bytesWrittenBack = kernel.counters().counter(KernelCounter.DSM_BYTES_WRITTEN_BACK);
        busyRetries = kernel.counters().counter(KernelCounter.DSM_BUSY_RETRIES);
        busyAnswers = kernel.counters().counter(KernelCounter.DSM_BUSY_ANSWERS);
        deferred = kernel.counters().counter(KernelCounter.DSM_DEFERRED_REQUESTS);
        recovered = kernel.counters().counter(KernelCounter.DSM_PAGES_RECOVERED);
        timeouts = kernel.counters().counter(KernelCounter.DSM_TIMEOUTS);
        waitNanos = kernel.counters().counter(KernelCounter.DSM_WAIT_NS);
        tornRepaired = kernel.counters().counter(KernelCounter.DSM_TORN_PAGES_REPAIRED);
        unjournaled = kernel.counters().counter(KernelCounter.DSM_UNJOURNALED_WRITE_BACKS);
        mailbox.onInterrupt(MailboxType.GET_EXCLUSIVE, this::onGetExclusive);
    }

    // ------------------------------------------------------------------ SoftwareCoherence

    @Override
    public CoherentView open(Contract contract) {
        if (contract.getCoherence() != Coherence.SOFTWARE) {
            throw new IllegalArgumentException("region '" + contract.getName() + "' is " + contract.getCoherence() + "-coherent, not SOFTWARE");
        }
        DsmRegion region = regions.computeIfAbsent(contract.getName(), name -> {
            int pageSize = memory.geometry().pageSize();
            long offset = contract.getLocation().getOffset();
            long pages = contract.getLocation().getPages();
            long firstFrame = memory.pageFrame(offset);
            if (offset % pageSize != 0 || pages < 1) {
                throw new RegionException("region '" + name + "' is not page aligned in global memory (offset " + offset + ")");
            }
            if (firstFrame + pages - 1 > DsmReplies.MAX_FRAME) {
                throw new RegionException("region '" + name + "' ends at page frame " + (firstFrame + pages - 1) + ", beyond the "
                    + DsmReplies.MAX_FRAME + " the DSM's mailbox words can name (23 bits): create it lower in global memory");
            }
            DsmRegion created = new DsmRegion(this, name, firstFrame, (int) pages, pageSize,
                memory.segment().asSlice(offset, pages * pageSize));
            byFrame.put(firstFrame, created);
            LOG.info("kernel {}: software-coherent {}", kernel.name(), created);
            return created;
        });
        return new CoherentView(region.cache().asSlice(0, contract.getLocation().getBytes()), region);
    }

    // ------------------------------------------------------------------ the requester (normal threads)

    /**
     * Makes a page VALID here: a fault, taken by the thread whose access found the page INVALID.
     * Concurrent faults on one page by this kernel's threads are coalesced: one exchange, the
     * others wait for it (bounded) and find the page VALID.
     */
    void fault(DsmRegion region, int page) {
        long frame = region.frame(page);
        long start = System.nanoTime();
        long deadline = start + faultTimeout.toNanos();
        ReentrantLock lock = region.faultLock(page);
        try {
            if (!lock.tryLock(faultTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                timeouts.increment();
                throw new DsmTimeoutException(region.name(), frame, -1, "kernel " + kernel.name() + ": page frame " + frame + " of region '"
                    + region.name() + "' is still being faulted in by another of its threads after " + faultTimeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DsmTimeoutException(region.name(), frame, -1, "interrupted while waiting for page frame " + frame);
        }
        try {
            if (region.states().stateOf(page) == PageStates.VALID) {
                coalesced.increment();
                return;
            }
            faults.increment();
            try {
                obtain(region, page, frame, deadline);
                kernel.trace().instant(TraceEvent.DSM_PAGE_USABLE, TraceRing.KERNEL_TRACK, (int) frame, System.nanoTime() - start);
            } finally {
                kernel.trace().slice(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, (int) frame, start, System.nanoTime() - start);
            }
        } finally {
            lock.unlock();
            waitNanos.add(System.nanoTime() - start);
        }
    }

    private void obtain(DsmRegion region, int page, long frame, long deadline) {
        PageDirectory directory = memory.pageDirectory();
        PageStates states = region.states();
        if (!becomePending(region, page, frame, deadline)) {
            return;
        }
        // PENDING from here until VALID or failure: our handler answers BUSY to any GET meanwhile.
        boolean valid = false;
        try {
            int attempt = 0;
            while (true) {
                PageDirectory.Entry entry = directory.read(frame);
                if (!entry.held() || entry.holder() == self) {
                    // Nobody holds it (DRAM is current), or the directory names us after a PUT we never saw.
                    if (directory.transfer(entry, self)) {
                        kernel.trace().instant(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, (int) frame,
                            new DsmExchange(DsmExchange.GLOBAL_MEMORY, DsmExchange.NO_SEQUENCE).pack());
                        afterTakeOver(region, frame, entry);
                        region.load(page);
                        valid = true;
                        claims.increment();
                        return;
                    }
                    continue;
                }
                int holder = entry.holder();
                MailboxWord reply;
                try {
                    long wait = Math.min(ATTEMPT_TIMEOUT.toNanos(), Math.max(1, deadline - System.nanoTime()));
                    kernel.trace().instant(TraceEvent.DSM_GET_SENT, TraceRing.KERNEL_TRACK, (int) frame, holder);
                    // the answer must name this frame: a late answer about another page is dropped by the mailbox
                    // Watch for the answer for about the time answers take here, so that it finds this thread watching:
                    // parked, it would cost a doorbell, our interrupt context's wake-up, then this thread's.
                    long asked = System.nanoTime();
                    reply = mailbox.request(holder, MailboxType.GET_EXCLUSIVE, (int) frame, Duration.ofNanos(wait),
                        Duration.ofNanos(replyWatchNanos()), DsmReplies.answers(frame), MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
                    answeredIn(System.nanoTime() - asked);
                } catch (MailboxException e) {
                    if (gone(holder)) {
                        if (directory.transfer(entry, self)) {
                            kernel.trace().instant(TraceEvent.DSM_PAGE_RECOVERED, TraceRing.KERNEL_TRACK, (int) frame, holder);
                            afterTakeOver(region, frame, entry);
                            region.load(page);
                            valid = true;
                            recovered.increment();
                            region.countRecovery();
                            LOG.warn("kernel {}: recovered page frame {} of region '{}' from global memory: its holder, kernel {}, is gone "
                                + "(what it wrote since it obtained the page is lost)", kernel.name(), frame, region.name(), holder);
                            return;
                        }
                        continue;
                    }
                    giveUpIfLate(region, frame, holder, deadline, "did not answer GET_EXCLUSIVE: " + e.getMessage());
                    pause(attempt++);
                    continue;
                }
                if (reply.type() == MailboxType.PUT_EXCLUSIVE) {
                    // A page handed over by another kernel is contended: it (or a third) is likely to ask it back soon. Our
                    // interrupt context blocked while this thread watched for the reply; it watches again now, so that the
                    // next GET_EXCLUSIVE is answered at once instead of after a doorbell and a wake-up.
                    if (ASK_BACK_WATCH_NANOS > 0) {
                        mailbox.expectWords(Duration.ofNanos(ASK_BACK_WATCH_NANOS));
                    } else {
                        mailbox.expectWords();
                    }
                    // a modelled platform's page transfer from the holder's domain (0 for the host: nothing), before the page arrives
                    ModelledDelay.pay(kernel.context().modelledCosts(holder).pageTransferNs());
                    kernel.trace().instant(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, (int) frame,
                        new DsmExchange(holder, reply.sequence()).pack());
                    region.load(page);
                    valid = true;
                    pagesReceived.increment();
                    return;
                }
                DsmReplies.Refusal refusal = DsmReplies.refusal(reply.payload());
                if (refusal == DsmReplies.Refusal.NOT_HOLDER && directory.transfer(entry, self)) {
                    // The directory still names the holder, which does not have the page: it lost it (a restart).
                    kernel.trace().instant(TraceEvent.DSM_PAGE_RECOVERED, TraceRing.KERNEL_TRACK, (int) frame, holder);
                    afterTakeOver(region, frame, entry);
                    region.load(page);
                    valid = true;
                    recovered.increment();
                    region.countRecovery();
                    return;
                }
                if (refusal == DsmReplies.Refusal.BUSY) {
                    busyRetries.increment();
                }
                giveUpIfLate(region, frame, holder, deadline, "kept it busy");
                pause(attempt++);
            }
        } finally {
            states.set(page, valid ? PageStates.VALID : PageStates.INVALID);
            if (!valid) {
                refuseDeferred(region, page);
            }
        }
    }

    /** How long a requester watches for its answer before it parks: twice the answers' recent time, at most {@link #MAX_REPLY_WATCH_NANOS}. */
    long replyWatchNanos() {
        return Math.min(MAX_REPLY_WATCH_NANOS, 2 * expectedAnswerNanos);
    }

    /**
     * An answer came after {@code nanos}: the moving average moves an eighth of the way to it. A sample counts at most half the
     * bound (any longer one already makes the watch the bound), so that after a stall the next fast answer shortens it again.
     */
    void answeredIn(long nanos) {
        long expected = expectedAnswerNanos;
        expectedAnswerNanos = Math.max(0, expected + (Math.min(nanos, MAX_REPLY_WATCH_NANOS / 2) - expected) / 8);
    }

    /** We did not get the page after all: a request deferred meanwhile is told we do not hold it. */
    private void refuseDeferred(DsmRegion region, int page) {
        long request = region.takeDeferred(page);
        if (request != 0) {
            int requester = DsmRegion.requesterOf(request);
            try {
                mailbox.send(requester, new MailboxWord(MailboxType.NACK, DsmRegion.sequenceOf(request),
                    DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, region.frame(page))));
            } catch (MailboxException e) {
                LOG.debug("kernel {}: could not refuse the deferred GET_EXCLUSIVE of page frame {} to kernel {}: {}", kernel.name(),
                    region.frame(page), requester, e.getMessage());
            }
        }
    }

    /**
     * INVALID to PENDING, waiting out a revocation our own interrupt handler may be finishing (it
     * never blocks, so this is short). Returns false when the page is VALID after all.
     */
    private boolean becomePending(DsmRegion region, int page, long frame, long deadline) {
        PageStates states = region.states();
        while (true) {
            int word = states.word(page);
            switch (PageStates.state(word)) {
                case PageStates.VALID -> {
                    return false;
                }
                case PageStates.INVALID -> {
                    if (states.compareAndSet(page, word, PageStates.PENDING)) {
                        return true;
                    }
                }
                case PageStates.PENDING -> throw new IllegalStateException("page frame " + frame + " of " + region
                    + " is PENDING without its fault lock held");
                default -> {
                    if (System.nanoTime() - deadline > 0) {
                        throw new DsmTimeoutException(region.name(), frame, self, "page frame " + frame + " of " + region
                            + " stayed REVOKING past the deadline");
                    }
                    Thread.onSpinWait();
                }
            }
        }
    }

    private void giveUpIfLate(DsmRegion region, long frame, int holder, long deadline, String what) {
        if (System.nanoTime() - deadline > 0) {
            timeouts.increment();
            throw new DsmTimeoutException(region.name(), frame, holder, "kernel " + kernel.name() + " could not obtain page frame " + frame
                + " of region '" + region.name() + "' within " + faultTimeout.toMillis() + " ms: its holder " + mailbox.describePeer(holder)
                + " " + what);
        }
    }

    /**
     * Backs off between attempts: 10 us at first, doubling, at most 2 ms. A pause shorter than {@link #SHORT_PAUSE_NANOS}
     * gives the core up between looks at the clock instead of parking: a parked thread costs a wake-up when its time is up
     * (tens of microseconds on a virtual machine that halts an idle vCPU), several times the pause, while the holder that
     * answered BUSY needs a few microseconds, and the core the yield gives up may be the one it needs.
     */
    private static void pause(int attempt) {
        long nanos = Math.min(TimeUnit.MICROSECONDS.toNanos(10) << Math.min(attempt, 10), TimeUnit.MILLISECONDS.toNanos(2));
        if (nanos < SHORT_PAUSE_NANOS) {
            long until = System.nanoTime() + nanos;
            while (System.nanoTime() - until < 0) {
                Thread.yield();
            }
            return;
        }
        LockSupport.parkNanos(nanos);
    }

    /** A holder that is no member any more, or was declared DEAD: its pages are recovered from DRAM. */
    private boolean gone(int holder) {
        Optional<KernelRecord> record = kernel.membership().get(holder);
        return record.isEmpty() || record.get().getState() == KernelState.DEAD;
    }

    // ------------------------------------------------------------------ the holder (interrupt context)

    /**
     * GET_EXCLUSIVE(frame) from a requester, on the interrupt context: never blocks, never waits
     * for a normal thread. If the page is VALID here, used once and not pinned, it is revoked,
     * written back, the directory moves to the requester and PUT_EXCLUSIVE answers at once. If it
     * is VALID but not used yet, or an access is in flight, the request is deferred: the thread
     * whose access ends makes the hand-over (K2's rule: a page obtained completes one access
     * before it can be taken). NOT_HOLDER when the page is not here; BUSY when this kernel is
     * itself getting the page, or another requester already waits for it.
     */
    private void onGetExclusive(Interrupt interrupt) {
        long frame = interrupt.payload();
        Map.Entry<Long, DsmRegion> found = byFrame.floorEntry(frame);
        DsmRegion region = found == null ? null : found.getValue();
        if (region == null || frame >= region.firstFrame() + region.pages()) {
            interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, Math.min(frame, DsmReplies.MAX_FRAME)));
            return;
        }
        int page = (int) (frame - region.firstFrame());
        PageStates states = region.states();
        int word = states.word(page);
        switch (PageStates.state(word)) {
            case PageStates.INVALID -> interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, frame));
            case PageStates.PENDING -> {
                // This kernel is getting the page (its PUT may be crossing this request): answer after our first access.
                if (region.defer(page, interrupt.sender(), interrupt.sequence())) {
                    deferred.increment();
                    kernel.trace().instant(TraceEvent.DSM_DEFERRED, TraceRing.KERNEL_TRACK, (int) frame, interrupt.sender());
                } else {
                    busyAnswers.increment();
                    interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.BUSY, frame));
                }
            }
            case PageStates.VALID -> {
                if (!region.defer(page, interrupt.sender(), interrupt.sequence())) {
                    busyAnswers.increment();
                    interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.BUSY, frame));
                    return;
                }
                // Deferred; if the page is revocable right now, hand it over from here.
                if (revoke(region, page)) {
                    long request = region.takeDeferred(page);
                    if (request == 0) {
                        // the thread that ended an access took it in the meantime and answers: give the page back
                        states.set(page, PageStates.VALID | PageStates.USED);
                        return;
                    }
                    answer(interrupt, region, page, DsmRegion.requesterOf(request));
                } else {
                    deferred.increment();
                    kernel.trace().instant(TraceEvent.DSM_DEFERRED, TraceRing.KERNEL_TRACK, (int) frame, interrupt.sender());
                }
            }
            default -> {
                // REVOKING: it is being handed over right now
                busyAnswers.increment();
                interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.BUSY, frame));
            }
        }
    }

    /** VALID, used, unpinned to REVOKING: whoever wins this compare-and-set hands the page over. */
    private static boolean revoke(DsmRegion region, int page) {
        PageStates states = region.states();
        int word = states.word(page);
        return PageStates.revocable(word) && states.compareAndSet(page, word, PageStates.REVOKING);
    }

    /**
     * Writes a REVOKING page back, moves the directory to the requester and makes it INVALID
     * here. Returns whether the directory moved (false: it no longer named this kernel).
     */
    private boolean handOver(DsmRegion region, int page, int requester, int sequence) {
        long start = System.nanoTime();
        long frame = region.frame(page);
        PageDirectory directory = memory.pageDirectory();
        PageDirectory.Entry entry = directory.read(frame);
        // The directory and our own liveness first, the write-back after: a kernel declared DEAD while it held the page
        // (stopped, starved) finds that another kernel recovered it from global memory and may have written newer contents
        // since; its copy is stale and must not land over them.
        if (entry.holder() != self || kernel.fenced()) {
            region.states().set(page, PageStates.INVALID);
            if (entry.holder() != self) {
                LOG.warn("kernel {}: page frame {} of region '{}' is no longer ours (the directory names {}): not written back",
                    kernel.name(), frame, region.name(), entry.holder());
            }
            return false;
        }
        FaultPoints.reached(FaultPoints.Point.DSM_BEFORE_WRITE_BACK);
        if (!writeBack(region, page, entry)) {
            region.states().set(page, PageStates.INVALID);
            return false;
        }
        boolean moved = directory.transfer(entry, requester);
        region.states().set(page, PageStates.INVALID);
        if (moved) {
            FaultPoints.reached(FaultPoints.Point.DSM_AFTER_DIRECTORY_CAS);
        }
        if (moved) {
            pagesSent.increment();
            bytesWrittenBack.add(memory.geometry().pageSize());
            kernel.trace().slice(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, (int) frame, start, System.nanoTime() - start);
            kernel.trace().instantAt(TraceEvent.DSM_HANDED_TO, TraceRing.KERNEL_TRACK, (int) frame, start,
                new DsmExchange(requester, sequence).pack());
        }
        return moved;
    }

    // ------------------------------------------------------------------ atomic write-backs (the journal)

    /**
     * Copies a page this kernel holds at directory {@code entry} back to global memory, atomically as seen by a kernel
     * that recovers it should this one die mid-copy: the whole page goes to a journal record first (published once
     * complete), then in place, chunk by chunk, then the record is cleared. Returns false, having written nothing
     * that stands, when the page was taken from this kernel meanwhile (it was stopped, declared DEAD, recovered from).
     */
    private boolean writeBack(DsmRegion region, int page, PageDirectory.Entry entry) {
        long frame = region.frame(page);
        int pageSize = memory.geometry().pageSize();
        MemorySegment copy = region.cache().asSlice((long) page * pageSize, pageSize);
        MemorySegment dram = memory.segment().asSlice(frame * pageSize, pageSize);
        int slot = acquireSlot();
        if (slot < 0) {
            // every slot is busy or still holds a dead predecessor's record that no one has recovered yet
            unjournaled.increment();
            LOG.warn("kernel {}: no free write-back journal slot within {} ms: page frame {} of region '{}' is written back "
                + "without a redo record (not atomic should this kernel die mid-copy)", kernel.name(),
                TimeUnit.NANOSECONDS.toMillis(SLOT_WAIT_NANOS), frame, region.name());
            MemorySegment.copy(copy, 0, dram, 0, pageSize);
            return true;
        }
        try {
            WriteBackJournal.Record record = journal.publish(self, slot, frame, entry.version(), copy);
            // A kernel stopped before it published, declared DEAD and recovered from meanwhile must not copy its stale page
            // over newer contents: the directory has moved on (or its record was cleared by the recovering kernel).
            if (!memory.pageDirectory().read(frame).equals(entry) || kernel.fenced()) {
                journal.clear(record);
                return false;
            }
            int chunk = Math.min(WRITE_BACK_CHUNK, pageSize);
            for (int at = 0; at < pageSize; at += chunk) {
                if (at == pageSize / 2) {
                    FaultPoints.reached(FaultPoints.Point.DSM_MID_WRITE_BACK);
                }
                if (at > 0 && !journal.read(self, slot).equals(Optional.of(record))) {
                    LOG.warn("kernel {}: page frame {} of region '{}' was recovered by another kernel during its write-back: "
                        + "stopped copying", kernel.name(), frame, region.name());
                    return false;
                }
                MemorySegment.copy(copy, at, dram, at, Math.min(chunk, pageSize - at));
            }
            return journal.clear(record);
        } finally {
            releaseSlot(slot);
        }
    }

    /** One of this kernel's journal slots that is empty and not in use by another of its threads; -1 after a bounded wait. */
    private int acquireSlot() {
        long deadline = System.nanoTime() + SLOT_WAIT_NANOS;
        while (true) {
            for (int slot = 0; slot < WriteBackJournal.SLOTS_PER_KERNEL; slot++) {
                int used = slotsInUse.get();
                int bit = 1 << slot;
                if ((used & bit) == 0 && journal.empty(self, slot) && slotsInUse.compareAndSet(used, used | bit)) {
                    return slot;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                return -1;
            }
            Thread.onSpinWait();
        }
    }

    private void releaseSlot(int slot) {
        slotsInUse.getAndUpdate(used -> used & ~(1 << slot));
    }

    /**
     * Called by the winner of the directory's compare-and-set from {@code seen}, before it loads the page: where the
     * previous holder died mid write-back, repairs global memory from the newest journal record of the frame. A page
     * nobody held has no standing record: any left (a destroyed region's) is cleared.
     */
    private void afterTakeOver(DsmRegion region, long frame, PageDirectory.Entry seen) {
        if (!seen.held()) {
            journal.recordsOf(frame).forEach(journal::clear);
            return;
        }
        int pageSize = memory.geometry().pageSize();
        for (int tries = 0; tries < 8; tries++) {
            Optional<WriteBackJournal.Record> newest = journal.newest(frame, seen.version());
            if (newest.isEmpty()) {
                return;
            }
            // The record becomes ours (the directory's new version) first: should we die mid-repair, whoever takes the
            // page from us finds it.
            Optional<WriteBackJournal.Record> ours = journal.reversion(newest.get(), seen.version() + 1);
            if (ours.isEmpty()) {
                continue; // its writer, resumed, finished and cleared it (global memory is whole) or reused the slot
            }
            WriteBackJournal.Record record = ours.get();
            MemorySegment.copy(journal.data(record.kernel(), record.slot()), 0, memory.segment(), frame * pageSize, pageSize);
            journal.recordsOf(frame).forEach(journal::clear);
            tornRepaired.increment();
            LOG.warn("kernel {}: page frame {} of region '{}': its holder, kernel {}, died during its write-back; global memory "
                + "repaired from its journal record (the page as it was written back, whole)", kernel.name(), frame, region.name(),
                seen.holder());
            return;
        }
    }

    private void answer(Interrupt interrupt, DsmRegion region, int page, int requester) {
        if (handOver(region, page, requester, interrupt.sequence())) {
            interrupt.reply(MailboxType.PUT_EXCLUSIVE, (int) region.frame(page));
        } else {
            interrupt.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, region.frame(page)));
        }
    }

    /**
     * Called by a normal thread whose access just made a page revocable while a requester waits:
     * hands the page over and answers the deferred GET_EXCLUSIVE with its sequence number.
     */
    void handOffDeferred(DsmRegion region, int page) {
        if (!revoke(region, page)) {
            return;
        }
        long request = region.takeDeferred(page);
        if (request == 0) {
            // the interrupt handler answered it in the meantime
            region.states().set(page, PageStates.VALID | PageStates.USED);
            return;
        }
        int requester = DsmRegion.requesterOf(request);
        boolean moved = handOver(region, page, requester, DsmRegion.sequenceOf(request));
        MailboxWord answer = moved ? new MailboxWord(MailboxType.PUT_EXCLUSIVE, DsmRegion.sequenceOf(request), (int) region.frame(page))
            : new MailboxWord(MailboxType.NACK, DsmRegion.sequenceOf(request), DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER,
                region.frame(page)));
        try {
            mailbox.send(requester, answer);
        } catch (MailboxException e) {
            // The requester will find the directory naming it (or not) when it asks again: nothing is lost.
            LOG.debug("kernel {}: could not answer the deferred GET_EXCLUSIVE of page frame {} to kernel {}: {}", kernel.name(),
                region.frame(page), requester, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ hand-over ahead of a request (migration)

    /** How many DSM pages this kernel holds (VALID here) now, over every region it has open: the timeline's "pages held". */
    public long pagesHeld() {
        return regions.values().stream().mapToLong(region -> region.states().valid()).sum();
    }

    /**
     * Gives the pages of {@code [globalAddress, globalAddress + length)} this kernel holds, and
     * that no access or request is using, to kernel {@code destination} before it asks: each is
     * written back and its directory entry moved to the destination with the usual
     * compare-and-set, so that the destination's first access finds the directory naming it and
     * claims the page from global memory, with no message (the same path as after a
     * PUT_EXCLUSIVE it never saw). A thread's source does this before MIGRATE. A page in use
     * here, or that another kernel already asked for, is left to the protocol. Returns how many
     * pages moved.
     */
    public int handOver(long globalAddress, long length, int destination) {
        if (length <= 0 || destination == self) {
            return 0;
        }
        int moved = 0;
        long first = memory.pageFrame(globalAddress);
        long last = memory.pageFrame(globalAddress + length - 1);
        for (long frame = first; frame <= last; frame++) {
            Map.Entry<Long, DsmRegion> found = byFrame.floorEntry(frame);
            DsmRegion region = found == null ? null : found.getValue();
            if (region == null || frame >= region.firstFrame() + region.pages()) {
                continue;
            }
            int page = (int) (frame - region.firstFrame());
            if (region.hasDeferred(page) || !revoke(region, page)) {
                continue;
            }
            if (region.hasDeferred(page)) {
                // a request came in meanwhile: the page is its requester's, through the usual answer
                region.states().set(page, PageStates.VALID | PageStates.USED);
                handOffDeferred(region, page);
                continue;
            }
            if (handOver(region, page, destination, DsmExchange.NO_SEQUENCE)) {
                moved++;
            }
        }
        return moved;
    }

    // ------------------------------------------------------------------ life cycle

    /** The region this kernel opened under {@code name}, if it did. */
    java.util.Optional<DsmRegion> region(String name) {
        return java.util.Optional.ofNullable(regions.get(name));
    }

    /** Pages of region {@code name} this kernel recovered from a dead holder's copy (0 if it did not open the region). */
    public long pagesRecovered(String name) {
        return region(name).map(DsmRegion::pagesRecovered).orElse(0L);
    }

    /** The regions this kernel has opened, for tests and status. */
    List<DsmRegion> regions() {
        return List.copyOf(regions.values());
    }

    Kernel kernel() {
        return kernel;
    }

    @Override
    public void forget(String regionName) {
        DsmRegion region = regions.remove(regionName);
        if (region == null) {
            return;
        }
        byFrame.remove(region.firstFrame(), region);
        PageDirectory directory = memory.pageDirectory();
        for (int page = 0; page < region.pages(); page++) {
            long frame = region.frame(page);
            Map.Entry<Long, DsmRegion> cover = byFrame.floorEntry(frame);
            if (cover != null && frame < cover.getValue().firstFrame() + cover.getValue().pages()) {
                continue; // the frame was reused by a region this kernel uses now: its entry is that region's
            }
            PageDirectory.Entry entry = directory.read(frame);
            if (entry.holder() == self) {
                directory.transfer(entry, PageDirectory.NO_HOLDER); // a new region on these frames starts from DRAM anyway
            }
        }
        region.close();
        LOG.debug("kernel {}: forgot destroyed region '{}'", kernel.name(), regionName);
    }

    /**
     * Stops cleanly: writes back every page this kernel holds and releases it in the directory,
     * so that a kernel that stops loses nothing.
     */
    @Override
    public void close() {
        if (memory == null) {
            return;
        }
        if (kernel.fenced()) {
            // Declared DEAD: the others recovered our pages from global memory; writing ours back would undo their work.
            LOG.warn("kernel {}: declared DEAD while running: its software-coherent pages are not written back", kernel.name());
            byFrame.clear();
            regions.values().forEach(DsmRegion::close);
            regions.clear();
            return;
        }
        PageDirectory directory = memory.pageDirectory();
        int released = 0;
        for (DsmRegion region : regions.values()) {
            PageStates states = region.states();
            for (int page = 0; page < region.pages(); page++) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                while (true) {
                    int word = states.word(page);
                    if (PageStates.state(word) != PageStates.VALID) {
                        break;
                    }
                    if (PageStates.pins(word) == 0 && states.compareAndSet(page, word, PageStates.REVOKING)) {
                        PageDirectory.Entry entry = directory.read(region.frame(page));
                        // only over a page the directory still says is ours
                        if (entry.holder() == self && writeBack(region, page, entry)) {
                            directory.transfer(entry, PageDirectory.NO_HOLDER);
                        }
                        states.set(page, PageStates.INVALID);
                        released++;
                        break;
                    }
                    if (System.nanoTime() - deadline > 0) {
                        LOG.warn("kernel {}: page {} of {} stayed pinned while stopping; not written back", kernel.name(), page, region);
                        break;
                    }
                    Thread.onSpinWait();
                }
            }
        }
        byFrame.clear();
        regions.values().forEach(DsmRegion::close);
        regions.clear();
        if (released > 0) {
            LOG.info("kernel {}: wrote back and released {} page(s) of software-coherent regions", kernel.name(), released);
        }
    }
}
