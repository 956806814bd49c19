package io.archipelago.coordinator;

import io.archipelago.directory.Domains;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.task.proto.ClusterPrograms;
import io.archipelago.task.proto.ListProgramsRequest;
import io.archipelago.task.proto.ListTasksRequest;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.RunRequest;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnRequest;
import io.archipelago.task.proto.TaskDirectoryGrpc;
import io.archipelago.task.proto.TaskList;
import io.archipelago.task.proto.ThreadKind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The CLI's front for tasks ({@code archipelago run / ps / migrate}): places a program's threads
 * (normal threads on a kernel of the fastest island or the one named, NightWatch threads spread
 * over the kernels of weaker islands, as K2 pins them) and passes the rest to a running kernel,
 * which reads the shared task table or forwards a migration to the thread's owner. A migration
 * goes straight to the kernel this directory last saw the thread on, when it knows one.
 */
final class TaskDirectoryService extends TaskDirectoryGrpc.TaskDirectoryImplBase {

    private static final long SPAWN_DEADLINE_MS = 30_000;
    private static final long LIST_DEADLINE_MS = 10_000;
    private static final long MIGRATE_DEADLINE_MS = 60_000;

    private final Membership membership;
    private final KernelChannels kernels;
    /**
     * The kernel each thread was last seen on through this directory (placed by {@code run},
     * moved by {@code migrate}): where a migration is sent first. A thread that moved otherwise
     * (a program or a benchmark asking a kernel directly) is found by that kernel, which forwards
     * the request to the owner as before.
     */
    private final java.util.concurrent.ConcurrentHashMap<Integer, String> lastSeenOn = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED = 65_536;

    TaskDirectoryService(Membership membership, KernelChannels kernels) {
        this.membership = membership;
        this.kernels = kernels;
    }

    private List<KernelRecord> running() {
        return membership.all().stream().filter(r -> r.getState() == KernelState.RUNNING && r.hasControl() && r.getControl().getPort() > 0)
            .sorted(Comparator.comparingInt(KernelRecord::getKernelId)).toList();
    }

    private static String control(KernelRecord record) {
        return record.getControl().getHost() + ":" + record.getControl().getPort();
    }

    @Override
    public void run(RunRequest request, StreamObserver<SpawnReply> response) {
        try {
            response.onNext(place(request));
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            response.onError(e);
        }
    }

