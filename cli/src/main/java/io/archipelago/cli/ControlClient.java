package io.archipelago.cli;

import io.archipelago.control.proto.ClusterControlGrpc;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.ShutdownReply;
import io.archipelago.control.proto.ShutdownRequest;
import io.archipelago.control.proto.StatusRequest;
import io.archipelago.coordinator.CoordinatorInfo;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlAuthentication;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's connection to a cluster's coordinator, found through {@code coordinator.json} in
 * the cluster directory and authenticated with the cluster secret. Every call has a deadline;
 * every failure becomes a {@link CliException} that says what to do.
 */
public final class ControlClient implements AutoCloseable {

    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

    private final ClusterDirectory directory;
    private final CoordinatorInfo info;
    private final ManagedChannel channel;
    private final ClusterControlGrpc.ClusterControlBlockingStub stub;

    private ControlClient(ClusterDirectory directory, CoordinatorInfo info, ClusterSecret secret) {
        this.directory = directory;
        this.info = info;
        this.channel = NettyChannelBuilder.forAddress(info.host(), info.port())
            .usePlaintext()
            .intercept(ControlAuthentication.client(secret, "cli@" + ProcessHandle.current().pid()))
            .build();
        this.stub = ClusterControlGrpc.newBlockingStub(channel);
    }

    /**
     * Connects to the coordinator of the cluster in {@code directory}.
     *
     * @throws CliException when no coordinator of that cluster is alive
     */
    public static ControlClient connect(ClusterDirectory directory) {
        CoordinatorInfo info = CoordinatorInfo.readFrom(directory.coordinatorInfoFile()).orElseThrow(() -> new CliException(
            "no cluster '" + directory.clusterName() + "' is running (no coordinator in " + directory.path()
                + "); start one with `archipelago up`"));
        ClusterSecret secret;
        try {
            secret = ClusterSecret.readFrom(directory.secretFile());
        } catch (RuntimeException e) {
            throw new CliException("cannot talk to cluster '" + directory.clusterName() + "': " + e.getMessage());
        }
        return new ControlClient(directory, info, secret);
    }

    public CoordinatorInfo info() {
        return info;
    }

    public ClusterStatus status() {
        return call(() -> stub.withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).status(StatusRequest.getDefaultInstance()));
    }

    /** Every region of typed shared memory (the region registry). */
    public io.archipelago.control.proto.RegionList regions() {
        return call(() -> io.archipelago.control.proto.RegionDirectoryGrpc.newBlockingStub(channel)
            .withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .listRegions(io.archipelago.control.proto.ListRegionsRequest.getDefaultInstance()));
    }

    /** Starts a program's threads ({@code archipelago run}). */
    public io.archipelago.task.proto.SpawnReply run(io.archipelago.task.proto.RunRequest request) {
        return taskCall("run " + request.getProgram(), () -> tasks(Duration.ofSeconds(60)).run(request));
    }

    /** The cluster's tasks, read from the shared task table by a kernel ({@code archipelago ps}). */
    public io.archipelago.task.proto.TaskList tasks(boolean all) {
        return taskCall("ps", () -> tasks(DEFAULT_DEADLINE).listTasks(io.archipelago.task.proto.ListTasksRequest.newBuilder().setAll(all)
            .build()));
    }

    /** Migrates a thread ({@code archipelago migrate}). */
    public io.archipelago.task.proto.MigrateReply migrate(io.archipelago.task.proto.MigrateRequest request) {
        return taskCall("migrate " + request.getTid(), () -> tasks(Duration.ofSeconds(90)).migrate(request));
    }

    /** Ends a thread ({@code archipelago kill}). */
    public io.archipelago.task.proto.KillReply kill(int tid) {
        return taskCall("kill " + tid, () -> tasks(Duration.ofSeconds(60)).kill(io.archipelago.task.proto.KillRequest.newBuilder().setTid(tid)
            .build()));
    }

    private io.archipelago.task.proto.TaskDirectoryGrpc.TaskDirectoryBlockingStub tasks(Duration deadline) {
        return io.archipelago.task.proto.TaskDirectoryGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(),
            TimeUnit.MILLISECONDS);
    }

    /** A task call: what the kernels answer (unknown thread, dead kernel, migration under way...) is the message. */
    private <T> T taskCall(String what, java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription();
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE && !info.processAlive()) {
                throw new CliException("cluster '" + directory.clusterName() + "' is not running: its coordinator (pid " + info.pid()
                    + ") is gone");
            }
            throw switch (e.getStatus().getCode()) {
                case NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, ALREADY_EXISTS, OUT_OF_RANGE -> new CliException(what + ": " + description);
                case UNAUTHENTICATED -> new CliException(what + ": the coordinator refused us: " + description);
                default -> new CliException(what + ": " + e.getStatus().getCode() + (description == null ? "" : ": " + description));
            };
        }
    }

    /** What every RUNNING kernel can run. */
    public io.archipelago.task.proto.ClusterPrograms programs() {
        return taskCall("programs", () -> tasks(DEFAULT_DEADLINE.plusSeconds(10))
            .listPrograms(io.archipelago.task.proto.ListProgramsRequest.getDefaultInstance()));
    }

    /** Releases a region of a dead kernel (the meta-level manager returns the blocks retained for it to the pool). */
    public io.archipelago.control.proto.ReleaseRegionReply releaseRegion(String name) {
        return call(() -> io.archipelago.control.proto.MemoryManagerGrpc.newBlockingStub(channel)
            .withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .releaseRegion(io.archipelago.control.proto.ReleaseRegionRequest.newBuilder().setName(name).build()));
    }

    /** The balloon meta-level manager's figures. */
    public io.archipelago.control.proto.MemoryManagerStatus memoryManager() {
        return call(() -> io.archipelago.control.proto.MemoryManagerGrpc.newBlockingStub(channel)
            .withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .status(io.archipelago.control.proto.ManagerStatusRequest.getDefaultInstance()));
    }

    /** Configures the coordinator's emulated devices (unset fields unchanged) and returns their state and the interrupt routing counts. */
    public io.archipelago.devices.proto.DeviceStatus devices(io.archipelago.devices.proto.DeviceConfig config) {
        return taskCall("devices", () -> io.archipelago.devices.proto.DeviceControlGrpc.newBlockingStub(channel)
            .withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS).configure(config));
    }

    public ShutdownReply shutdown(Duration grace) {
        return call(() -> stub.withDeadlineAfter(DEFAULT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
            .shutdown(ShutdownRequest.newBuilder().setGraceMs(grace.toMillis()).build()));
    }

    private <T> T call(java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            String where = "the coordinator of cluster '" + directory.clusterName() + "' at " + info.host() + ":" + info.port()
                + " (pid " + info.pid() + ")";
            throw switch (e.getStatus().getCode()) {
                case UNAVAILABLE -> info.processAlive()
                    ? new CliException("cannot reach " + where + ": " + e.getStatus().getDescription())
                    : new CliException("cluster '" + directory.clusterName() + "' is not running: its coordinator (pid " + info.pid()
                        + ") is gone; `archipelago down --cluster " + directory.clusterName() + "` cleans up what it left");
                case DEADLINE_EXCEEDED -> new CliException(where + " did not answer within " + DEFAULT_DEADLINE.toSeconds() + " s");
                case UNAUTHENTICATED -> new CliException(where + " refused us: " + e.getStatus().getDescription());
                case NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT -> new CliException(e.getStatus().getDescription());
                default -> new CliException(where + " failed: " + e.getStatus());
            };
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
