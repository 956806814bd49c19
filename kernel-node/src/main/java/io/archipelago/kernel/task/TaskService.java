package io.archipelago.kernel.task;

import io.archipelago.directory.Domains;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.nightwatch.NightWatch;
import io.archipelago.kernel.sched.CoreSpeed;
import io.archipelago.kernel.sched.CoreTimeline;
import io.archipelago.kernel.sched.SchedCounters;
import io.archipelago.kernel.sched.SchedThread;
import io.archipelago.kernel.sched.Scheduler;
import io.archipelago.kernel.sched.StepLog;
import io.archipelago.kernel.sched.VirtualClock;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskFlags;
import io.archipelago.kernel.task.model.TaskRegions;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.WakeReason;
import io.archipelago.task.proto.ReleaseRequest;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.proto.Contract;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's tasks: processes and threads whose descriptors live in the cluster's shared task
 * table, this kernel's {@link Scheduler} over its island's cores, K2's {@link NightWatch}
 * threads, interrupt wake-ups, and thread {@link Migrations}. Serves {@code TaskControl}.
 * <p>
 * An independent service in K2's terms: one instance per kernel, each scheduling the threads it
 * owns; they share only the task table (typed shared memory) and coordinate through the mailbox.
 */
public final class TaskService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(TaskService.class);
    /** Exit code of a thread lost with its kernel (as a process killed by SIGKILL). */
    public static final int LOST_EXIT_CODE = 137;
    /** Exit code of a thread whose kernel stopped (as a process ended by SIGTERM). */
    public static final int STOPPED_EXIT_CODE = 143;

    private final Kernel kernel;
    private final TypedMemory typed;
    private final Mailbox mailbox;
    private TaskTable table;
    private Programs programs;
    private TaskFailures failures;
    private VirtualClock clock;
    private CoreTimeline timeline;
    private StepLog steps;
    private Scheduler scheduler;
    private NightWatch nightWatch;
    private ExecutorService worker;
    private ExecutorService io;
    private Interrupts interrupts;
    private Reaper reaper;
    private PeerKernels peers;
    private final Map<Integer, KernelThread> threads = new ConcurrentHashMap<>();
    /** Regions this kernel attached for threads: kept (a thread that comes back finds them attached) until they are freed. */
    private final Set<String> attachedHere = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<MigrationRecord> migrationLog = new ArrayDeque<>();
    private KernelCountersArea.Counter spawned;
    private KernelCountersArea.Counter exitedCount;
    private KernelCountersArea.Counter failed;

    private KernelCountersArea.Counter owned;

    /** A migration as its destination saw it. */
    public record MigrationRecord(int tid, int fromKernel, int toKernel, boolean byMessages, long stoppedNs, long adoptedNs,
                                  long firstStepNs, long stateBytes) {
    }

    /**
     * @param mailbox where IRQ words arrive and NightWatch and migration words travel
     * @param typed where the task table and the threads' regions live
     */
    public TaskService(Kernel kernel, Mailbox mailbox, TypedMemory typed) {
        this.kernel = kernel;
        this.mailbox = mailbox;
        this.typed = typed;
    }

    @Override
    public String name() {
        return "tasks";
    }

    @Override
    public void start() {
        this.programs = Programs.load(TaskService.class.getClassLoader(),
            kernel.context().clusterDirectory().programsDirectory());
        this.failures = new TaskFailures(kernel.context().clusterDirectory().taskFailuresDirectory());
        this.table = TaskTable.open(typed, kernel.context().taskSlots(), kernel.context().taskCoherence());
        this.clock = new VirtualClock(table.epochHostNs());
        KernelCountersArea counters = kernel.counters();
        this.spawned = counters.counter(KernelCounter.TASKS_SPAWNED);
        this.exitedCount = counters.counter(KernelCounter.TASKS_EXITED);
        this.failed = counters.counter(KernelCounter.TASKS_FAILED);
        this.owned = counters.counter(KernelCounter.TASKS_OWNED);
        this.worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("tasks-" + kernel.name()).factory());
        this.io = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("tasks-io-" + kernel.name()).factory());
        int cores = kernel.context().cores();
        this.timeline = new CoreTimeline(cores, 4096, clock.now());
        this.steps = new StepLog(65_536, kernel.trace());
        this.nightWatch = new NightWatch(kernel.id(), kernel.name(), table, mailbox, worker, io, this::weakPeers, this::gone, counters);
        nightWatch.timeline(kernel.trace());
        Scheduler.Settings settings = Scheduler.Settings.of(cores, new CoreSpeed(kernel.context().speed(), kernel.context().baseHz()),
            kernel.context().timeSlice().toNanos(), kernel.context().maxLead().toNanos());
        this.scheduler = new Scheduler(kernel.name(), settings, clock, timeline, steps, nightWatch, new CounterSink(counters, cores));
        nightWatch.bind(scheduler);
        this.peers = new PeerKernels(kernel.membership(), kernel.secret(), "kernel-" + kernel.name());
        this.interrupts = new Interrupts(kernel, mailbox, scheduler, worker, io);
        mailbox.onInterrupt(MailboxType.IRQ, interrupts::onIrq);
        this.reaper = new Reaper(this, nightWatch);
        reaper.reclaimPreviousIncarnation();
        reaper.collectGarbageRegions();
        scheduler.start();
        reaper.start();
        LOG.info("kernel {}: task service up: table '{}' of {} slots ({}, {} accessor), {} core(s) at {} x {} Hz, slice {} us, programs {}",
            kernel.name(), TaskRegions.TABLE, table.slots(), table.dataModel(), table.accessor(), cores, kernel.context().speed(),
            kernel.context().baseHz(), kernel.context().timeSlice().toNanos() / 1000, programs.all().keySet());
    }

    @Override
    public void close() {
        if (reaper != null) {
            reaper.stop();
        }
        if (scheduler != null) {
            if (scheduler.stop(java.time.Duration.ofSeconds(3))) {
                // what this kernel still owns is lost with it: say so in the table rather than leave it RUNNING
                for (KernelThread thread : List.copyOf(threads.values())) {
                    try {
                        reaper.abandon(thread.slot(), thread.descriptor(), STOPPED_EXIT_CODE);
                    } catch (RuntimeException e) {
                        LOG.warn("kernel {}: could not mark thread {} EXITED: {}", kernel.name(), thread.tid(), e.toString());
                    }
                }
            } else {
                LOG.warn("kernel {}: a core is stuck in a step; its threads are left as they are (the kernel that notices this one is "
                    + "gone marks them lost)", kernel.name());
            }
        }
        if (worker != null) {
            worker.shutdownNow();
        }
        if (io != null) {
            io.shutdownNow();
        }
        if (peers != null) {
            peers.close();
        }
    }

    // ------------------------------------------------------------------ accessors for the other task classes

    public Kernel kernel() {
        return kernel;
    }

    public int kernelId() {
        return kernel.id();
    }

    public String kernelName() {
        return kernel.name();
    }

    public DataModel dataModel() {
        return kernel.context().dataModel();
    }

    public TypedMemory typed() {
        return typed;
    }

    public Mailbox mailbox() {
        return mailbox;
    }

    public Membership membership() {
        return kernel.membership();
    }

    /** Why thread {@code tid} failed (its exception's message and stack trace), if it did and is still in the table. */
    public Optional<String> failure(int tid) {
        return failures.read(tid);
    }

    /** Thread {@code tid}'s slot was freed: its failure joins the last few of reclaimed threads, which {@code ps --all} still shows. */
    void forgetFailure(int tid) {
        failures.forget(tid);
    }

    /** The failures of threads whose slots were reclaimed, newest first (at most {@code archipelago.tasks.failures-kept}). */
    public List<TaskFailures.Reclaimed> reclaimedFailures() {
        return failures.reclaimed();
    }

    public TaskTable table() {
        return table;
    }

    public Programs programs() {
        return programs;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public NightWatch nightWatch() {
        return nightWatch;
    }

    /** This kernel's interrupt lines: IRQ words handled here, raised, forwarded. */
    public Interrupts interrupts() {
        return interrupts;
    }

    /** The control APIs of other kernels (a thread's owner, a migration's destination, a region's owner). */
    public PeerKernels peers() {
        return peers;
    }

    /** Regions this kernel attached for threads, until they are freed (the reaper forgets those that were). */
    Set<String> attachedHere() {
        return attachedHere;
    }

    public VirtualClock clock() {
        return clock;
    }

    public ExecutorService worker() {
        return worker;
    }

    /** The executor for sends that may wait (mailbox words to other kernels, calls to their control APIs). */
    public ExecutorService io() {
        return io;
    }

    /** A thread this kernel owns and schedules (not one in transit). */
    public Optional<KernelThread> localThread(int tid) {
        return Optional.ofNullable(threads.get(tid));
    }

    public List<KernelThread> localThreads() {
        return List.copyOf(threads.values());
    }

    /** The name of kernel {@code id}, from membership, or "kernel N". */
    public String kernelName(int id) {
        return membership().get(id).map(KernelRecord::getName).orElse("kernel " + id);
    }

    /** Whether kernel {@code id} is RUNNING in membership. */
    public boolean alive(int id) {
        return membership().get(id).map(r -> r.getState() == KernelState.RUNNING).orElse(false);
    }

    /** Whether kernel {@code id} is gone for good: DEAD in membership (the coordinator fenced it), or no member at all. */
    boolean gone(int id) {
        return membership().get(id).map(r -> r.getState() == KernelState.DEAD).orElse(true);
    }

    /**
     * Whether kernel {@code id} is on a weak island, where NightWatch threads are pinned
     * ({@link Domains}: slower than the cluster's fastest island, whatever its kernels' state).
     */
    public boolean weak(int id) {
        List<KernelRecord> records = membership().all();
        double strong = Domains.strongSpeed(records);
        return records.stream().filter(r -> r.getKernelId() == id).anyMatch(r -> Domains.weak(r, strong));
    }

    /** The other RUNNING kernels on weak islands: where a process's NightWatch threads may be. */
    public java.util.Set<Integer> weakPeers() {
        java.util.Set<Integer> peers = new java.util.LinkedHashSet<>();
        List<KernelRecord> records = membership().all();
        double strong = Domains.strongSpeed(records);
        for (KernelRecord record : records) {
            if (record.getKernelId() != kernel.id() && record.getState() == KernelState.RUNNING && Domains.weak(record, strong)) {
                peers.add(record.getKernelId());
            }
        }
        return peers;
    }

    /** The weak kernels (see {@link #weak}), for error messages. */
    public String weakKernels() {
        List<String> names = new ArrayList<>();
        List<KernelRecord> records = membership().all();
        double strong = Domains.strongSpeed(records);
        for (KernelRecord record : records) {
            if (record.getState() == KernelState.RUNNING && Domains.weak(record, strong)) {
                names.add(record.getName() + " (speed " + record.getIsland().getSpeed() + ")");
            }
        }
        return names.isEmpty() ? "none (every running kernel is on an island of the same speed)" : String.join(", ", names);
    }

    // ------------------------------------------------------------------ creating threads

    /** What {@link #spawn} created. */
    public record Spawned(int pid, List<Integer> tids) {
    }

    /**
     * Creates {@code count} threads of {@code programName} on this kernel: a new process when
     * {@code pid} is 0 (its first thread is the leader, tid = pid), or more threads of process
     * {@code pid}. NightWatch threads only on a weak island.
     *
     * @throws IllegalArgumentException for a bad count or arguments the program refuses
     * @throws Programs.UnknownProgramException for an unknown program
     * @throws NoSuchThreadException when process {@code pid} does not exist
     * @throws TaskStateException for a NightWatch thread on a strong island, or a process that runs another program or has exited
     */
    public Spawned spawn(String programName, int pid, int count, boolean nightWatchThreads, Map<String, String> arguments) {
        if (count < 1 || count > 256) {
            throw new IllegalArgumentException("a spawn creates 1 to 256 threads, found " + count);
        }
        Program program = programs.get(programName);
        ProgramArgs args = new ProgramArgs(programName, arguments);
        if (nightWatchThreads && !weak(kernel.id())) {
            throw new TaskStateException("NightWatch threads are pinned to weak islands, and kernel " + kernel.name() + " (island "
                + kernel.context().island() + ", speed " + kernel.context().speed() + ") is not one; weak kernels: " + weakKernels());
        }
        boolean newProcess = pid == 0;
        Optional<ProgramData> processData = program.processData(args);
        Optional<ProgramData> threadData = program.threadData(args);
        Coherence coherence = kernel.context().taskCoherence();
        long leaderSlot = -1;
        TypedRegion<?> shared = null;
        String createdProcessRegion = null;
        List<long[]> claimed = new ArrayList<>(); // {slot, tid}
        List<String> createdRegions = new ArrayList<>();
        List<KernelThread> created = new ArrayList<>();
        int counted = 0;
        try {
            int baseIndex = 0;
            if (newProcess) {
                pid = table.allocatePid();
            } else {
                int existing = pid;
                leaderSlot = table.slotOf(pid).orElseThrow(() -> new NoSuchThreadException("no process " + existing
                    + " in the task table"));
                TaskDescriptor leader = table.view(leaderSlot);
                if (leader.tgid() != pid) {
                    throw new NoSuchThreadException("thread " + pid + " is not a process: it belongs to process " + leader.tgid());
                }
                if (!leader.commString().equals(programName)) {
                    throw new TaskStateException("process " + pid + " runs " + leader.commString() + ", not " + programName
                        + ": its threads all run one program");
                }
                if (!table.processAlive(leaderSlot)) {
                    throw new TaskStateException("process " + pid + " has exited: every thread of it has ended");
                }
                baseIndex = table.threadsOf(pid, nightWatchThreads);
                if (processData.isPresent()) {
                    shared = typed.attach(TaskRegions.processData(pid), processData.get().view());
                    attachedHere.add(TaskRegions.processData(pid));
                }
            }
            for (int i = 0; i < count; i++) {
                int tid = newProcess && i == 0 ? pid : table.allocatePid();
                long slot = table.claimSlot(kernel.id(), tid);
                claimed.add(new long[] {slot, tid});
                TaskDescriptor task = table.view(slot);
                boolean leaderThread = newProcess && i == 0;
                initialise(task, tid, pid, programName, nightWatchThreads, leaderThread, baseIndex + i);
                if (leaderThread) {
                    leaderSlot = slot;
                }
                table.threadsWord().addAndGet(leaderSlot, 1); // the process is alive from its first thread on
                counted++;
                task.pid(tid); // published: other kernels see the slot from here on (state NEW)
                if (leaderThread && processData.isPresent()) {
                    createdProcessRegion = TaskRegions.processData(pid);
                    shared = TaskRegions.create(typed, createdProcessRegion, processData.get().view(), processData.get().count(), coherence);
                    attachedHere.add(createdProcessRegion);
                }
                task.shared(shared == null ? 0 : shared.addressOf(0));
                TypedRegion<?> data = null;
                if (threadData.isPresent()) {
                    String name = TaskRegions.threadData(tid, 0);
                    data = TaskRegions.create(typed, name, threadData.get().view(), threadData.get().count(), coherence);
                    createdRegions.add(name);
                    attachedHere.add(name);
                    task.data(data.addressOf(0));
                }
                KernelThread thread = new KernelThread(this, slot, task, program, leaderSlot, data, shared);
                program.start(thread, args);
                created.add(thread);
            }
            if (nightWatchThreads) {
                nightWatch.gate().markNightWatch(leaderSlot); // from now on its normal threads preempt them over the mailbox
            }
        } catch (RuntimeException e) {
            for (String name : createdRegions) {
                destroyQuietly(name);
            }
            if (createdProcessRegion != null) {
                destroyQuietly(createdProcessRegion);
            }
            if (counted > 0) {
                table.threadsWord().addAndGet(leaderSlot, -counted);
            }
            for (long[] slot : claimed) {
                table.freeSlot(slot[0], (int) slot[1]);
            }
            throw e;
        }
        long now = clock.now();
        List<Integer> tids = new ArrayList<>();
        for (KernelThread thread : created) {
            thread.place(TaskState.READY, now, 0, SchedThread.NO_IRQ);
            threads.put(thread.tid(), thread);
            if (!thread.nightWatch()) {
                nightWatch.runnable(thread);
            }
            scheduler.add(thread);
            tids.add(thread.tid());
            spawned.increment();
        }
        owned.set(threads.size());
        LOG.info("kernel {}: {} {} thread(s) of {} in process {}: {}", kernel.name(), newProcess ? "started" : "added", count,
            programName + (nightWatchThreads ? " (NightWatch)" : ""), pid, tids);
        return new Spawned(pid, tids);
    }

    private void initialise(TaskDescriptor task, int tid, int pid, String programName, boolean nightWatchThread, boolean leader, long index) {
        task.state(TaskState.NEW.code());
        task.flags((nightWatchThread ? TaskFlags.NIGHTWATCH : 0) | (leader ? TaskFlags.LEADER : 0));
        task.tgid(pid);
        task.waitIrq(0xFFFF_FFFFL);
        task.wakeReason(WakeReason.NONE.ordinal());
        task.exitCode(0);
        task.migrations(0);
        task.dataGen(0);
        task.creator(kernel.id());
        task.cpu(0);
        task.threadIndex(index);
        task.nvcsw(0);
        task.nivcsw(0);
        task.steps(0);
        task.cycles(0);
        task.utime(0);
        task.wakeAt(0);
        task.migStopNs(0);
        task.startTime(clock.now());
        task.data(0);
        task.shared(0);
        for (int r = 0; r < TaskDescriptor.REGISTERS; r++) {
            task.regs(r, 0);
        }
        task.commString(programName);
    }


    // ------------------------------------------------------------------ threads arriving and leaving

    /**
     * Builds this kernel's view of the thread in {@code slot} from its descriptor: attaches its
     * data and its process's data (with accessors for their layouts), finds its leader. Used when
     * a thread arrives by migration.
     */
    public KernelThread attachThread(long slot) {
        return attachThread(slot, Runnable::run);
    }

    /**
     * {@link #attachThread(long)}, leaving the registry's attachment records of the thread's
     * regions to {@code recorder} (an adoption on its critical path; see
     * {@link TypedMemory#attach(String, Class, TypedMemory.Access, java.util.concurrent.Executor)}).
     */
    public KernelThread attachThread(long slot, java.util.concurrent.Executor recorder) {
        TaskDescriptor task = table.view(slot);
        String programName = task.commString();
        Program program = programs.get(programName);
        int tid = task.pid();
        int pid = task.tgid();
        long leaderSlot = tid == pid ? slot : table.slotOf(pid).orElseThrow(() -> new NoSuchThreadException("thread " + tid
            + ": its process leader " + pid + " is not in the task table"));
        TypedRegion<?>[] regions = attachRegions(program, tid, pid, task.dataGen(), recorder);
        return new KernelThread(this, slot, task, program, leaderSlot, regions[0], regions[1]);
    }

    /**
     * Attaches the regions of thread {@code tid} (of process {@code pid}, running {@code programName},
     * its data region of generation {@code dataGen}) without taking the thread: a migration by
     * shared memory about to stop it at another kernel, so that the adoption finds them attached
     * ({@link TypedMemory#attach} keeps what it attached). Reads nothing of the descriptor.
     */
    public void attachRegionsAhead(String programName, int tid, int pid, long dataGen, java.util.concurrent.Executor recorder) {
        attachRegions(programs.get(programName), tid, pid, dataGen, recorder);
    }

    /** The thread's data region and its process's, each null when the program declares none. */
    private TypedRegion<?>[] attachRegions(Program program, int tid, int pid, long dataGen, java.util.concurrent.Executor recorder) {
        ProgramArgs none = ProgramArgs.none(program.name());
        TypedRegion<?> data = null;
        Optional<ProgramData> threadData = program.threadData(none);
        if (threadData.isPresent()) {
            String name = TaskRegions.threadData(tid, dataGen);
            data = typed.attach(name, threadData.get().view(), TypedMemory.Access.GENERATED, recorder);
            attachedHere.add(name);
        }
        TypedRegion<?> shared = null;
        Optional<ProgramData> processData = program.processData(none);
        if (processData.isPresent()) {
            shared = typed.attach(TaskRegions.processData(pid), processData.get().view(), TypedMemory.Access.GENERATED, recorder);
            attachedHere.add(TaskRegions.processData(pid));
        }
        return new TypedRegion<?>[] {data, shared};
    }

    /**
     * Schedules a thread that arrived (its ownership already moved here), where its descriptor
     * says it stands: READY (or SUSPENDED: admission decides again) from now, BLOCKED with its
     * timer and line.
     */
    public void schedule(KernelThread thread, KernelThread.Arrival arrival) {
        TaskDescriptor task = thread.descriptor();
        TaskState state = TaskState.of(task.state());
        long irqWord = task.waitIrq();
        int irq = irqWord == 0xFFFF_FFFFL ? SchedThread.NO_IRQ : (int) irqWord;
        if (state == TaskState.BLOCKED) {
            thread.place(TaskState.BLOCKED, 0, task.wakeAt(), irq);
        } else {
            thread.place(TaskState.READY, clock.now(), 0, SchedThread.NO_IRQ);
        }
        thread.wokenBy(WakeReason.of(task.wakeReason()));
        thread.arrived(arrival);
        threads.put(thread.tid(), thread);
        scheduler.add(thread);
        owned.set(threads.size());
    }

    /** Puts a thread back on this scheduler after a migration failed (its state unchanged). */
    public void restore(KernelThread thread) {
        threads.put(thread.tid(), thread);
        scheduler.add(thread);
        owned.set(threads.size());
    }

    /**
     * A thread left this kernel (migrated): forget it. This kernel's views of its regions stay
     * attached, so that a thread that comes back finds them; the reaper drops them once the
     * regions are freed.
     */
    public void departed(KernelThread thread) {
        threads.remove(thread.tid());
        owned.set(threads.size());
        forgetProcessIfGone(thread);
    }

    private void forgetProcessIfGone(KernelThread thread) {
        int pid = thread.pid();
        if (threads.values().stream().noneMatch(t -> t.pid() == pid)) {
            nightWatch.forget(pid);
        }
    }

    /** Called by a thread's first step after a migration brought it here. */
    void firstStepAfterMigration(KernelThread thread, KernelThread.Arrival arrival, long firstStepNs) {
        kernel.trace().instant(TraceEvent.MIGRATION_FIRST_STEP, TraceRing.KERNEL_TRACK, thread.tid(), firstStepNs - arrival.stoppedNs());
        synchronized (migrationLog) {
            migrationLog.addLast(new MigrationRecord(thread.tid(), arrival.fromKernel(), kernel.id(), arrival.byMessages(),
                arrival.stoppedNs(), arrival.adoptedNs(), firstStepNs, arrival.stateBytes()));
            while (migrationLog.size() > 16_384) {
                migrationLog.removeFirst();
            }
        }
    }

    /** Migrations into this kernel whose first step here ran, oldest first. */
    public List<MigrationRecord> migrationRecords() {
        synchronized (migrationLog) {
            return new ArrayList<>(migrationLog);
        }
    }

    /** The thread ended on this kernel (called under its scheduler's lock: the rest is done on the worker). */
    void threadExited(KernelThread thread, int code, RuntimeException failure) {
        threads.remove(thread.tid());
        owned.set(threads.size());
        exitedCount.increment();
        if (failure != null) {
            failed.increment();
            // here, before the scheduler publishes the thread EXITED, so that ps never shows it exited without its failure
            // (a small write to tmpfs, on a core thread, for failed threads only)
            failures.record(thread.tid(), thread.pid(), kernel.id(), code, thread.program().name(), failure);
            LOG.warn("kernel {}: thread {} of process {} ({}) failed, exit code {}; the kernel carries on", kernel.name(), thread.tid(),
                thread.pid(), thread.program().name(), code, failure);
        }
        forgetProcessIfGone(thread);
        worker.execute(() -> reaper.retire(thread.slot(), thread.descriptor(), thread.leaderSlot()));
    }

    /**
     * Frees a region of the task service nobody uses any more: here when this kernel owns its
     * pages, by its owner otherwise (a Release call), and when its owner is dead, by removing its
     * name (its pages go back to that kernel id's blocks when it boots again).
     */
    public void releaseRegion(String name) {
        Optional<Contract> found = typed.contract(name);
        if (found.isEmpty()) {
            return;
        }
        int owner = found.get().getLocation().getOwnerKernel();
        if (owner == kernel.id()) {
            destroyQuietly(name);
        } else if (alive(owner)) {
            io.execute(() -> {
                try {
                    peers.tasks(owner, 10_000).release(ReleaseRequest.newBuilder().addRegions(name)
                        .build());
                } catch (RuntimeException e) {
                    LOG.warn("kernel {}: kernel {} did not free region '{}': {}", kernel.name(), kernelName(owner), name, e.toString());
                }
            });
        } else {
            typed.registry().remove(name, owner);
            typed.forget(name);
        }
        attachedHere.remove(name);
    }

    /** Frees regions this kernel owns (a Release call from the kernel where they became garbage); returns those freed. */
    public List<String> release(List<String> names) {
        List<String> freed = new ArrayList<>();
        for (String name : names) {
            if (TaskRegions.parseThreadData(name) == null && TaskRegions.parseProcessData(name) < 0) {
                throw new IllegalArgumentException("'" + name + "' is not a region of the task service");
            }
            Optional<Contract> found = typed.contract(name);
            if (found.isPresent() && found.get().getLocation().getOwnerKernel() == kernel.id()) {
                destroyQuietly(name);
                attachedHere.remove(name);
                freed.add(name);
            }
        }
        return freed;
    }

    // ------------------------------------------------------------------ killing

    /**
     * Ends thread {@code tid}, which this kernel owns, at its next migration point, with exit code
     * {@link #STOPPED_EXIT_CODE}. While it is being killed its ownership word says "migrating to
     * its own owner", so that no migration starts meanwhile.
     *
     * @return the steps it ran
     * @throws NoSuchThreadException when this kernel does not own it
     * @throws TaskStateException    when a migration of it is under way
     */
    public long kill(int tid) {
        KernelThread thread = threads.get(tid);
        if (thread == null) {
            throw new NoSuchThreadException("kernel " + kernel.name() + " does not run thread " + tid);
        }
        Ownership mine = new Ownership(kernel.id(), Ownership.NONE);
        Ownership killing = mine.migratingTo(kernel.id());
        if (!table.changeOwnership(thread.slot(), mine, killing)) {
            throw new TaskStateException("thread " + tid + " cannot be killed now: " + table.ownership(thread.slot())
                + " (a migration is under way; try again once it is done)");
        }
        try {
            SchedThread stopped;
            try {
                stopped = scheduler.stop(tid).get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return thread.descriptor().steps(); // it exited on its own first
            } catch (java.util.concurrent.TimeoutException e) {
                throw new TaskStateException("thread " + tid + " did not reach a migration point within 30 s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TaskStateException("interrupted while killing thread " + tid);
            }
            if (!stopped.nightWatch() && stopped.state() == TaskState.READY) {
                nightWatch.notRunnable(stopped); // it was awake: its process's NightWatch threads may run now
            }
            TaskDescriptor task = thread.descriptor();
            task.exitCode(STOPPED_EXIT_CODE);
            task.state(TaskState.EXITED.code());
            threadExited(thread, STOPPED_EXIT_CODE, null);
            LOG.info("kernel {}: killed thread {} of process {} after {} steps", kernel.name(), tid, thread.pid(), task.steps());
            return task.steps();
        } finally {
            table.changeOwnership(thread.slot(), killing, mine);
        }
    }

    void destroyQuietly(String name) {
        try {
            typed.destroy(name);
        } catch (RegionException e) {
            LOG.debug("kernel {}: region {}: {}", kernel.name(), name, e.getMessage());
        }
    }

    /** A thread or process that is not in the task table. */
    public static final class NoSuchThreadException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public NoSuchThreadException(String message) {
            super(message);
        }
    }

    /** An operation the thread's or process's state does not allow (exited, migrating, wrong island...). */
    public static final class TaskStateException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public TaskStateException(String message) {
            super(message);
        }
    }

    /** The scheduler's counts, in this kernel's counters area. */
    private static final class CounterSink implements SchedCounters {
        private static final int MAX_CORES_COUNTED = 16;
        private final KernelCountersArea.Counter steps;
        private final KernelCountersArea.Counter voluntary;
        private final KernelCountersArea.Counter involuntary;
        private final KernelCountersArea.Counter[][] cores;
        private final KernelCountersArea counters;

        CounterSink(KernelCountersArea counters, int coreCount) {
            this.counters = counters;
            this.steps = counters.counter(KernelCounter.SCHED_STEPS);
            this.voluntary = counters.counter(KernelCounter.SCHED_SWITCHES_VOLUNTARY);
            this.involuntary = counters.counter(KernelCounter.SCHED_SWITCHES_INVOLUNTARY);
            int counted = Math.min(coreCount, MAX_CORES_COUNTED);
            this.cores = new KernelCountersArea.Counter[counted][];
            for (int i = 0; i < counted; i++) {
                cores[i] = new KernelCountersArea.Counter[] {counters.counter(KernelCounter.coreLabel(i, "busy_ns")),
                    counters.counter(KernelCounter.coreLabel(i, "idle_ns")), counters.counter(KernelCounter.coreLabel(i, "wakeups"))};
            }
        }

        @Override
        public void steps(long delta) {
            steps.add(delta);
        }

        @Override
        public void switches(boolean voluntarySwitch) {
            (voluntarySwitch ? voluntary : involuntary).increment();
        }

        @Override
        public void irqWaiters(int line, int count) {
            // a signal, not a counter: other kernels forward device interrupts by it, the router routes by it
            counters.signals().irqWaiters(line, count);
        }

        @Override
        public void coreTotals(int core, long busyNs, long idleNs, long wakeups) {
            if (core < cores.length) {
                cores[core][0].set(busyNs);
                cores[core][1].set(idleNs);
                cores[core][2].set(wakeups);
            }
        }
    }
}