    private SpawnReply place(RunRequest request) {
        int normal = request.getThreads();
        int nightWatch = request.getNightwatch();
        if (normal < 0 || nightWatch < 0 || normal + nightWatch < 1 || normal + nightWatch > 256) {
            throw Status.INVALID_ARGUMENT.withDescription("a process has 1 to 256 threads (normal + NightWatch), found " + normal + " + "
                + nightWatch).asRuntimeException();
        }
        List<KernelRecord> running = running();
        if (running.isEmpty()) {
            throw Status.UNAVAILABLE.withDescription("no kernel is RUNNING").asRuntimeException();
        }
        double fastest = running.stream().mapToDouble(r -> r.getIsland().getSpeed()).max().orElseThrow();
        // weak: slower than the cluster's fastest island, whatever its kernels' state (a dead strong kernel does not promote a weak one)
        double strong = Domains.strongSpeed(membership.all());
        List<KernelRecord> weak = running.stream().filter(r -> Domains.weak(r, strong)).toList();
        KernelRecord home;
        if (!request.getOn().isEmpty()) {
            home = membership.byNameOrId(request.getOn()).orElseThrow(() -> Status.NOT_FOUND.withDescription("no kernel named or numbered '"
                + request.getOn() + "'; kernels: " + membership.describeKernels()).asRuntimeException());
            if (home.getState() != KernelState.RUNNING) {
                throw Status.FAILED_PRECONDITION.withDescription("kernel " + home.getName() + " is " + home.getState()).asRuntimeException();
            }
        } else {
            home = running.stream().filter(r -> r.getIsland().getSpeed() == fastest).findFirst().orElseThrow();
        }
        if (nightWatch > 0 && weak.isEmpty()) {
            throw Status.FAILED_PRECONDITION.withDescription("NightWatch threads are pinned to weak islands, and every running kernel is on "
                + "an island of speed " + fastest + ": there is no weaker one").asRuntimeException();
        }
        SpawnReply.Builder reply = SpawnReply.newBuilder();
        int pid = 0;
        if (normal > 0) {
            SpawnReply spawned = kernels.tasks(control(home)).withDeadlineAfter(SPAWN_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .spawn(SpawnRequest.newBuilder().setProgram(request.getProgram()).setThreads(normal).setKind(ThreadKind.NORMAL)
                    .putAllArgs(request.getArgsMap()).build());
            pid = spawned.getPid();
            seen(spawned.getTidsList(), spawned.getKernel());
            reply.setKernel(spawned.getKernel()).addAllTids(spawned.getTidsList()).addAllThreads(spawned.getThreadsList());
        }
        List<Integer> shares = new ArrayList<>();
        for (int i = 0; i < weak.size(); i++) {
            shares.add(nightWatch / weak.size() + (i < nightWatch % weak.size() ? 1 : 0));
        }
        for (int i = 0; i < weak.size(); i++) {
            if (shares.get(i) == 0) {
                continue;
            }
            SpawnReply spawned = kernels.tasks(control(weak.get(i))).withDeadlineAfter(SPAWN_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .spawn(SpawnRequest.newBuilder().setProgram(request.getProgram()).setPid(pid).setThreads(shares.get(i))
                    .setKind(ThreadKind.NIGHTWATCH).putAllArgs(request.getArgsMap()).build());
            if (pid == 0) {
                pid = spawned.getPid();
                reply.setKernel(spawned.getKernel());
            }
            seen(spawned.getTidsList(), spawned.getKernel());
            reply.addAllTids(spawned.getTidsList()).addAllThreads(spawned.getThreadsList());
        }
        return reply.setPid(pid).build();
    }

    @Override
    public void listPrograms(ListProgramsRequest request, StreamObserver<ClusterPrograms> response) {
        ClusterPrograms.Builder all = ClusterPrograms.newBuilder();
        for (KernelRecord record : running()) {
            try {
                all.addKernels(kernels.tasks(control(record)).withDeadlineAfter(LIST_DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .listPrograms(request));
            } catch (StatusRuntimeException e) {
                all.addUnreachable(record.getName() + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription());
            }
        }
        response.onNext(all.build());
        response.onCompleted();
    }

    @Override
    public void listTasks(ListTasksRequest request, StreamObserver<TaskList> response) {
        StatusRuntimeException last = Status.UNAVAILABLE.withDescription("no kernel is RUNNING to read the task table").asRuntimeException();
        for (KernelRecord record : running()) {
            try {
                response.onNext(kernels.tasks(control(record)).withDeadlineAfter(LIST_DEADLINE_MS, TimeUnit.MILLISECONDS).listTasks(request));
                response.onCompleted();
                return;
            } catch (StatusRuntimeException e) {
                last = e;
            }
        }
        response.onError(last);
    }

    @Override
    public void kill(io.archipelago.task.proto.KillRequest request, StreamObserver<io.archipelago.task.proto.KillReply> response) {
        List<KernelRecord> running = running();
        if (running.isEmpty()) {
            response.onError(Status.UNAVAILABLE.withDescription("no kernel is RUNNING").asRuntimeException());
            return;
        }
        try {
            response.onNext(kernels.tasks(control(running.getFirst())).withDeadlineAfter(MIGRATE_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .kill(request));
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            response.onError(e);
        }
    }

    @Override
    public void migrate(MigrateRequest request, StreamObserver<MigrateReply> response) {
        List<KernelRecord> running = running();
        if (running.isEmpty()) {
            response.onError(Status.UNAVAILABLE.withDescription("no kernel is RUNNING").asRuntimeException());
            return;
        }
        // straight to the owner when this directory knows it (one hop); else a running kernel finds the owner and forwards
        String owner = lastSeenOn.get(request.getTid());
        KernelRecord first = running.stream().filter(r -> r.getName().equals(owner)).findFirst().orElse(running.getFirst());
        try {
            MigrateRequest forwarded = request.getHops() > 0 ? request : request.toBuilder().setHops(3).build();
            MigrateReply reply = kernels.tasks(control(first)).withDeadlineAfter(MIGRATE_DEADLINE_MS, TimeUnit.MILLISECONDS).migrate(forwarded);
            seen(List.of(reply.getTid()), reply.getTo());
            response.onNext(reply);
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            response.onError(e);
        }
    }

    private void seen(List<Integer> tids, String kernel) {
        if (kernel.isEmpty()) {
            return;
        }
        if (lastSeenOn.size() > MAX_REMEMBERED) {
            lastSeenOn.clear(); // a hint only: forgetting costs one forward per thread
        }
        for (int tid : tids) {
            lastSeenOn.put(tid, kernel);
        }
    }
}
