package io.archipelago.kernel.task.control;

import io.archipelago.kernel.migration.MigrationException;
import io.archipelago.kernel.migration.Migrations;
import io.archipelago.kernel.task.KernelThread;
import io.archipelago.kernel.task.PeerKernels;
import io.archipelago.kernel.task.TaskService;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.task.proto.KillReply;
import io.archipelago.task.proto.KillRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.grpc.StatusRuntimeException;
import java.util.OptionalLong;

/**
 * The one place that routes a request about a thread to the kernel that owns it, for a kill and a
 * migration alike: a thread this kernel runs is served here; a thread another running kernel owns
 * has the request forwarded there with one hop less (a request chasing a thread that keeps moving
 * ends); anything else is refused, saying why.
 */
public final class OwnerRouting {

    /** How long a forwarded kill may take on the owner (it waits for the thread's next migration point). */
    private static final long KILL_DEADLINE_MS = 40_000;

    /** What the request wants of the thread: the refusals say what could not be done. */
    private enum Purpose { MIGRATE, KILL }

    private final TaskService tasks;
    private final Migrations migrations;
    private final TaskTable table;
    private final PeerKernels peers;
    private final int self;

    public OwnerRouting(TaskService tasks, Migrations migrations) {
        this.tasks = tasks;
        this.migrations = migrations;
        this.table = tasks.table();
        this.peers = tasks.peers();
        this.self = tasks.kernelId();
    }

    /**
     * Migrates thread {@code request.tid} to kernel {@code destination}, from whichever kernel owns
     * it (this one, or the owner this call is forwarded to). Blocks until the destination has it or
     * the migration failed.
     *
     * @throws MigrationException saying what was wrong, with the thread still running where it was
     */
    public MigrateReply migrate(MigrateRequest request, int destination) {
        KernelThread thread = tasks.localThread(request.getTid()).orElse(null);
        if (thread != null) {
            return migrations.migrate(thread, request, destination);
        }
        int owner = owner(request.getTid(), request.getHops(), Purpose.MIGRATE);
        try {
            return peers.tasks(owner, Migrations.STOP_TIMEOUT.toMillis() + 2 * Migrations.HANDOFF_TIMEOUT.toMillis())
                .migrate(request.toBuilder().setToId(destination).setTo("").setHops(request.getHops() - 1).build());
        } catch (StatusRuntimeException e) {
            throw new MigrationException.Forwarded(e);
        }
    }

    /**
     * Kills thread {@code tid} on its owner: here, or forwarded.
     *
     * @throws MigrationException for an unknown or exited thread, or an owner that is not running
     */
    public KillReply kill(KillRequest request) {
        int tid = request.getTid();
        if (tasks.localThread(tid).isPresent()) {
            long steps = tasks.kill(tid);
            return KillReply.newBuilder().setTid(tid).setKernel(tasks.kernelName()).setSteps(steps).build();
        }
        int owner = owner(tid, request.getHops(), Purpose.KILL);
        try {
            return peers.tasks(owner, KILL_DEADLINE_MS).kill(request.toBuilder().setHops(request.getHops() - 1).build());
        } catch (StatusRuntimeException e) {
            throw new MigrationException.Forwarded(e);
        }
    }

    /**
     * The running kernel that owns thread {@code tid}, which this kernel does not run, to forward
     * a request to.
     *
     * @throws MigrationException for an unknown or exited thread, one being migrated, an owner that
     *                            is not running, or a request out of hops
     */
    private int owner(int tid, int hops, Purpose purpose) {
        OptionalLong slot = table.slotOf(tid);
        if (slot.isEmpty()) {
            throw new MigrationException(MigrationException.Kind.UNKNOWN_THREAD, "no thread " + tid + " in the task table");
        }
        TaskDescriptor task = table.view(slot.getAsLong());
        Ownership ownership = table.ownership(slot.getAsLong());
        if (task.state() == TaskState.EXITED.code()) {
            throw new MigrationException(MigrationException.Kind.EXITED, switch (purpose) {
                case MIGRATE -> "thread " + tid + " has exited (code " + task.exitCode() + ") on " + tasks.kernelName(ownership.owner());
                case KILL -> "thread " + tid + " has already exited (code " + task.exitCode() + ")";
            });
        }
        if (ownership.migrating() && ownership.owner() != self && !tasks.alive(ownership.owner())) {
            throw new MigrationException(MigrationException.Kind.DEAD_KERNEL, "thread " + tid + " was being migrated from kernel "
                + tasks.kernelName(ownership.owner()) + ", which died before handing it over: it is lost, and the reaper of kernel "
                + tasks.kernelName(ownership.migratingTo()) + " marks it EXITED");
        }
        if (ownership.owner() == self || ownership.migrating()) {
            throw new MigrationException(MigrationException.Kind.UNDER_WAY, switch (purpose) {
                case MIGRATE -> "a migration of thread " + tid + " to " + tasks.kernelName(ownership.migrating() ? ownership.migratingTo() : self)
                    + " is already under way; try again once it is done";
                case KILL -> "thread " + tid + " is migrating; try again once it is done";
            });
        }
        if (!tasks.alive(ownership.owner())) {
            throw new MigrationException(MigrationException.Kind.DEAD_KERNEL, "thread " + tid + " belongs to kernel "
                + tasks.kernelName(ownership.owner()) + ", which is not running");
        }
        if (hops <= 0) {
            throw new MigrationException(MigrationException.Kind.RETRY, "thread " + tid + " moved while the request followed it; try again");
        }
        return ownership.owner();
    }
}
