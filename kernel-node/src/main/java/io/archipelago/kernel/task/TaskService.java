package io.archipelago.kernel.task;

import io.archipelago.directory.Domains;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.kernel.migration.Migrations;
import io.archipelago.kernel.nightwatch.NightWatch;
import io.archipelago.kernel.nightwatch.NightWatchGate;
import io.archipelago.kernel.sched.CoreSpeed;
import io.archipelago.kernel.sched.CoreTimeline;
import io.archipelago.kernel.sched.SchedCounters;
import io.archipelago.kernel.sched.SchedThread;
import io.archipelago.kernel.sched.Scheduler;
import io.archipelago.kernel.sched.StepLog;
import io.archipelago.kernel.sched.VirtualClock;
import io.archipelago.kernel.typed.TypedMemoryService;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.program.Program;
import io.archipelago.program.ProgramArgs;
import io.archipelago.program.ProgramData;
import io.archipelago.program.WakeReason;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.TypedMemory;
import io.archipelago.typed.TypedRegion;
import io.archipelago.task.proto.ReleaseRequest;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.proto.Contract;
import io.grpc.BindableService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
    /** Exited threads stay visible in {@code ps} at least this long before their slot is reclaimed. */
    static final long EXITED_RETENTION_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long REAPER_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Exit code of a thread lost with its kernel (as a process killed by SIGKILL). */
    public static final int LOST_EXIT_CODE = 137;
    /** Exit code of a thread whose kernel stopped (as a process ended by SIGTERM). */
    public static final int STOPPED_EXIT_CODE = 143;

    private volatile Kernel kernel;
    private TypedMemory typed;
    private Mailbox mailbox;
    private TaskTable table;
    private Programs programs;
    private VirtualClock clock;
    private CoreTimeline timeline;
    private StepLog steps;
    private Scheduler scheduler;
    private NightWatch nightWatch;
    private Migrations migrations;
    private ExecutorService worker;
    private ExecutorService io;
    private Thread reaper;
    private volatile boolean running;
    private final Map<Integer, KernelThread> threads = new ConcurrentHashMap<>();
    /** Threads that ended on this kernel (or that it took over from a dead one), whose slots it frees after the retention. */
    private final Map<Integer, Exited> exited = new ConcurrentHashMap<>();
    /** The membership this kernel last looked at for dead kernels (id to incarnation and state). */
    private Map<Integer, String> lastMembership = Map.of();
    /** The dead kernels (id:incarnation) the last take-over looked at. */
    private java.util.Set<String> lastDead = java.util.Set.of();
    /** Regions this kernel attached for threads: kept (a thread that comes back finds them attached) until they are freed. */
    private final Set<String> attachedHere = ConcurrentHashMap.newKeySet();
    private final ArrayDeque<MigrationRecord> migrationLog = new ArrayDeque<>();
    private KernelCountersArea.Counter spawned;
    private KernelCountersArea.Counter exitedCount;
    private KernelCountersArea.Counter failed;
    private KernelCountersArea.Counter irqRaised;
    private KernelCountersArea.Counter irqWoken;
    private KernelCountersArea.Counter irqForwarded;
    /** Told of every IRQ word this kernel handles, on the interrupt context (the energy meter charges the handler). */
    private final List<InterruptObserver> interruptObservers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Told of an IRQ word on the interrupt context: must not block nor touch shared memory that can fault. */
    @FunctionalInterface
    public interface InterruptObserver {
        /** @param fromDevice sent by a device (the coordinator), not forwarded by another kernel */
        void onInterrupt(int line, boolean fromDevice);
    }
    private KernelCountersArea.Counter owned;

    /** A thread that ended: its slot, when (host ns), and for a leader when its whole process was first seen ended. */
    private static final class Exited {
        final long slot;
        final long atNs;
        long processEndedNs;

        Exited(long slot, long atNs) {
            this.slot = slot;
            this.atNs = atNs;
        }
    }

    /** A migration as its destination saw it. */
    public record MigrationRecord(int tid, int fromKernel, int toKernel, boolean byMessages, long stoppedNs, long adoptedNs,
                                  long firstStepNs, long stateBytes) {
    }

    @Override
    public String name() {
        return "tasks";
    }

    @Override
    public void start(Kernel kernel) {
        this.kernel = kernel;
        this.typed = kernel.service(TypedMemoryService.class).orElseThrow(() ->
            new IllegalStateException("the task service needs the typed memory service")).typed();
        this.mailbox = kernel.service(MailboxService.class).orElseThrow(() ->
            new IllegalStateException("the task service needs the mailbox service")).mailbox();
        this.programs = Programs.load(TaskService.class.getClassLoader(),
            kernel.context().clusterDirectory().programsDirectory());
        this.table = TaskTable.open(typed, kernel.context().taskSlots(), kernel.context().taskCoherence());
        this.clock = new VirtualClock(table.epochHostNs());
        KernelCountersArea counters = kernel.counters();
        this.spawned = counters.counter("tasks.spawned");
        this.exitedCount = counters.counter("tasks.exited");
        this.failed = counters.counter("tasks.failed");
        this.owned = counters.counter("tasks.owned");
        this.irqRaised = counters.counter("irq.received");
        this.irqWoken = counters.counter("irq.woken");
        this.irqForwarded = counters.counter("irq.forwarded");
        this.worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("tasks-" + kernel.name()).factory());
        this.io = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("tasks-io-" + kernel.name()).factory());
        int cores = kernel.context().cores();
        this.timeline = new CoreTimeline(cores, 4096, clock.now());
        this.steps = new StepLog(65_536, kernel.trace());
        this.nightWatch = new NightWatch(kernel.id(), kernel.name(), table, mailbox, worker, io, this::weakPeers, this::gone, counters);
        Scheduler.Settings settings = Scheduler.Settings.of(cores, new CoreSpeed(kernel.context().speed(), kernel.context().baseHz()),
            kernel.context().timeSlice().toNanos(), kernel.context().maxLead().toNanos());
        this.scheduler = new Scheduler(kernel.name(), settings, clock, timeline, steps, nightWatch, new CounterSink(counters, cores));
        nightWatch.bind(scheduler);
        this.migrations = new Migrations(this);
        mailbox.onInterrupt(MailboxType.IRQ, this::onIrq);
        reclaimPreviousIncarnation();
        collectGarbageRegions();
        running = true;
        scheduler.start();
        this.reaper = Thread.ofPlatform().daemon().name("reaper-" + kernel.name()).start(this::reaperLoop);
        LOG.info("kernel {}: task service up: table '{}' of {} slots ({}, {} accessor), {} core(s) at {} x {} Hz, slice {} us, programs {}",
            kernel.name(), TaskRegions.TABLE, table.slots(), table.dataModel(), table.accessor(), cores, kernel.context().speed(),
            kernel.context().baseHz(), kernel.context().timeSlice().toNanos() / 1000, programs.all().keySet());
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new TaskControlService(this, migrations));
    }

    @Override
    public void close() {
        running = false;
        if (reaper != null) {
            reaper.interrupt();
        }
        if (scheduler != null) {
            if (scheduler.stop(java.time.Duration.ofSeconds(3))) {
                // what this kernel still owns is lost with it: say so in the table rather than leave it RUNNING
                for (KernelThread thread : List.copyOf(threads.values())) {
                    try {
                        abandon(thread.slot(), thread.descriptor(), STOPPED_EXIT_CODE);
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
        if (migrations != null) {
            migrations.close();
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
        TaskDescriptor task = table.view(slot);
        String programName = task.commString();
        Program program = programs.get(programName);
        ProgramArgs none = ProgramArgs.none(programName);
        int tid = task.pid();
        int pid = task.tgid();
        long leaderSlot = tid == pid ? slot : table.slotOf(pid).orElseThrow(() -> new NoSuchThreadException("thread " + tid
            + ": its process leader " + pid + " is not in the task table"));
        TypedRegion<?> data = null;
        Optional<ProgramData> threadData = program.threadData(none);
        if (threadData.isPresent()) {
            String name = TaskRegions.threadData(tid, task.dataGen());
            data = typed.attach(name, threadData.get().view());
            attachedHere.add(name);
        }
        TypedRegion<?> shared = null;
        Optional<ProgramData> processData = program.processData(none);
        if (processData.isPresent()) {
            shared = typed.attach(TaskRegions.processData(pid), processData.get().view());
            attachedHere.add(TaskRegions.processData(pid));
        }
        return new KernelThread(this, slot, task, program, leaderSlot, data, shared);
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
            LOG.warn("kernel {}: thread {} of process {} ({}) failed: {}", kernel.name(), thread.tid(), thread.pid(),
                thread.program().name(), failure.toString());
        }
        forgetProcessIfGone(thread);
        worker.execute(() -> retire(thread.slot(), thread.descriptor(), thread.leaderSlot()));
    }

    /**
     * After a thread ended: its data region goes, its process counts one thread less, and its slot
     * is freed after the retention (the leader's, with its process's data, once the whole process
     * has ended, so that {@code ps --all} and the process's data stay readable meanwhile).
     */
    private void retire(long slot, TaskDescriptor task, long leaderSlot) {
        try {
            int tid = task.pid();
            exited.put(tid, new Exited(slot, System.nanoTime()));
            if (task.data() != 0) {
                releaseRegion(TaskRegions.threadData(tid, task.dataGen()));
            }
            if (leaderSlot >= 0) {
                table.threadsWord().addAndGet(leaderSlot, -1);
            }
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: could not retire the thread of slot {}: {}", kernel.name(), slot, e.toString());
        }
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
                    migrations.peers().tasks(owner, 10_000).release(ReleaseRequest.newBuilder().addRegions(name)
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

    // ------------------------------------------------------------------ interrupts

    /**
     * Interrupt line {@code irq} was raised here: wakes this kernel's threads waiting on it. A
     * device interrupt (not one forwarded by another kernel) is also forwarded, as an IRQ word, to
     * every other kernel with a thread waiting on the line (each kernel says how many of its
     * threads wait on each line in its counters area, {@code irq.waiters.<line>}).
     *
     * @return {woken here, kernels forwarded to}
     */
    public int[] raise(int irq, boolean fromDevice) {
        irqRaised.increment();
        int woken = scheduler.irq(irq);
        irqWoken.add(woken);
        int forwarded = 0;
        if (fromDevice) {
            String label = "irq.waiters." + irq;
            for (KernelRecord record : membership().all()) {
                int other = record.getKernelId();
                if (other == kernel.id() || record.getState() != KernelState.RUNNING || kernel.memory().countersArea(other).value(label) <= 0) {
                    continue;
                }
                io.execute(() -> {
                    try {
                        mailbox.send(other, MailboxType.IRQ, irq);
                    } catch (RuntimeException e) {
                        LOG.warn("kernel {}: cannot forward IRQ {} to kernel {}: {}", kernel.name(), irq, other, e.getMessage());
                    }
                });
                forwarded++;
            }
            irqForwarded.add(forwarded);
        }
        return new int[] {woken, forwarded};
    }

    /** Adds an observer of every IRQ word this kernel handles, called on the interrupt context: it must not block. */
    public void observeInterrupts(InterruptObserver observer) {
        interruptObservers.add(observer);
    }

    /** An IRQ word: from a device (the coordinator, a tool) or forwarded by another kernel. Never touches shared state here. */
    private void onIrq(Interrupt interrupt) {
        int irq = interrupt.payload();
        for (InterruptObserver observer : interruptObservers) {
            observer.onInterrupt(irq, !MemberIds.isKernel(interrupt.sender()));
        }
        boolean fromDevice = !MemberIds.isKernel(interrupt.sender());
        kernel.trace().instant(TraceEvent.IRQ, TraceRing.KERNEL_TRACK, irq, fromDevice ? 1 : 0);
        worker.execute(() -> raise(irq, fromDevice));
    }

    // ------------------------------------------------------------------ reclaiming

    /** Threads a previous incarnation of this kernel id owned are lost: mark them EXITED. */
    private void reclaimPreviousIncarnation() {
        for (long slot : table.slotsInUse()) {
            Ownership ownership = table.ownership(slot);
            if (ownership.owner() == kernel.id()) {
                TaskDescriptor task = table.view(slot);
                if (task.pid() == 0) {
                    table.freeSlot(slot, 0); // claimed but never published
                    continue;
                }
                if (ownership.migrating()) {
                    table.changeOwnership(slot, ownership, Ownership.of(Ownership.owned(kernel.id())));
                }
                if (task.state() != TaskState.EXITED.code()) {
                    LOG.warn("kernel {}: thread {} of process {} belonged to this kernel's previous incarnation: lost", kernel.name(),
                        task.pid(), task.tgid());
                    abandon(slot, task, LOST_EXIT_CODE);
                } else {
                    exited.putIfAbsent(task.pid(), new Exited(slot, 0));
                }
            }
        }
    }

    /**
     * Regions of the task service whose pages this kernel owns but that no thread uses (left by a
     * crash of this kernel id's previous incarnation): freed at boot.
     */
    private void collectGarbageRegions() {
        for (Contract contract : typed.regions()) {
            if (contract.getLocation().getOwnerKernel() != kernel.id()) {
                continue;
            }
            String name = contract.getName();
            long[] threadData = TaskRegions.parseThreadData(name);
            int pid = TaskRegions.parseProcessData(name);
            boolean garbage;
            if (threadData != null) {
                OptionalLong slot = table.slotOf((int) threadData[0]);
                garbage = slot.isEmpty() || table.view(slot.getAsLong()).state() == TaskState.EXITED.code()
                    || table.view(slot.getAsLong()).dataGen() != threadData[1];
            } else if (pid > 0) {
                OptionalLong leader = table.slotOf(pid);
                garbage = leader.isEmpty() || !table.processAlive(leader.getAsLong());
            } else {
                continue;
            }
            if (garbage) {
                LOG.info("kernel {}: freeing region '{}', left over by a previous incarnation", kernel.name(), name);
                destroyQuietly(name);
            }
        }
    }

    /**
     * Marks a thread that can never run again EXITED with {@code code}, takes it out of its
     * process's NightWatch gate as if it had exited, and retires it. A NightWatch thread lost with
     * a dead kernel is not taken out of the gate's running count here: its descriptor in global
     * memory may be older than the gate (a software-coherent page last written back before the
     * thread took its core) or caught between the two (the kernel died between entering the gate
     * and saying RUNNING, or between leaving and saying READY), and a wrong decrement would take a
     * live kernel's thread off the count. The normal threads' kernel releases a dead kernel's share
     * instead, once every live weak kernel answered SUSPEND_NW ({@code NightWatch}).
     */
    private void abandon(long slot, TaskDescriptor task, int code) {
        TaskState state = TaskState.of(task.state());
        if (state == TaskState.EXITED) {
            return;
        }
        boolean nightWatchThread = TaskFlags.nightWatch(task.flags());
        OptionalLong leader = task.pid() == task.tgid() ? OptionalLong.of(slot) : table.slotOf(task.tgid());
        task.exitCode(code);
        task.state(TaskState.EXITED.code());
        if (leader.isPresent()) {
            NightWatchGate gate = nightWatch.gate();
            try {
                if (!nightWatchThread && (state == TaskState.READY || state == TaskState.RUNNING)) {
                    gate.sleep(leader.getAsLong());
                } else if (nightWatchThread && state == TaskState.RUNNING && code == STOPPED_EXIT_CODE) {
                    gate.leave(leader.getAsLong()); // this kernel's own thread, after its scheduler stopped: the state is current
                }
            } catch (IllegalStateException e) {
                LOG.warn("kernel {}: NightWatch gate of process {}: {}", kernel.name(), task.tgid(), e.getMessage());
            }
        }
        retire(slot, task, leader.orElse(-1));
    }

    private void reaperLoop() {
        while (running) {
            LockSupport.parkNanos(REAPER_PERIOD_NS);
            if (!running) {
                return;
            }
            try {
                reap();
            } catch (RuntimeException e) {
                LOG.warn("kernel {}: reaper: {}", kernel.name(), e.toString());
            }
        }
    }

    /**
     * Frees the slots of threads that ended here at least {@link #EXITED_RETENTION_NS} ago (a
     * process's leader last, once all its threads have ended), forgets regions that were freed,
     * and, when a kernel died, takes over its threads (marked EXITED: lost with it). Reads no
     * descriptor but those of its own exited threads, except after a death.
     */
    void reap() {
        long now = System.nanoTime();
        for (Map.Entry<Integer, Exited> entry : List.copyOf(exited.entrySet())) {
            int tid = entry.getKey();
            Exited gone = entry.getValue();
            if (now - gone.atNs < EXITED_RETENTION_NS) {
                continue;
            }
            TaskDescriptor task = table.view(gone.slot);
            if (task.pid() != tid || !table.ownership(gone.slot).equals(new Ownership(kernel.id(), Ownership.NONE))) {
                exited.remove(tid); // no longer ours
                continue;
            }
            if (tid == task.tgid()) {
                // the leader holds its process's gate, thread count and data: it goes last, a retention after the process ended
                if (table.processAlive(gone.slot)) {
                    continue;
                }
                if (gone.processEndedNs == 0) {
                    gone.processEndedNs = now;
                }
                if (now - gone.processEndedNs < EXITED_RETENTION_NS) {
                    continue;
                }
                releaseRegion(TaskRegions.processData(tid));
            }
            table.freeSlot(gone.slot, tid);
            exited.remove(tid);
        }
        for (String name : List.copyOf(attachedHere)) {
            if (typed.contract(name).isEmpty()) {
                typed.forget(name);
                attachedHere.remove(name);
            }
        }
        takeOverDeadKernels();
    }

    /**
     * When a kernel died (DEAD in membership, or gone from it since the last look): its threads are
     * lost; this kernel marks them EXITED and reclaims them. Scans the table only then: on a
     * software-coherent table a scan takes every descriptor's page.
     */
    private void takeOverDeadKernels() {
        Map<Integer, String> members = new java.util.HashMap<>();
        java.util.Set<String> dead = new java.util.TreeSet<>();
        for (KernelRecord record : membership().all()) {
            members.put(record.getKernelId(), record.getIncarnation() + ":" + record.getState());
            if (record.getState() == KernelState.DEAD) {
                dead.add(record.getKernelId() + ":" + record.getIncarnation());
            }
        }
        for (Map.Entry<Integer, String> seen : lastMembership.entrySet()) {
            if (!members.containsKey(seen.getKey())) {
                dead.add(seen.getKey() + ":gone");
            }
        }
        boolean changed = !members.equals(lastMembership);
        lastMembership = members;
        if (!changed || dead.isEmpty() || dead.equals(lastDead)) {
            return;
        }
        lastDead = dead;
        for (long slot : table.slotsInUse()) {
            Ownership ownership = table.ownership(slot);
            if (ownership.free() || ownership.owner() == kernel.id() || alive(ownership.owner())) {
                continue;
            }
            // A dead source's thread marked as migrating to a live kernel: that kernel takes it over (it alone, so that the
            // take-over and a MIGRATE the source sent before it died meet on one compare-and-set, in one kernel).
            if (ownership.migrating() && alive(ownership.migratingTo()) && ownership.migratingTo() != kernel.id()) {
                continue;
            }
            Optional<KernelRecord> record = membership().get(ownership.owner());
            if (record.isPresent() && record.get().getState() != KernelState.DEAD) {
                continue; // booting or stopping: not dead yet
            }
            TaskDescriptor task = table.view(slot);
            if (!table.changeOwnership(slot, ownership, Ownership.of(Ownership.owned(kernel.id())))) {
                continue;
            }
            if (task.pid() == 0) {
                // claimed by the dead kernel but never published, or published only in its private copy of the table's page,
                // which died with it: nothing to reap but the slot
                table.freeSlot(slot, 0);
                continue;
            }
            if (task.state() == TaskState.EXITED.code()) {
                exited.putIfAbsent(task.pid(), new Exited(slot, System.nanoTime()));
            } else {
                LOG.warn("kernel {}: thread {} of process {} was lost with kernel {}; marked EXITED ({})", kernel.name(), task.pid(),
                    task.tgid(), kernelName(ownership.owner()), LOST_EXIT_CODE);
                abandon(slot, task, LOST_EXIT_CODE);
            }
        }
    }

    private void destroyQuietly(String name) {
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
        private final Map<Integer, KernelCountersArea.Counter> irqWaiters = new java.util.HashMap<>();

        CounterSink(KernelCountersArea counters, int coreCount) {
            this.counters = counters;
            this.steps = counters.counter("sched.steps");
            this.voluntary = counters.counter("sched.switches.voluntary");
            this.involuntary = counters.counter("sched.switches.involuntary");
            int counted = Math.min(coreCount, MAX_CORES_COUNTED);
            this.cores = new KernelCountersArea.Counter[counted][];
            for (int i = 0; i < counted; i++) {
                cores[i] = new KernelCountersArea.Counter[] {counters.counter("sched.core" + i + ".busy_ns"),
                    counters.counter("sched.core" + i + ".idle_ns"), counters.counter("sched.core" + i + ".wakeups")};
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
            KernelCountersArea.Counter counter = irqWaiters.get(line);
            if (counter == null) {
                if (count == 0) {
                    return;
                }
                counter = counters.counter("irq.waiters." + line);
                irqWaiters.put(line, counter);
            }
            counter.set(count);
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
