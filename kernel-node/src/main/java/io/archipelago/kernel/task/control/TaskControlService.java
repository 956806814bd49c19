package io.archipelago.kernel.task.control;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.kernel.migration.MigrationException;
import io.archipelago.kernel.migration.Migrations;
import io.archipelago.kernel.sched.CoreInterval;
import io.archipelago.kernel.sched.CoreTimeline;
import io.archipelago.kernel.sched.StepLog;
import io.archipelago.kernel.sched.StepRecord;
import io.archipelago.kernel.task.Interrupts;
import io.archipelago.kernel.task.Programs;
import io.archipelago.kernel.task.TaskFailures;
import io.archipelago.kernel.task.TaskService;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.model.TaskDescriptor;
import io.archipelago.kernel.task.model.TaskFlags;
import io.archipelago.kernel.task.model.TaskRegions;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.task.proto.ListProgramsRequest;
import io.archipelago.task.proto.ProgramInfo;
import io.archipelago.task.proto.ProgramList;
import io.archipelago.task.proto.AdoptReply;
import io.archipelago.task.proto.CoreTotals;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationEvent;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.RaiseIrqReply;
import io.archipelago.task.proto.RaiseIrqRequest;
import io.archipelago.task.proto.SchedEventsReply;
import io.archipelago.task.proto.SchedEventsRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.SpawnedThread;
import io.archipelago.task.proto.StepEvent;
import io.archipelago.task.proto.TaskControlGrpc;
import io.archipelago.task.proto.TaskImage;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.TaskList;
import io.archipelago.task.proto.ThreadKind;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The task service's control API ({@code TaskControl} in {@code task.proto}). */
public final class TaskControlService extends TaskControlGrpc.TaskControlImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(TaskControlService.class);
    private static final int MAX_STEP_EVENTS = 50_000;
    /** The state {@code ps --all} gives a failed thread whose slot was reclaimed: it is listed for its failure. */
    public static final String RECLAIMED = "RECLAIMED";

    private final TaskService tasks;
    private final Interrupts interrupts;
    private final Migrations migrations;
    private final OwnerRouting routing;

    public TaskControlService(TaskService tasks, Interrupts interrupts, Migrations migrations, OwnerRouting routing) {
        this.tasks = tasks;
        this.interrupts = interrupts;
        this.migrations = migrations;
        this.routing = routing;
    }

    @Override
    public void spawn(SpawnRequest request, StreamObserver<SpawnReply> response) {
        answer(response, () -> {
            boolean nightWatch = request.getKind() == ThreadKind.NIGHTWATCH;
            TaskService.Spawned spawned = tasks.spawn(request.getProgram(), request.getPid(), Math.max(1, request.getThreads()), nightWatch,
                request.getArgsMap());
            SpawnReply.Builder reply = SpawnReply.newBuilder().setPid(spawned.pid()).addAllTids(spawned.tids()).setKernel(tasks.kernelName());
            for (int tid : spawned.tids()) {
                reply.addThreads(SpawnedThread.newBuilder().setTid(tid).setKind(nightWatch ? ThreadKind.NIGHTWATCH : ThreadKind.NORMAL)
                    .setKernel(tasks.kernelName()));
            }
            return reply.build();
        });
    }

    @Override
    public void listTasks(ListTasksRequest request, StreamObserver<TaskList> response) {
        answer(response, () -> list(request.getAll()));
    }

    private TaskList list(boolean all) {
        TaskTable table = tasks.table();
        TaskList.Builder list = TaskList.newBuilder().setReadBy(tasks.kernelName()).setAccessor(table.accessor().name())
            .setSlots((int) table.slots());
        for (long slot : table.slotsInUse()) {
            TaskDescriptor task = table.view(slot);
            int tid = task.pid();
            TaskState state = TaskState.of(task.state());
            if (tid == 0 || state == TaskState.NEW || (!all && state == TaskState.EXITED)) {
                continue;
            }
            Ownership ownership = table.ownership(slot);
            TaskInfo.Builder info = TaskInfo.newBuilder()
                .setPid(task.tgid())
                .setTid(tid)
                .setProgram(task.commString())
                .setKind(TaskFlags.nightWatch(task.flags()) ? ThreadKind.NIGHTWATCH : ThreadKind.NORMAL)
                .setKernelId(ownership.owner())
                .setKernel(tasks.kernelName(ownership.owner()))
                .setState(state.name())
                .setSteps(task.steps())
                .setCycles(task.cycles())
                .setUtimeNs(task.utime())
                .setMigrations((int) task.migrations())
                .setMigratingTo(ownership.migratingTo())
                .setNvcsw(task.nvcsw())
                .setNivcsw(task.nivcsw())
                .setExitCode(task.exitCode())
                .setWaitIrq(task.waitIrq() == 0xFFFF_FFFFL ? -1 : (int) task.waitIrq());
            if (state == TaskState.EXITED) {
                tasks.failure(tid).ifPresent(info::setFailure);
            }
            for (int r = 0; r < TaskDescriptor.REGISTERS; r++) {
                info.addRegs(task.regs(r));
            }
            if (task.data() != 0) {
                String region = TaskRegions.threadData(tid, task.dataGen());
                info.setDataRegion(region);
                tasks.typed().contract(region).ifPresent(contract -> info.setDataModel(contract.getDataModel())
                    .setDataBytes(contract.getLocation().getBytes()));
            }
            list.addTasks(info);
        }
        if (all) {
            // Threads whose program threw stay visible after their slots are reclaimed, the last few of them.
            for (TaskFailures.Reclaimed gone : tasks.reclaimedFailures()) {
                list.addTasks(TaskInfo.newBuilder().setPid(gone.pid()).setTid(gone.tid()).setProgram(gone.program())
                    .setKind(ThreadKind.NORMAL).setKernelId(gone.kernelId()).setKernel(tasks.kernelName(gone.kernelId()))
                    .setState(RECLAIMED).setMigratingTo(-1).setExitCode(gone.exitCode()).setWaitIrq(-1).setFailure(gone.failure()));
            }
        }
        return list.build();
    }

    @Override
    public void migrate(MigrateRequest request, StreamObserver<MigrateReply> response) {
        answer(response, () -> {
            int destination;
            if (!request.getTo().isEmpty()) {
                KernelRecord record = tasks.membership().byNameOrId(request.getTo()).orElseThrow(() -> new MigrationException(
                    MigrationException.Kind.UNKNOWN_KERNEL, "no kernel named or numbered '" + request.getTo() + "' in membership; kernels: "
                    + tasks.membership().describeKernels()));
                destination = record.getKernelId();
            } else {
                destination = request.getToId();
            }
            MigrateRequest normalised = request.getMode() == MigrationMode.MIGRATION_MODE_UNSPECIFIED
                ? request.toBuilder().setMode(MigrationMode.SHARED_MEMORY).build() : request;
            return routing.migrate(normalised, destination);
        });
    }

    @Override
    public void kill(io.archipelago.task.proto.KillRequest request, StreamObserver<io.archipelago.task.proto.KillReply> response) {
        answer(response, () -> routing.kill(request.getHops() > 0 ? request : request.toBuilder().setHops(3).build()));
    }

    @Override
    public void release(io.archipelago.task.proto.ReleaseRequest request, StreamObserver<io.archipelago.task.proto.ReleaseReply> response) {
        answer(response, () -> io.archipelago.task.proto.ReleaseReply.newBuilder().addAllFreed(tasks.release(request.getRegionsList())).build());
    }

    @Override
    public void adoptTask(TaskImage request, StreamObserver<AdoptReply> response) {
        answer(response, () -> migrations.adopt(request));
    }

    @Override
    public void prepareAdoption(io.archipelago.task.proto.AdoptionNotice request, StreamObserver<AdoptReply> response) {
        answer(response, () -> migrations.prepareAdoption(request));
    }

    @Override
    public void schedEvents(SchedEventsRequest request, StreamObserver<SchedEventsReply> response) {
        answer(response, () -> {
            SchedEventsReply.Builder reply = SchedEventsReply.newBuilder().setKernel(tasks.kernelName()).setKernelId(tasks.kernelId())
                .setVirtualNowNs(tasks.clock().now());
            StepLog.Slice slice = request.getSkipSteps() ? new StepLog.Slice(java.util.List.of(), 0, tasks.scheduler().steps().lastSeq())
                : tasks.scheduler().steps().since(request.getSince(), MAX_STEP_EVENTS);
            for (StepRecord step : slice.records()) {
                reply.addSteps(StepEvent.newBuilder().setSeq(step.seq()).setTid(step.tid()).setPid(step.pid())
                    .setKind(step.nightWatch() ? ThreadKind.NIGHTWATCH : ThreadKind.NORMAL).setCore(step.core())
                    .setHostStartNs(step.hostStartNs()).setHostEndNs(step.hostEndNs()).setVirtualStartNs(step.virtualStartNs())
                    .setVirtualEndNs(step.virtualEndNs()).setCycles(step.cycles()));
            }
            reply.setDropped(slice.dropped()).setLastSeq(slice.lastSeq());
            CoreTimeline timeline = tasks.scheduler().timeline();
            if (request.getCoreIntervals()) {
                for (int core = 0; core < timeline.cores(); core++) {
                    for (CoreInterval interval : timeline.history(core)) {
                        reply.addIntervals(io.archipelago.task.proto.CoreInterval.newBuilder().setCore(interval.core())
                            .setState(interval.state().name()).setStartNs(interval.startNs()).setEndNs(interval.endNs()));
                    }
                }
            }
            for (CoreTimeline.Totals totals : tasks.scheduler().coreTotals()) {
                reply.addCores(CoreTotals.newBuilder().setCore(totals.core()).setBusyNs(totals.busyNs()).setIdleNs(totals.idleNs())
                    .setWakeups(totals.wakeups()));
            }
            for (TaskService.MigrationRecord record : tasks.migrationRecords()) {
                if (record.firstStepNs() <= request.getMigrationsAfterNs()) {
                    continue;
                }
                reply.addMigrations(MigrationEvent.newBuilder().setTid(record.tid()).setFromKernel(record.fromKernel())
                    .setToKernel(record.toKernel()).setMode(record.byMessages() ? MigrationMode.MESSAGES : MigrationMode.SHARED_MEMORY)
                    .setStoppedNs(record.stoppedNs()).setAdoptedNs(record.adoptedNs()).setFirstStepNs(record.firstStepNs())
                    .setStateBytes(record.stateBytes()));
            }
            return reply.build();
        });
    }

    @Override
    public void raiseIrq(RaiseIrqRequest request, StreamObserver<RaiseIrqReply> response) {
        answer(response, () -> {
            if (request.getIrq() < 0 || request.getIrq() > 0xFF_FFFF) {
                throw new IllegalArgumentException("an irq line is 0..16777215, found " + request.getIrq());
            }
            int[] result = interrupts.raise(request.getIrq(), true);
            return RaiseIrqReply.newBuilder().setWoken(result[0]).setForwarded(result[1]).build();
        });
    }

    @Override
    public void listPrograms(ListProgramsRequest request, StreamObserver<ProgramList> response) {
        answer(response, () -> {
            ProgramList.Builder list = ProgramList.newBuilder().setKernel(tasks.kernelName());
            tasks.programs().all().forEach((name, program) -> list.addPrograms(ProgramInfo.newBuilder().setName(name)
                .setSummary(program.summary()).setSource(tasks.programs().source(name))));
            return list.build();
        });
    }

    /** Runs a call and maps what can go wrong to a status that says it. */
    private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (MigrationException.Forwarded e) {
            response.onError(e.status());
            return;
        } catch (MigrationException e) {
            Status status = switch (e.kind()) {
                case UNKNOWN_THREAD, UNKNOWN_KERNEL -> Status.NOT_FOUND;
                case EXITED, DEAD_KERNEL, UNDER_WAY, NOT_ALLOWED, REFUSED -> Status.FAILED_PRECONDITION;
                case INVALID -> Status.INVALID_ARGUMENT;
                case HANDOFF_FAILED, RETRY -> Status.UNAVAILABLE;
            };
            response.onError(status.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (Programs.UnknownProgramException | TaskService.NoSuchThreadException e) {
            response.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (TaskService.TaskStateException | TaskTable.TaskTableFullException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            LOG.warn("task control call failed", e);
            response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
