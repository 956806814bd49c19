package io.archipelago.trace;

/**
 * What a kernel records on the cluster's timeline, each kind defined once: its id in a
 * {@link TraceRing} record, its label on the timeline, its shape, and what the record's
 * {@code subject} means.
 */
public enum TraceEvent {

    /** An emulated core ran one step of a thread (a migration point to the next). Subject: the thread id. */
    STEP(1, "step", Shape.SLICE, "tid"),
    /** A NightWatch thread's step (K2: light work on the weak domain). Subject: the thread id. */
    NIGHTWATCH_STEP(2, "nightwatch step", Shape.SLICE, "tid"),
    /** The kernel joined the cluster (RUNNING). Subject: its kernel id. */
    KERNEL_RUNNING(3, "kernel running", Shape.INSTANT, "kernel"),
    /**
     * A thread of this kernel took a DSM fault (K2's GetExclusive): from the access that found the page
     * INVALID until it was VALID here, or the fault failed. Subject: the page frame.
     */
    DSM_FAULT(4, "dsm fault", Shape.SLICE, "frame"),
    /** A thread left this kernel: from its stop at a migration point until the destination took it. Subject: the thread id. */
    MIGRATION_OUT(5, "migration out", Shape.SLICE, "tid"),
    /** A thread arrived here; value 0: by shared memory (MIGRATE word), 1: by messages. Subject: the thread id. */
    MIGRATION_IN(6, "migration in", Shape.INSTANT, "tid"),
    /** An interrupt reached this kernel; value 1: from a device, 0: forwarded by another kernel. Subject: the line. */
    IRQ(7, "irq", Shape.INSTANT, "irq"),
    /** A mailbox word left for another kernel. Subject: the peer's kernel id; value: the 32-bit word. */
    WORD_SENT(8, "word sent", Shape.INSTANT, "peer"),
    /** A mailbox word from another kernel left the FIFO here. Subject: the sender's kernel id; value: the 32-bit word. */
    WORD_RECEIVED(9, "word received", Shape.INSTANT, "peer"),
    /**
     * The holder's side of a DSM fault (K2's PutExclusive): from the decision to hand the page over
     * until it was written back and the directory names the requester. Subject: the page frame.
     */
    DSM_HAND_OVER(10, "dsm hand-over", Shape.SLICE, "frame"),
    /** A GET_EXCLUSIVE found the page in use here and waits for the access to end. Subject: the page frame; value: the requester. */
    DSM_DEFERRED(11, "dsm request deferred", Shape.INSTANT, "frame"),
    /**
     * A normal thread woke while its process's NightWatch threads may run (K2's ResumeNW protocol):
     * from SUSPEND_NW to one weak kernel until its NW_ACK. Subject: the process id.
     */
    NIGHTWATCH_SUSPEND(12, "nightwatch suspend", Shape.SLICE, "pid"),
    /** The process's last normal thread sleeps: RESUME_NW sent. Subject: the process id; value: the weak kernel. */
    NIGHTWATCH_RESUME(13, "nightwatch resume", Shape.INSTANT, "pid"),
    /** This kernel asked the meta-level manager for page blocks: from WANT to GRANT or NACK. Subject: the blocks granted. */
    BALLOON_WANT(14, "balloon want", Shape.SLICE, "blocks"),
    /** The manager asked this kernel for blocks (INFLATE) or gave it some (DEFLATE): until it answered. Subject: the blocks moved. */
    BALLOON_MOVE(15, "balloon move", Shape.SLICE, "blocks"),
    /**
     * The source stopped a thread at its migration point to migrate it (the start of stop -> first
     * step). Subject: the thread id; value: the destination kernel.
     */
    MIGRATION_STOP(16, "migration stop", Shape.INSTANT, "tid"),
    /**
     * A migrated thread began its first step here (the end of stop -> first step; a flow arrow joins
     * it to its stop). Subject: the thread id; value: nanoseconds since the source stopped it.
     */
    MIGRATION_FIRST_STEP(17, "migration first step", Shape.INSTANT, "tid"),
    /**
     * A device of the coordinator raised an interrupt (on the coordinator's interrupt track), before
     * it was routed. Subject: the line; value: 0.
     */
    IRQ_RAISED(18, "irq raised", Shape.INSTANT, "irq"),
    /**
     * The coordinator's interrupt router chose the kernel that takes an interrupt (K2: the weak
     * domain while the strong one sleeps). Subject: the line; value: the decision and what it was
     * made from, packed as {@link IrqDecision} describes.
     */
    IRQ_ROUTED(19, "irq routed", Shape.INSTANT, "irq"),
    /**
     * The virtual time of a step, recorded beside its {@link #STEP} or {@link #NIGHTWATCH_STEP}
     * slice on the same core track and at the same host time (its start), so that the export
     * joins the two. Subject: the step's length in virtual nanoseconds (unsigned, saturated);
     * value: the core's virtual clock when the step began (ns).
     */
    STEP_VIRTUAL_TIME(20, "virtual time", Shape.INSTANT, "virtual ns"),
    /** A DSM fault asked the page's holder for it (K2's GetExclusive). Subject: the page frame; value: the holder. */
    DSM_GET_SENT(21, "dsm get sent", Shape.INSTANT, "frame"),
    /**
     * A DSM fault's page arrived: the holder's PUT_EXCLUSIVE, or the directory taken over when no
     * kernel held the page (DRAM was current). Subject: the page frame; value: the holder it came
     * from (-1 from global memory) and the sequence number of the GET_EXCLUSIVE it answered, packed
     * as {@link DsmExchange} describes.
     */
    DSM_PAGE_RECEIVED(22, "dsm page received", Shape.INSTANT, "frame"),
    /** A DSM fault's page is VALID here and the access carries on. Subject: the page frame; value: ns since the fault began. */
    DSM_PAGE_USABLE(23, "dsm page usable", Shape.INSTANT, "frame"),
    /**
     * The source handed a stopped thread's state over: by shared memory, its descriptor page and
     * first data page written back and given to the destination ahead of MIGRATE (so that the
     * destination claims them instead of faulting them back); by messages, its state read into the
     * image it sends. Subject: the thread id.
     */
    MIGRATION_HAND_OVER(24, "migration hand-over", Shape.SLICE, "tid"),
    /**
     * The destination took a migrated thread over: from MIGRATE (or its state's arrival by
     * messages) until the thread was on its scheduler. Subject: the thread id.
     */
    MIGRATION_ADOPTION(25, "migration adoption", Shape.SLICE, "tid"),
    /**
     * How many DSM pages this kernel holds (VALID here), sampled by the kernel's periodic chore when
     * it changed. Subject: 0; value: the pages.
     */
    PAGES_HELD(26, "pages held", Shape.COUNTER, "pages"),
    /** How many pages the kernel's page allocator has free, sampled when it changed. Subject: 0; value: the pages. */
    FREE_PAGES(27, "free pages", Shape.COUNTER, "pages"),
    /** The energy the kernel's meter has charged since boot, sampled when it changed. Subject: 0; value: microjoules. */
    ENERGY(28, "energy", Shape.COUNTER, "uJ"),
    /**
     * Whom a {@link #DSM_HAND_OVER} gave the page to, recorded beside it (same frame, same host time:
     * its start) so that the export joins the two. Subject: the page frame; value: the requester and
     * the sequence number of the GET_EXCLUSIVE answered (none for a migration's pages, given ahead of
     * any request), packed as {@link DsmExchange} describes.
     */
    DSM_HANDED_TO(29, "dsm handed to", Shape.INSTANT, "frame"),
    /**
     * A DSM fault recovered its page from global memory: the holder the directory named was gone
     * (DEAD, or no member any more) or answered that it no longer had the page (it restarted).
     * What it wrote since it obtained the page is lost. The end of the fault's exchange, in place of
     * {@link #DSM_PAGE_RECEIVED}. Subject: the page frame; value: that holder.
     */
    DSM_PAGE_RECOVERED(30, "dsm page recovered", Shape.INSTANT, "frame"),
    /**
     * Before a migration by shared memory stops the thread, the source asked the destination to
     * attach the thread's regions ahead (the thread still running at the source): from the ask to
     * the answer. Subject: the thread id.
     */
    MIGRATION_PREPARE(31, "migration prepare", Shape.SLICE, "tid");

    /**
     * A slice has a start ({@code time}) and a duration ({@code value}, ns); an instant has a value;
     * a counter's {@code value} is its new reading (one counter track per kernel and kind).
     */
    public enum Shape { SLICE, INSTANT, COUNTER }

    private static final TraceEvent[] BY_ID = new TraceEvent[64];

    static {
        for (TraceEvent event : values()) {
            BY_ID[event.id] = event;
        }
    }

    private final int id;
    private final String label;
    private final Shape shape;
    private final String subject;

    TraceEvent(int id, String label, Shape shape, String subject) {
        this.id = id;
        this.label = label;
        this.shape = shape;
        this.subject = subject;
    }

    public int id() {
        return id;
    }

    public String label() {
        return label;
    }

    public Shape shape() {
        return shape;
    }

    /** What the record's subject is (its name on the timeline). */
    public String subject() {
        return subject;
    }

    /** The event of that id, or null for an id this version does not know (a newer writer's). */
    public static TraceEvent byId(int id) {
        return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
    }
}
