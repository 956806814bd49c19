package io.archipelago.kernel.task.model;

import io.archipelago.program.SharedWord;
import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster's task table as one kernel sees it: {@code tasks.table}, an array of
 * {@link TaskDescriptor}s in typed shared memory (laid out for the data model of the kernel that
 * created it, read by every other kernel through morphed accessors), and {@code tasks.globals}
 * ({@link SchedGlobals}). Hands out cluster-unique pids from the shared counter, claims and frees
 * slots in the shared slot map, finds a thread's slot, and changes the shared words by
 * compare-and-set.
 * <p>
 * A slot is in use when its bit in the slot map is set. It is claimed by one CAS of the map word
 * (preferring slot {@code tid % slots}, so that a thread's slot is found at the first probe),
 * given an owner, filled, and published by writing its pid last; it is freed by writing pid 0 and
 * ownership 0, then clearing its bit. Readers skip slots whose pid is 0. On a software-coherent
 * table every read of a descriptor takes its page (K2's DSM has no shared read state), so the
 * table is only scanned on demand ({@code ps}, a kernel's death), never periodically.
 */
public final class TaskTable {

    /** The largest pid: a pid travels in the 24-bit payload of a mailbox word (RESUME_NW, MIGRATE). */
    public static final int MAX_PID = 0xFF_FFFF;

    private final TypedRegion<TaskDescriptor> region;
    private final SharedWord owner;
    private final SharedWord gate;
    private final SharedWord threads;
    private final SharedWord lastPid;
    private final SharedWord epoch;
    private final SharedWord slotMap;
    private final int slots;
    private final Map<Integer, Long> slotCache = new ConcurrentHashMap<>();

    private TaskTable(TypedRegion<TaskDescriptor> region, TypedRegion<SchedGlobals> globals) {
        this.region = region;
        this.owner = SharedWord.of(region, "owner");
        this.gate = SharedWord.of(region, "nw_gate");
        this.threads = SharedWord.of(region, "nr_threads");
        this.lastPid = SharedWord.of(globals, "last_pid");
        this.epoch = SharedWord.of(globals, "epoch_ns");
        this.slotMap = SharedWord.of(globals, "slot_map");
        this.slots = (int) Math.min(region.count(), (long) slotMap.items() * 64);
    }

    /**
     * Attaches the cluster's task table, creating it with {@code slots} slots (in this kernel's
     * layout, with {@code coherence}) when no kernel has yet, and sets the cluster's virtual-time
     * epoch if nobody did.
     */
    public static TaskTable open(TypedMemory typed, int slots, io.archipelago.typed.proto.Coherence coherence) {
        if (slots < 1 || slots > SchedGlobals.MAX_SLOTS) {
            throw new IllegalArgumentException("a task table has 1 to " + SchedGlobals.MAX_SLOTS + " slots, found " + slots);
        }
        TypedRegion<SchedGlobals> globals = TaskRegions.createOrAttach(typed, TaskRegions.GLOBALS, SchedGlobals.class, 1, coherence);
        TypedRegion<TaskDescriptor> table = TaskRegions.createOrAttach(typed, TaskRegions.TABLE, TaskDescriptor.class, slots, coherence);
        TaskTable opened = new TaskTable(table, globals);
        opened.epoch.compareAndSet(0, 0, System.nanoTime());
        return opened;
    }

    public TypedRegion<TaskDescriptor> region() {
        return region;
    }

    public long slots() {
        return slots;
    }

    /** The data model the table is laid out for (its creator's). */
    public DataModel dataModel() {
        return region.dataModel();
    }

    /** NATIVE when this kernel's layout is the table's, MORPHED otherwise. */
    public AccessorKind accessor() {
        return region.accessor();
    }

    public boolean softwareCoherent() {
        return region.softwareCoherent();
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
     * Claims a free slot for thread {@code tid} of kernel {@code kernel}: one CAS of its bit in
     * the slot map (slot {@code tid % slots} if it is free), then its ownership. The slot's pid is
     * still 0: the caller fills it and publishes the pid last.
     *
     * @throws TaskTableFullException when every slot is in use
     */
    public long claimSlot(int kernel, int tid) {
        int start = Math.floorMod(tid, slots);
        for (int i = 0; i < slots; i++) {
            int slot = (start + i) % slots;
            int word = slot / 64;
            long bit = 1L << (slot % 64);
            long map = slotMap.get(0, word);
            if ((map & bit) == 0 && slotMap.compareAndSet(0, word, map, map | bit)) {
                owner.set(slot, Integer.toUnsignedLong(Ownership.owned(kernel)));
                TaskDescriptor task = view(slot);
                task.pid(0);
                task.state(TaskState.NEW.code());
                gate.set(slot, 0);
                threads.set(slot, 0);
                return slot;
            }
        }
        throw new TaskTableFullException("the task table is full: all " + slots + " slots hold live or recently exited threads "
            + "(exited threads are reclaimed a few seconds after they end; a bigger table: -Darchipelago.tasks.slots on the kernel "
            + "that creates it, up to " + SchedGlobals.MAX_SLOTS + ")");
    }

    /** Frees a slot: pid 0 first (readers skip it), its ownership, then its bit in the slot map. */
    public void freeSlot(long slot, int tid) {
        TaskDescriptor task = view(slot);
        task.pid(0);
        task.state(TaskState.NEW.code());
        slotCache.remove(tid);
        owner.set(slot, Ownership.FREE_WORD);
        int word = (int) (slot / 64);
        long bit = 1L << (slot % 64);
        while (true) {
            long map = slotMap.get(0, word);
            if ((map & bit) == 0 || slotMap.compareAndSet(0, word, map, map & ~bit)) {
                return;
            }
        }
    }

    /** The slot of thread {@code tid}, if it is in the table: probes from {@code tid % slots}, reading only slots in use. */
    public OptionalLong slotOf(int tid) {
        if (tid <= 0) {
            return OptionalLong.empty();
        }
        Long cached = slotCache.get(tid);
        if (cached != null) {
            // pids are never reused, so a slot that still holds this pid is its slot (a freed slot holds pid 0)
            if (view(cached).pid() == tid) {
                return OptionalLong.of(cached);
            }
            slotCache.remove(tid);
        }
        // the slot claimed for it first (tid % slots, free nearly always), before the slot map: on a software-coherent
        // table the map's page is the one every kernel's spawn and exit writes, and reading it would fault it in from
        // whichever kernel wrote it last, while the thread's own descriptor page is usually here already (a migration's
        // source hands it over). A slot holding this pid is its slot: the pid is written after the slot's bit is set
        // and cleared before it is cleared, and pids are never reused.
        int preferred = Math.floorMod(tid, slots);
        if (view(preferred).pid() == tid) {
            slotCache.put(tid, (long) preferred);
            return OptionalLong.of(preferred);
        }
        long[] map = slotMap.getAll(0);
        TaskDescriptor task = view(0);
        int start = Math.floorMod(tid, slots);
        for (int i = 0; i < slots; i++) {
            int slot = (start + i) % slots;
            if (!inUse(map, slot)) {
                continue;
            }
            region.moveTo(task, slot);
            if (task.pid() == tid) {
                slotCache.put(tid, (long) slot);
                return OptionalLong.of(slot);
            }
        }
        return OptionalLong.empty();
    }

    private static boolean inUse(long[] map, long slot) {
        return (map[(int) (slot / 64)] & (1L << (slot % 64))) != 0;
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

    /** The live threads of a thread group, counted in its leader's slot. */
    public SharedWord threadsWord() {
        return threads;
    }

    /** Whether process {@code pid} (its leader in {@code leaderSlot}) has a thread that has not exited. */
    public boolean processAlive(long leaderSlot) {
        return threads.get(leaderSlot) > 0;
    }

    /** How many threads of process {@code pid} of one kind are in the table (reads every slot in use). */
    public int threadsOf(int pid, boolean nightWatch) {
        int count = 0;
        TaskDescriptor task = view(0);
        for (long slot : slotsInUse()) {
            region.moveTo(task, slot);
            if (task.tgid() == pid && task.pid() != 0 && TaskFlags.nightWatch(task.flags()) == nightWatch) {
                count++;
            }
        }
        return count;
    }

    /** The slots in use, in slot order (from the slot map: no descriptor is read). */
    public List<Long> slotsInUse() {
        long[] map = slotMap.getAll(0);
        List<Long> used = new ArrayList<>();
        for (int slot = 0; slot < slots; slot++) {
            if (inUse(map, slot)) {
                used.add((long) slot);
            }
        }
        return used;
    }

    /** Every slot is in use. */
    public static final class TaskTableFullException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public TaskTableFullException(String message) {
            super(message);
        }
    }
}
