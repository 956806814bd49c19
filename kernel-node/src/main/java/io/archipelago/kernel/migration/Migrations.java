package io.archipelago.kernel.migration;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.sched.SchedThread;
import io.archipelago.kernel.task.KernelThread;
import io.archipelago.kernel.task.PeerKernels;
import io.archipelago.kernel.task.TaskService;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskRegions;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.task.proto.AdoptReply;
import io.archipelago.task.proto.AdoptionNotice;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.TaskImage;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import io.archipelago.typed.access.HeldPages;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.region.TypedRegion;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thread migration between kernels, both ways paper 1 compares:
 * <ul>
 *   <li><b>By shared memory.</b> The descriptor and the thread's typed data stay where they are.
 *   The source stops the thread at its next migration point (a step boundary), marks the
 *   ownership word "migrating to D" and sends {@code MIGRATE(tid)} over the mailbox; the
 *   destination attaches the thread's regions (with accessors morphed for their layout when its
 *   data model differs), takes ownership with one compare-and-set, schedules the thread, and
 *   answers {@code ACK(tid)}.</li>
 *   <li><b>By messages.</b> The source serializes the thread's state (every scalar member of its
 *   descriptor and of its typed data, model-independent) into a Protocol Buffers
 *   {@link TaskImage} and sends it over the control channel (gRPC); the destination creates a
 *   new data region in its own layout, writes the state into it and into the descriptor, takes
 *   ownership, and schedules the thread. The old data region is freed by its owner's reaper.</li>
 * </ul>
 * A migration that cannot complete (the destination is dead, refuses, or does not answer)
 * leaves the thread running on the source: the source takes ownership back with one
 * compare-and-set from "migrating to D", which fails only if the destination had taken the
 * thread already (its answer was lost), in which case the migration did succeed.
 */
