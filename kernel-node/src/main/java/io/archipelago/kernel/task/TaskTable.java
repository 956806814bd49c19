package io.archipelago.kernel.task;

import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.TypedMemory;
import io.archipelago.typed.TypedRegion;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * The cluster's task table as one kernel sees it: {@code tasks.table}, an array of
 * {@link TaskDescriptor}s in typed shared memory (laid out for the data model of the kernel that
 * created it, read by every other kernel through morphed accessors), and {@code tasks.globals}
 * ({@link SchedGlobals}). Hands out cluster-unique pids from the shared counter, claims and frees
 * slots, finds a thread's slot, and changes the shared words by compare-and-set.
 * <p>
 * A slot is in use when its ownership word is not 0. It is claimed by one CAS (0 to "owned by
 * me"), filled, and published by writing its pid last; it is freed by writing pid 0, then
 * ownership 0. Readers skip slots whose pid is 0.
 */
public final class TaskTable {

    /** The largest pid: a pid travels in the 24-bit payload of a mailbox word (RESUME_NW, MIGRATE). */
    public static final int MAX_PID = 0xFF_FFFF;

    private final TypedRegion<TaskDescriptor> region;
    private final TypedRegion<SchedGlobals> globals;
    private final SharedWord owner;
    private final SharedWord gate;
    private final SharedWord lastPid;
    private final SharedWord epoch;
    private final Map<Integer, Long> slotCache = new ConcurrentHashMap<>();
    private final AtomicLong nextProbe = new AtomicLong();
    private final ThreadLocal<TaskDescriptor> cursor;

    private TaskTable(TypedRegion<TaskDescriptor> region, TypedRegion<SchedGlobals> globals) {
        this.region = region;
        this.globals = globals;
        this.owner = SharedWord.of(region, "owner");
        this.gate = SharedWord.of(region, "nw_gate");
        this.lastPid = SharedWord.of(globals, "last_pid");
        this.epoch = SharedWord.of(globals, "epoch_ns");
        this.cursor = ThreadLocal.withInitial(() -> region.at(0));
    }

    /**
     * Attaches the cluster's task table, creating it with {@code slots} slots (in this kernel's
     * layout) when no kernel has yet, and sets the cluster's virtual-time epoch if nobody did.
     */
    public static TaskTable open(TypedMemory typed, int slots) {
        TypedRegion<SchedGlobals> globals = TaskRegions.createOrAttach(typed, TaskRegions.GLOBALS, SchedGlobals.class, 1);
        TypedRegion<TaskDescriptor> table = TaskRegions.createOrAttach(typed, TaskRegions.TABLE, TaskDescriptor.class, slots);
        TaskTable opened = new TaskTable(table, globals);
        opened.epoch.compareAndSet(0, 0, System.nanoTime());
        return opened;
    }

    public TypedRegion<TaskDescriptor> region() {
        return region;
    }

    public long slots() {
        return region.count();
    }

    /** The data model the table is laid out for (its creator's). */
    public DataModel dataModel() {
        return region.dataModel();
    }

    /** NATIVE when this kernel's layout is the table's, MORPHED otherwise. */
    public AccessorKind accessor() {
        return region.accessor();
    }

    /** Host monotonic nanoseconds at the cluster's virtual time 0. */
    public long epochHostNs() {
        return epoch.get(0);
    }

    /**
     * A new cluster-unique pid (also used as a thread id).
     *
     * @throws IllegalStateException when all 2^24 - 1 pids were handed out
     */
    public int allocatePid() {
        while (true) {
            long last = lastPid.get(0);
            if (last >= MAX_PID) {
                throw new IllegalStateException("no pid left: all " + MAX_PID + " pids of this cluster were handed out");
            }
            if (lastPid.compareAndSet(0, last, last + 1)) {
                return (int) (last + 1);
            }
        }
    }

    /** A view of slot {@code slot} (a new object: keep it for the thread's lifetime). */
    public TaskDescriptor view(long slot) {
        return region.at(slot);
    }

    /**
     * Claims a free slot for {@code kernel}: one CAS of its ownership word from free to "owned by
     * {@code kernel}". The slot's pid is still 0: the caller fills it and publishes the pid last.
     *
     * @throws TaskTableFullException when every slot is in use
     */
    public long claimSlot(int kernel) {
        long slots = slots();
        long start = Math.floorMod(nextProbe.getAndIncrement(), slots);
        for (long i = 0; i < slots; i++) {
            long slot = (start + i) % slots;
            if (owner.get(slot) == Ownership.FREE_WORD && owner.compareAndSet(slot, Ownership.FREE_WORD, Ownership.owned(kernel))) {
                TaskDescriptor task = view(slot);
                task.pid(0);
                task.state(TaskState.NEW.code());
                gate.set(slot, 0);
                nextProbe.set(slot + 1);
                return slot;
            }
        }
        throw new TaskTableFullException("the task table is full: all " + slots + " slots hold live or recently exited threads "
            + "(exited threads are reclaimed after a few seconds; a bigger table: -D" + "archipelago.tasks.slots on the kernel that creates it)");
    }

    /** Frees a slot: pid 0 first (readers skip it), then its ownership word. */
    public void freeSlot(long slot, int tid) {
        TaskDescriptor task = view(slot);
        task.pid(0);
        task.state(TaskState.NEW.code());
        slotCache.remove(tid);
        owner.set(slot, Ownership.FREE_WORD);
    }

    /** The slot of thread {@code tid}, if it is in the table. */
    public OptionalLong slotOf(int tid) {
        if (tid <= 0) {
            return OptionalLong.empty();
        }
        Long cached = slotCache.get(tid);
        TaskDescriptor task = cursor.get();
        if (cached != null) {
            region.moveTo(task, cached);
            if (task.pid() == tid && owner.get(cached) != Ownership.FREE_WORD) {
                return OptionalLong.of(cached);
            }
            slotCache.remove(tid);
        }
        long slots = slots();
        for (long slot = 0; slot < slots; slot++) {
            region.moveTo(task, slot);
            if (task.pid() == tid && owner.get(slot) != Ownership.FREE_WORD) {
                slotCache.put(tid, slot);
                return OptionalLong.of(slot);
            }
        }
        return OptionalLong.empty();
    }

    public Ownership ownership(long slot) {
        return Ownership.of((int) owner.get(slot));
    }

    /** Changes a slot's ownership word from {@code expected} to {@code update}, atomically. */
    public boolean changeOwnership(long slot, Ownership expected, Ownership update) {
        return owner.compareAndSet(slot, Integer.toUnsignedLong(expected.word()), Integer.toUnsignedLong(update.word()));
    }

    /** The NightWatch gate word of a thread group, in its leader's slot. */
    public SharedWord gateWord() {
        return gate;
    }

    /** The kernels that own (or are receiving) a live NightWatch thread of process {@code pid}. */
    public Set<Integer> nightWatchKernels(int pid) {
        Set<Integer> kernels = new LinkedHashSet<>();
        forEachInUse(slot -> {
            TaskDescriptor task = cursor.get();
            if (task.tgid() == pid && TaskFlags.nightWatch(task.flags()) && task.state() != TaskState.EXITED.code()) {
                Ownership ownership = ownership(slot);
                kernels.add(ownership.owner());
                if (ownership.migrating()) {
                    kernels.add(ownership.migratingTo());
                }
            }
        });
        kernels.remove(Ownership.NONE);
        return kernels;
    }

    /** The kernels owning a thread BLOCKED on interrupt line {@code irq}. */
    public Set<Integer> kernelsWaitingOn(int irq) {
        Set<Integer> kernels = new LinkedHashSet<>();
        forEachInUse(slot -> {
            TaskDescriptor task = cursor.get();
            if (task.state() == TaskState.BLOCKED.code() && task.waitIrq() == Integer.toUnsignedLong(irq)) {
                kernels.add(ownership(slot).owner());
            }
        });
        kernels.remove(Ownership.NONE);
        return kernels;
    }

    /** Whether process {@code pid} has a thread that has not exited. */
    public boolean processAlive(int pid) {
        boolean[] alive = new boolean[1];
        forEachInUse(slot -> {
            TaskDescriptor task = cursor.get();
            if (task.tgid() == pid && task.state() != TaskState.EXITED.code()) {
                alive[0] = true;
            }
        });
        return alive[0];
    }

    /** Whether any slot in use holds a thread of process {@code pid}, exited or not. */
    public boolean processInTable(int pid) {
        boolean[] found = new boolean[1];
        forEachInUse(slot -> {
            if (cursor.get().tgid() == pid) {
                found[0] = true;
            }
        });
        return found[0];
    }

    /** How many threads of process {@code pid} of one kind are in the table. */
    public int threadsOf(int pid, boolean nightWatch) {
        int[] count = new int[1];
        forEachInUse(slot -> {
            TaskDescriptor task = cursor.get();
            if (task.tgid() == pid && TaskFlags.nightWatch(task.flags()) == nightWatch) {
                count[0]++;
            }
        });
        return count[0];
    }

    /** Slots in use with a published pid, in slot order. */
    public List<Long> slotsInUse() {
        List<Long> slots = new ArrayList<>();
        forEachInUse(slot -> slots.add(slot));
        return slots;
    }

    /** Runs {@code action} for every slot in use with a published pid; the thread's {@link #cursor} view is at that slot. */
    private void forEachInUse(java.util.function.LongConsumer action) {
        TaskDescriptor task = cursor.get();
        long slots = slots();
        for (long slot = 0; slot < slots; slot++) {
            if (owner.get(slot) == Ownership.FREE_WORD) {
                continue;
            }
            region.moveTo(task, slot);
            if (task.pid() != 0) {
                action.accept(slot);
            }
        }
    }

    /** Counts slots in use matching {@code ownedBy}. */
    public int count(IntPredicate ownedBy) {
        int[] count = new int[1];
        forEachInUse(slot -> {
            if (ownedBy.test(ownership(slot).owner())) {
                count[0]++;
            }
        });
        return count[0];
    }

    /** Every slot is in use. */
    public static final class TaskTableFullException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public TaskTableFullException(String message) {
            super(message);
        }
    }
}
