package io.archipelago.kernel.task;

import static io.archipelago.kernel.task.TaskService.LOST_EXIT_CODE;
import static io.archipelago.kernel.task.TaskService.STOPPED_EXIT_CODE;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.nightwatch.NightWatch;
import io.archipelago.kernel.nightwatch.NightWatchGate;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskFlags;
import io.archipelago.kernel.task.model.TaskRegions;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.proto.Contract;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What is left when threads end: the slots of threads that exited here (freed after a retention,
 * a process's leader last), the regions that were freed elsewhere, what this kernel id's previous
 * incarnation left behind (at boot), and the threads of kernels that died (taken over and marked
 * EXITED: lost with their kernel). Runs on its own thread, twice a second.
 */
final class Reaper {

    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);
    /** Exited threads stay visible in {@code ps} at least this long before their slot is reclaimed. */
    static final long EXITED_RETENTION_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long REAPER_PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private final TaskService tasks;
    private final Kernel kernel;
    private final TaskTable table;
    private final TypedMemory typed;
    private final NightWatch nightWatch;
    private final Set<String> attachedHere;
    /** Threads that ended on this kernel (or that it took over from a dead one), whose slots it frees after the retention. */
    private final Map<Integer, Exited> exited = new ConcurrentHashMap<>();
    /** The membership this kernel last looked at for dead kernels (by kernel id). */
    private Map<Integer, Member> lastMembership = Map.of();
    /** The dead kernels the last take-over looked at. */
    private Set<DeadKernel> lastDead = Set.of();
    private volatile boolean running;
    private Thread thread;

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

    /** A kernel as membership showed it. */
    private record Member(long incarnation, KernelState state) {
    }

    /** One incarnation of a kernel that died: DEAD in membership, or gone from it since the last look. */
    private record DeadKernel(int id, long incarnation, boolean goneFromMembership) {
    }

    Reaper(TaskService tasks, NightWatch nightWatch) {
        this.tasks = tasks;
        this.kernel = tasks.kernel();
        this.table = tasks.table();
        this.typed = tasks.typed();
        this.nightWatch = nightWatch;
        this.attachedHere = tasks.attachedHere();
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("reaper-" + kernel.name()).start(this::reaperLoop);
    }

    void stop() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /**
     * After a thread ended: its data region goes, its process counts one thread less, and its slot
     * is freed after the retention (the leader's, with its process's data, once the whole process
     * has ended, so that {@code ps --all} and the process's data stay readable meanwhile).
     */
    void retire(long slot, TaskDescriptor task, long leaderSlot) {
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

    /** Threads a previous incarnation of this kernel id owned are lost: mark them EXITED. */
    void reclaimPreviousIncarnation() {
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
    void collectGarbageRegions() {
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
    void abandon(long slot, TaskDescriptor task, int code) {
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
            tasks.forgetFailure(tid);
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
        Map<Integer, Member> members = new HashMap<>();
        Set<DeadKernel> dead = new HashSet<>();
        for (KernelRecord record : membership().all()) {
            members.put(record.getKernelId(), new Member(record.getIncarnation(), record.getState()));
            if (record.getState() == KernelState.DEAD) {
                dead.add(new DeadKernel(record.getKernelId(), record.getIncarnation(), false));
            }
        }
        for (Map.Entry<Integer, Member> seen : lastMembership.entrySet()) {
            if (!members.containsKey(seen.getKey())) {
                dead.add(new DeadKernel(seen.getKey(), seen.getValue().incarnation(), true));
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

    private Membership membership() {
        return kernel.membership();
    }

    private boolean alive(int id) {
        return tasks.alive(id);
    }

    private String kernelName(int id) {
        return tasks.kernelName(id);
    }

    private void releaseRegion(String name) {
        tasks.releaseRegion(name);
    }

    private void destroyQuietly(String name) {
        tasks.destroyQuietly(name);
    }
}