public final class Migrations implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration HANDOFF_TIMEOUT = Duration.ofSeconds(5);
    /** How long the source's control thread spins for the stop before it parks. */
    static final Duration STOP_SPIN = Duration.ofNanos(200_000);
    /** How long the source waits for the destination to attach a thread's regions ahead (then it goes on without). */
    static final Duration PREPARE_TIMEOUT = Duration.ofSeconds(2);
    /**
     * Reasons of a NACK to MIGRATE(tid). The answers name the thread they answer for, so that a
     * late answer about another thread is never taken for this one's ({@link #answers}):
     * <pre>
     *  ACK payload:  | tid (24 bits)                           |
     *  NACK payload: | reason (bits 23-21) | tid, bits 20-0    |
     * </pre>
     */
    static final int NACK_NOT_PENDING = 1;
    static final int NACK_UNKNOWN_THREAD = 2;
    static final int NACK_ATTACH_FAILED = 3;
    static final int NACK_CLOSING = 4;
    private static final int NACK_REASON_SHIFT = 21;
    private static final int NACK_TID_MASK = (1 << NACK_REASON_SHIFT) - 1;
    private static final Set<String> NOT_STATE = Set.of("owner", "nw_gate");

    private final TaskService tasks;
    private final TaskTable table;
    private final int self;
    private final PeerKernels peers;
    private final ExecutorService adopter;
    private final StateMarshaller descriptorMarshaller;
    private final int pageSize;
    private final Map<RecordLayout, StateMarshaller> dataMarshallers = new ConcurrentHashMap<>();
    private final KernelCountersArea.Counter out;
    private final KernelCountersArea.Counter in;
    /** Arrivals by the way the thread came: attached in place, or rebuilt from its image. */
    private final KernelCountersArea.Counter inSharedMemory;
    private final KernelCountersArea.Counter inMessages;
    private final KernelCountersArea.Counter failures;
    private final KernelCountersArea.Counter refusals;
    private volatile boolean closing;
    private final PageHandOver handOver;

    /**
     * Gives software-coherent pages this kernel holds to another kernel before it asks for them
     * (the DSM's {@code handOver}): returns how many moved.
     */
    @FunctionalInterface
    public interface PageHandOver {
        PageHandOver NONE = (address, length, destination) -> 0;

        int handOver(long globalAddress, long length, int destination);
    }

    /** @param tasks the kernel's task service (started): its threads, table, scheduler, mailbox and peers */
    public Migrations(TaskService tasks) {
        this(tasks, PageHandOver.NONE);
    }

    /**
     * @param tasks    the kernel's task service (started): its threads, table, scheduler, mailbox and peers
     * @param handOver how the source gives the destination the thread's first pages before MIGRATE
     */
    public Migrations(TaskService tasks, PageHandOver handOver) {
        this.handOver = handOver;
        this.tasks = tasks;
        this.table = tasks.table();
        this.self = tasks.kernelId();
        this.peers = tasks.peers();
        this.adopter = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("adopt-" + tasks.kernelName()).factory());
        this.descriptorMarshaller = StateMarshaller.of(table.region().layout(), NOT_STATE);
        this.pageSize = tasks.kernel().memory().geometry().pageSize();
        KernelCountersArea counters = tasks.kernel().counters();
        this.out = counters.counter(KernelCounter.MIGRATIONS_OUT);
        this.in = counters.counter(KernelCounter.MIGRATIONS_IN);
        this.inSharedMemory = counters.counter(KernelCounter.MIGRATIONS_IN_SHARED_MEMORY);
        this.inMessages = counters.counter(KernelCounter.MIGRATIONS_IN_MESSAGES);
        this.failures = counters.counter(KernelCounter.MIGRATIONS_FAILED);
        this.refusals = counters.counter(KernelCounter.MIGRATIONS_REFUSED);
    }

    @Override
    public String name() {
        return "migration";
    }

    @Override
    public void start() {
        // adopted on an idle core, which then runs the thread's first step itself; on the adopter thread when every core is busy
        tasks.mailbox().onInterrupt(MailboxType.MIGRATE, request -> {
            Runnable adoption = () -> adoptInPlace(request);
            if (!tasks.scheduler().runOnIdleCore(adoption)) {
                adopter.execute(adoption);
            }
        });
    }

    // ------------------------------------------------------------------ the source

    /**
     * Migrates {@code thread}, which this kernel runs, to kernel {@code destination} (a request
     * for a thread another kernel owns is routed there first: {@code OwnerRouting}). Blocks until
     * the destination has it or the migration failed.
     *
     * @throws MigrationException saying what was wrong, with the thread still running where it was
     */
    public MigrateReply migrate(KernelThread thread, MigrateRequest request, int destination) {
        int tid = request.getTid();
        boolean byMessages = request.getMode() == MigrationMode.MESSAGES;
        if (destination == self) {
            throw new MigrationException(MigrationException.Kind.INVALID, "thread " + tid + " already runs on kernel " + tasks.kernelName());
        }
        KernelRecord target = tasks.membership().get(destination).orElseThrow(() -> new MigrationException(
            MigrationException.Kind.UNKNOWN_KERNEL, "no kernel " + destination + " in membership"));
        if (target.getState() != KernelState.RUNNING) {
            throw new MigrationException(MigrationException.Kind.DEAD_KERNEL, "cannot migrate thread " + tid + " to kernel "
                + target.getName() + ": it is " + target.getState() + (target.getReason().isEmpty() ? "" : " (" + target.getReason() + ")")
                + "; the thread keeps running on " + tasks.kernelName());
        }
        if (thread.nightWatch() && !tasks.weak(destination)) {
            throw new MigrationException(MigrationException.Kind.NOT_ALLOWED, "thread " + tid + " is a NightWatch thread, pinned to weak "
                + "islands; kernel " + target.getName() + " (speed " + target.getIsland().getSpeed() + ") is not one. Weak kernels: "
                + tasks.weakKernels());
        }
        long slot = thread.slot();
        Ownership mine = new Ownership(self, Ownership.NONE);
        Ownership pending = mine.migratingTo(destination);
        if (!table.changeOwnership(slot, mine, pending)) {
            Ownership now = table.ownership(slot);
            if (now.owner() == self && now.migratingTo() == self) {
                throw new MigrationException(MigrationException.Kind.EXITED, "thread " + tid + " is being killed");
            }
            if (now.owner() == self && now.migrating()) {
                throw new MigrationException(MigrationException.Kind.UNDER_WAY, "a migration of thread " + tid + " to "
                    + tasks.kernelName(now.migratingTo()) + " is already under way; try again once it is done");
            }
            String owner = now.free() ? "no kernel (it exited)" : tasks.kernelName(now.owner()) + (now.migrating()
                ? " (migrating to " + tasks.kernelName(now.migratingTo()) + ")" : "");
            throw new MigrationException(MigrationException.Kind.RETRY, "thread " + tid + " is now owned by " + owner + "; try again");
        }
        io.archipelago.kernel.faults.FaultPoints.reached(io.archipelago.kernel.faults.FaultPoints.Point.MIGRATION_MARKED);
        if (!byMessages) {
            prepareDestination(thread, destination);
        }
        SchedThread stopped;
        var stopping = tasks.scheduler().stop(tid);
        // By shared memory the thread's first pages go to the destination on the core that stops it, at the end of its
        // step (a callback added before the stop completes runs on the completing thread): no hand-off to this thread
        // before them, and this thread, once it sees the stop, only sends MIGRATE.
        AtomicBoolean abandoned = new AtomicBoolean();
        var ready = byMessages ? stopping : stopping.thenApply(t -> {
            if (!abandoned.get()) {
                handOverAtStop(thread, destination, t);
            }
            return t;
        });
        try {
            stopped = awaitStop(ready);
        } catch (ExecutionException e) {
            table.changeOwnership(slot, pending, mine);
            TaskDescriptor task = thread.descriptor();
            throw new MigrationException(MigrationException.Kind.EXITED, "thread " + tid + " exited (code " + task.exitCode()
                + ") before its next migration point");
        } catch (TimeoutException e) {
            abandoned.set(true);
            table.changeOwnership(slot, pending, mine);
            stopping.thenAccept(t -> tasks.restore(thread)); // when its step finally ends, it carries on here
            throw new MigrationException(MigrationException.Kind.HANDOFF_FAILED, "thread " + tid + " did not reach a migration point within "
                + STOP_TIMEOUT.toSeconds() + " s (a step that long?); it keeps running on " + tasks.kernelName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandoned.set(true);
            table.changeOwnership(slot, pending, mine);
            stopping.thenAccept(t -> tasks.restore(thread));
            throw new MigrationException(MigrationException.Kind.HANDOFF_FAILED, "interrupted while stopping thread " + tid);
        }
        // the end of the thread's step, read by its core: this thread may have woken later
        long stoppedNs = stopped.stoppedAtNs();
        tasks.kernel().trace().instantAt(TraceEvent.MIGRATION_STOP, TraceRing.KERNEL_TRACK, tid, stoppedNs, destination);
        if (byMessages) {
            thread.descriptor().migStopNs(stoppedNs); // by shared memory the stopping core wrote it, before the hand-over
        }
        try {
            MigrateReply.Builder reply = MigrateReply.newBuilder().setTid(tid).setFrom(tasks.kernelName()).setTo(target.getName())
                .setMode(byMessages ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY).setStoppedNs(stoppedNs);
            if (byMessages) {
                long handOverNs = System.nanoTime();
                TaskImage image = image(thread, stoppedNs);
                tasks.kernel().trace().slice(TraceEvent.MIGRATION_HAND_OVER, TraceRing.KERNEL_TRACK, tid, handOverNs, System.nanoTime() - handOverNs);
                AdoptReply adopted = peers.tasks(destination, HANDOFF_TIMEOUT.toMillis()).adoptTask(image);
                reply.setAdoptedNs(adopted.getAdoptedNs()).setStateBytes(image.getSerializedSize());
            } else {
                // sent from this thread (not handed to the interrupt context): the word leaves at once, and the reply is
                // watched for by this thread itself
                MailboxWord answer = tasks.mailbox().request(destination, MailboxType.MIGRATE, tid, HANDOFF_TIMEOUT, answers(tid),
                    MailboxType.ACK, MailboxType.NACK);
                if (answer.type() == MailboxType.NACK) {
                    throw new MigrationException(MigrationException.Kind.REFUSED, "kernel " + target.getName() + " refused thread " + tid
                        + ": " + nackReason(answer.payload() >>> NACK_REASON_SHIFT));
                }
                reply.setAdoptedNs(System.nanoTime()).setStateBytes(sharedBytes(thread));
            }
            departed(thread, destination, byMessages);
            tasks.kernel().trace().slice(TraceEvent.MIGRATION_OUT, TraceRing.KERNEL_TRACK, tid, stoppedNs, System.nanoTime() - stoppedNs);
            return reply.build();
        } catch (RuntimeException e) {
            if (table.changeOwnership(slot, pending, mine)) {
                tasks.restore(thread);
                failures.increment();
                LOG.info("kernel {}: migration of thread {} to {} failed, it keeps running here: {}", tasks.kernelName(), tid,
                    target.getName(), describe(e));
                if (e instanceof MigrationException known) {
                    throw known;
                }
                throw new MigrationException(MigrationException.Kind.HANDOFF_FAILED, "migration of thread " + tid + " to kernel "
                    + target.getName() + " failed: " + describe(e) + "; the thread keeps running on " + tasks.kernelName(), e);
            }
            // the destination took the thread: only its answer was lost
            LOG.info("kernel {}: thread {} reached {} although the answer did not: {}", tasks.kernelName(), tid, target.getName(), describe(e));
            departed(thread, destination, byMessages);
            return MigrateReply.newBuilder().setTid(tid).setFrom(tasks.kernelName()).setTo(target.getName())
                .setMode(byMessages ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY).setStoppedNs(stoppedNs).build();
        }
    }

    /**
     * By shared memory, before the stop: the destination attaches the thread's regions while the
     * thread still runs here, so that its adoption after MIGRATE finds them attached (a cold attach,
     * a region it never saw, e.g. made by a migration by messages, took about as long as the rest
     * of the migration). Only an advisory: whatever goes wrong, the adoption attaches them itself.
     */
    private void prepareDestination(KernelThread thread, int destination) {
        long start = System.nanoTime();
        TaskDescriptor task = thread.descriptor();
        try {
            peers.tasks(destination, PREPARE_TIMEOUT.toMillis()).prepareAdoption(AdoptionNotice.newBuilder().setTid(thread.tid())
                .setSourceKernel(self).setProgram(thread.program().name()).setPid(thread.pid()).setDataGen(task.dataGen()).build());
        } catch (RuntimeException e) {
            LOG.debug("kernel {}: kernel {} did not attach thread {}'s regions ahead: {}", tasks.kernelName(), tasks.kernelName(destination),
                thread.tid(), describe(e));
        }
        tasks.kernel().trace().slice(TraceEvent.MIGRATION_PREPARE, TraceRing.KERNEL_TRACK, thread.tid(), start, System.nanoTime() - start);
    }

    /**
     * A migration by shared memory from {@code notice.source_kernel} is about to stop the thread:
     * attach its regions now (nothing is taken over; MIGRATE follows).
     */
    public AdoptReply prepareAdoption(AdoptionNotice notice) {
        if (closing) {
            throw new MigrationException(MigrationException.Kind.REFUSED, "kernel " + tasks.kernelName() + " is stopping");
        }
        long start = System.nanoTime();
        try {
            tasks.attachRegionsAhead(notice.getProgram(), notice.getTid(), notice.getPid(), notice.getDataGen(), this::recordLater);
        } catch (RuntimeException e) {
            throw new MigrationException(MigrationException.Kind.REFUSED, "kernel " + tasks.kernelName() + " cannot attach thread "
                + notice.getTid() + "'s regions ahead of its migration from " + tasks.kernelName(notice.getSourceKernel()) + ": "
                + describe(e), e);
        }
        return AdoptReply.newBuilder().setTid(notice.getTid()).setAdoptedNs(System.nanoTime() - start).build();
    }

    /**
     * Waits for the stop, spinning briefly first (K2's requester rule: spin, then park): the core
     * ends the thread's step within a wake-up of its own, and a control thread parked meanwhile
     * would add its own wake-up between the stop and MIGRATE.
     */
    private static SchedThread awaitStop(CompletableFuture<SchedThread> stopping)
        throws ExecutionException, TimeoutException, InterruptedException {
        long spinEnd = System.nanoTime() + STOP_SPIN.toNanos();
        while (!stopping.isDone() && System.nanoTime() - spinEnd < 0) {
            Thread.onSpinWait();
        }
        return stopping.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * At the stop, on the core that ran the thread's last step (or on the migrating thread when the
     * thread was not on a core): the stop's instant goes into the descriptor, for the destination's
     * record, then the thread's first pages go to the destination, before MIGRATE.
     */
    private void handOverAtStop(KernelThread thread, int destination, SchedThread stopped) {
        long start = System.nanoTime();
        try {
            thread.descriptor().migStopNs(stopped.stoppedAtNs());
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: cannot record thread {}'s stop in its descriptor: {}", tasks.kernelName(), thread.tid(), e.toString());
        }
        handOverFirstPages(thread, destination);
        tasks.kernel().trace().slice(TraceEvent.MIGRATION_HAND_OVER, TraceRing.KERNEL_TRACK, thread.tid(), start, System.nanoTime() - start);
    }

    /**
     * Before MIGRATE: the descriptor's page and the first page of the thread's data, written back
     * and their directory entries moved to the destination, so that its adoption and first step
     * claim them from global memory instead of faulting them back from here (a page in use or
     * already asked for stays with the protocol; a hardware-coherent region has no pages to give).
     */
    private void handOverFirstPages(KernelThread thread, int destination) {
        try {
            handOver.handOver(table.region().addressOf(thread.slot()), table.region().contract().getElementSize(), destination);
            TypedRegion<?> data = thread.dataRegion();
            if (data != null) {
                handOver.handOver(data.addressOf(0), Math.min(pageSize, data.contract().getLocation().getBytes()), destination);
            }
        } catch (RuntimeException e) {
            // only an optimisation: the destination faults what it needs
            LOG.debug("kernel {}: could not hand thread {}'s first pages to kernel {} ahead: {}", tasks.kernelName(), thread.tid(),
                destination, e.toString());
        }
    }

    private void departed(KernelThread thread, int destination, boolean byMessages) {
        tasks.departed(thread);
        out.increment();
        LOG.debug("kernel {}: thread {} migrated to {} by {}", tasks.kernelName(), thread.tid(), tasks.kernelName(destination),
            byMessages ? "messages" : "shared memory");
    }

    private long sharedBytes(KernelThread thread) {
        long bytes = table.region().contract().getElementSize();
        TypedRegion<?> data = thread.dataRegion();
        return data == null ? bytes : bytes + data.contract().getLocation().getBytes();
    }

    /** The thread's state as a model-independent message. */
    TaskImage image(KernelThread thread, long stoppedNs) {
        TaskImage.Builder image = TaskImage.newBuilder().setTid(thread.tid()).setSourceKernel(self).setSlot((int) thread.slot())
            .setProgram(thread.program().name()).setStoppedNs(stoppedNs);
        long[] descriptor = new long[descriptorMarshaller.leavesPerElement()];
        PagedSections.forEach(table.region(), thread.slot(), 1, pageSize, (from, to) ->
            descriptorMarshaller.read(table.region().memory(), table.region().contract().getElementSize(), from, to - from, descriptor, 0));
        for (long value : descriptor) {
            image.addTaskValues(value);
        }
        TypedRegion<?> data = thread.dataRegion();
        if (data != null) {
            StateMarshaller marshaller = dataMarshallers.computeIfAbsent(data.layout(), l -> StateMarshaller.of(l, Set.of()));
            long count = data.count();
            long[] values = new long[Math.toIntExact(marshaller.leavesPerElement() * count)];
            int leaves = marshaller.leavesPerElement();
            PagedSections.forEach(data, 0, count, pageSize, (from, to) ->
                marshaller.read(data.memory(), data.contract().getElementSize(), from, to - from, values, (int) (from * leaves)));
            image.setDataElements(count);
            for (long value : values) {
                image.addDataValues(value);
            }
        }
        return image.build();
    }

    // ------------------------------------------------------------------ the destination

    /**
     * MIGRATE(tid) arrived: take the thread over in place (on an idle core or the adopter thread, not
     * the interrupt context), as one use of the descriptor's page: its first access claims the page
     * the source handed over, the rest (ownership, the members the scheduler reads) run at memory
     * speed, and the page is let go when the adoption ends.
     */
    private void adoptInPlace(Interrupt request) {
        HeldPages held = HeldPages.mine();
        if (held.inUse()) {
            takeOver(request);
            return;
        }
        HeldPages.begin();
        try {
            takeOver(request);
        } finally {
            HeldPages.end();
        }
    }

    private void takeOver(Interrupt request) {
        long arrivedNs = System.nanoTime();
        int tid = request.payload();
        int source = request.sender();
        if (closing) {
            reply(request, MailboxType.NACK, nack(NACK_CLOSING, tid));
            return;
        }
        OptionalLong found = table.slotOf(tid);
        if (found.isEmpty()) {
            refusals.increment();
            reply(request, MailboxType.NACK, nack(NACK_UNKNOWN_THREAD, tid));
            return;
        }
        long slot = found.getAsLong();
        Ownership expected = new Ownership(source, self);
        if (!table.ownership(slot).equals(expected)) {
            refusals.increment();
            reply(request, MailboxType.NACK, nack(NACK_NOT_PENDING, tid));
            return;
        }
        KernelThread thread;
        try {
            thread = tasks.attachThread(slot, this::recordLater); // the registry's attachment record waits for the adopter thread
        } catch (RuntimeException e) {
            refusals.increment();
            LOG.warn("kernel {}: cannot take thread {} over from {}: {}", tasks.kernelName(), tid, tasks.kernelName(source), e.toString());
            reply(request, MailboxType.NACK, nack(NACK_ATTACH_FAILED, tid));
            return;
        }
        if (!table.changeOwnership(slot, expected, Ownership.of(Ownership.owned(self)))) {
            refusals.increment();
            reply(request, MailboxType.NACK, nack(NACK_NOT_PENDING, tid));
            return;
        }
        long adoptedNs = System.nanoTime();
        TaskDescriptor task = thread.descriptor();
        task.migrations(task.migrations() + 1);
        tasks.schedule(thread, new KernelThread.Arrival(source, false, task.migStopNs(), adoptedNs, sharedBytes(thread)));
        in.increment();
        inSharedMemory.increment();
        tasks.kernel().trace().instant(TraceEvent.MIGRATION_IN, TraceRing.KERNEL_TRACK, tid, 0);
        tasks.kernel().trace().slice(TraceEvent.MIGRATION_ADOPTION, TraceRing.KERNEL_TRACK, tid, arrivedNs, adoptedNs - arrivedNs);
        reply(request, MailboxType.ACK, tid);
    }

    /** Writes an attachment record on the adopter thread, after the adoption (and usually after the thread's first step). */
    private void recordLater(Runnable record) {
        Runnable logged = () -> {
            try {
                record.run();
            } catch (RuntimeException e) {
                LOG.warn("kernel {}: cannot record an adopted thread's region attachment in the registry: {}", tasks.kernelName(), e.toString());
            }
        };
        try {
            adopter.execute(logged);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            logged.run();
        }
    }

    private void reply(Interrupt request, MailboxType type, int payload) {
        try {
            request.reply(type, payload);
        } catch (MailboxException e) {
            LOG.warn("kernel {}: cannot answer MIGRATE({}) of {}: {}", tasks.kernelName(), request.payload(), request.senderName(), e.getMessage());
        }
    }

    /**
     * A thread's state arrived by messages: rebuild it here, in this kernel's layout.
     *
     * @throws MigrationException when the thread is not being migrated here by its sender, or its state does not fit
     */
    public AdoptReply adopt(TaskImage image) {
        long arrivedNs = System.nanoTime();
        int tid = image.getTid();
        int source = image.getSourceKernel();
        long slot = image.getSlot();
        if (closing) {
            throw new MigrationException(MigrationException.Kind.REFUSED, "kernel " + tasks.kernelName() + " is stopping");
        }
        if (slot < 0 || slot >= table.slots() || table.view(slot).pid() != tid) {
            throw new MigrationException(MigrationException.Kind.UNKNOWN_THREAD, "slot " + slot + " of the task table does not hold thread " + tid);
        }
        Ownership expected = new Ownership(source, self);
        if (!table.ownership(slot).equals(expected)) {
            throw new MigrationException(MigrationException.Kind.REFUSED, "thread " + tid + " is not being migrated from kernel "
                + tasks.kernelName(source) + " to " + tasks.kernelName() + ": its ownership is " + table.ownership(slot));
        }
        if (image.getTaskValuesCount() != descriptorMarshaller.leavesPerElement()) {
            throw new MigrationException(MigrationException.Kind.REFUSED, "thread " + tid + "'s descriptor image has " + image.getTaskValuesCount()
                + " members, expected " + descriptorMarshaller.leavesPerElement());
        }
        Program program = tasks.programs().get(image.getProgram());
        long generation = table.view(slot).dataGen() + 1;
        TypedRegion<?> data = null;
        String dataName = null;
        java.util.Optional<ProgramData> declared = program.threadData(ProgramArgs.none(program.name()));
        try {
            if (declared.isPresent() && image.getDataElements() > 0) {
                dataName = TaskRegions.threadData(tid, generation);
                data = TaskRegions.create(tasks.typed(), dataName, declared.get().view(), image.getDataElements(),
                    tasks.kernel().context().taskCoherence());
                StateMarshaller marshaller = dataMarshallers.computeIfAbsent(data.layout(), l -> StateMarshaller.of(l, Set.of()));
                long expectedValues = marshaller.leavesPerElement() * image.getDataElements();
                if (image.getDataValuesCount() != expectedValues) {
                    throw new MigrationException(MigrationException.Kind.REFUSED, "thread " + tid + "'s data image has "
                        + image.getDataValuesCount() + " values, expected " + expectedValues);
                }
                long[] values = new long[(int) expectedValues];
                for (int i = 0; i < values.length; i++) {
                    values[i] = image.getDataValues(i);
                }
                TypedRegion<?> rebuilt = data;
                int leaves = marshaller.leavesPerElement();
                PagedSections.forEach(rebuilt, 0, image.getDataElements(), pageSize, (from, to) ->
                    marshaller.write(rebuilt.memory(), rebuilt.contract().getElementSize(), from, to - from, values, (int) (from * leaves)));
            }
        } catch (RuntimeException e) {
            if (dataName != null && data != null) {
                tasks.releaseRegion(dataName);
            }
            if (e instanceof MigrationException known) {
                throw known;
            }
            throw new MigrationException(MigrationException.Kind.REFUSED, "cannot rebuild thread " + tid + " on kernel " + tasks.kernelName()
                + ": " + e.getMessage(), e);
        }
        if (!table.changeOwnership(slot, expected, Ownership.of(Ownership.owned(self)))) {
            if (dataName != null) {
                tasks.releaseRegion(dataName);
            }
            throw new MigrationException(MigrationException.Kind.REFUSED, "thread " + tid + " is no longer being migrated here (its source "
                + "took it back)");
        }
        long[] descriptor = new long[image.getTaskValuesCount()];
        for (int i = 0; i < descriptor.length; i++) {
            descriptor[i] = image.getTaskValues(i);
        }
        String replaced = TaskRegions.threadData(tid, generation - 1);
        PagedSections.forEach(table.region(), slot, 1, pageSize, (from, to) ->
            descriptorMarshaller.write(table.region().memory(), table.region().contract().getElementSize(), from, to - from, descriptor, 0));
        TaskDescriptor task = table.view(slot);
        if (data != null) {
            task.dataGen(generation);
            task.data(data.addressOf(0));
            tasks.releaseRegion(replaced); // its state now lives here: the old region goes (by its owner)
        }
        task.migrations(task.migrations() + 1);
        long adoptedNs = System.nanoTime();
        KernelThread thread = tasks.attachThread(slot);
        tasks.schedule(thread, new KernelThread.Arrival(source, true, image.getStoppedNs(), adoptedNs, image.getSerializedSize()));
        in.increment();
        inMessages.increment();
        tasks.kernel().trace().instant(TraceEvent.MIGRATION_IN, TraceRing.KERNEL_TRACK, tid, 1);
        tasks.kernel().trace().slice(TraceEvent.MIGRATION_ADOPTION, TraceRing.KERNEL_TRACK, tid, arrivedNs, adoptedNs - arrivedNs);
        return AdoptReply.newBuilder().setTid(tid).setAdoptedNs(adoptedNs).setRegion(dataName == null ? "" : dataName).build();
    }

    static int nack(int reason, int tid) {
        return reason << NACK_REASON_SHIFT | tid & NACK_TID_MASK;
    }

    /** The source's check: ACK names the thread, NACK the low 21 bits of its tid. */
    static ReplyCheck answers(int tid) {
        return (type, payload) -> type == MailboxType.ACK ? payload == tid : (payload & NACK_TID_MASK) == (tid & NACK_TID_MASK);
    }

    private static String nackReason(int code) {
        return switch (code) {
            case NACK_NOT_PENDING -> "the thread is not being migrated to it (its source took it back?)";
            case NACK_UNKNOWN_THREAD -> "it does not find the thread in the task table";
            case NACK_ATTACH_FAILED -> "it cannot attach the thread's regions (see its log)";
            case NACK_CLOSING -> "it is stopping";
            default -> "reason " + code;
        };
    }

    private static String describe(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus().getCode() + (s.getStatus().getDescription() == null ? "" : ": " + s.getStatus().getDescription());
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    @Override
    public void close() {
        closing = true;
        adopter.shutdownNow();
    }
}
