package io.archipelago.coordinator;

import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MemoryStatus;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.Endpoint;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's status, read entirely from the cluster directory: membership for who exists,
 * and each kernel's counters area in global memory for liveness and counters, without asking
 * any kernel.
 */
final class StatusAssembler {

    private final ClusterDirectory directory;
    private final GlobalMemory memory;
    private final Membership membership;
    private final HeartbeatJudge heartbeats;

    StatusAssembler(ClusterDirectory directory, GlobalMemory memory, Membership membership, HeartbeatJudge heartbeats) {
        this.directory = directory;
        this.memory = memory;
        this.membership = membership;
        this.heartbeats = heartbeats;
    }

    ClusterStatus status(long coordinatorPid, long startedAtMs) {
        long now = System.currentTimeMillis();
        Map<Integer, Integer> census = memory.ownership().census();
        ClusterStatus.Builder status = ClusterStatus.newBuilder()
            .setCluster(directory.clusterName())
            .setDirectory(directory.path().toString())
            .setCoordinatorPid(coordinatorPid)
            .setUptimeMs(now - startedAtMs)
            .setMemory(MemoryStatus.newBuilder()
                .setFile(memory.file().toString())
                .setBytes(memory.geometry().memoryBytes())
                .setPageSize(memory.geometry().pageSize())
                .setBlockSize(memory.geometry().blockSize())
                .setDataBlocks(memory.geometry().dataBlocks())
                .setFreeBlocks(census.getOrDefault(io.archipelago.memory.BlockOwnershipTable.FREE, 0)));
        for (KernelRecord record : membership.all()) {
            status.addKernels(kernel(record, census, now));
        }
        return status.build();
    }

    KernelStatus kernel(KernelRecord record, Map<Integer, Integer> census, long now) {
        KernelCountersArea area = memory.countersArea(record.getKernelId());
        boolean current = area.incarnation() == record.getIncarnation();
        boolean dead = record.getState() == KernelState.DEAD;
        KernelStatus.Builder kernel = KernelStatus.newBuilder()
            .setId(record.getKernelId())
            .setName(record.getName())
            .setIsland(record.getIsland().getName())
            .setDataModel(record.getIsland().getDataModel())
            .setDomain(record.getIsland().getCoherenceDomain())
            .setCores(record.getIsland().getCores())
            .setSpeed(record.getIsland().getSpeed())
            .setPid(record.getPid())
            .setHost(record.getHost())
            .setState(record.getState().name())
            .setUptimeMs(dead ? 0 : now - record.getStartedAtMs())
            // how long the coordinator has seen the kernel's heartbeat count unchanged, on its monotonic clock
            .setHeartbeatAgeMs(current ? TimeUnit.NANOSECONDS.toMillis(heartbeats.silenceNanos(record.getKernelId(),
                record.getIncarnation(), area.heartbeats())) : -1)
            // a dead kernel shows the blocks retained for its typed regions
            .setBlocks(census.getOrDefault(record.getKernelId(), 0)
                + census.getOrDefault(io.archipelago.memory.BlockOwnershipTable.retainedFor(record.getKernelId()), 0))
            .setReason(record.getReason())
            .setMailbox(endpoint(record.getMailbox()))
            .setControl(record.getControl().getHost().isEmpty() ? "" : record.getControl().getHost() + ":" + record.getControl().getPort());
        if (current) {
            for (KernelCountersArea.CounterValue counter : area.read()) {
                kernel.addCounters(Counter.newBuilder().setLabel(counter.label()).setValue(counter.value()));
            }
            kernel.setAsleep(area.signals().asleep());
            for (int waiters : area.signals().irqWaiters()) {
                kernel.addIrqWaiters(waiters);
            }
        }
        return kernel.build();
    }

    private static String endpoint(Endpoint endpoint) {
        if (endpoint.getTransport().isEmpty()) {
            return "";
        }
        return "unix".equals(endpoint.getTransport()) ? "unix:" + endpoint.getHost()
            : endpoint.getTransport() + ":" + endpoint.getHost() + ":" + endpoint.getPort();
    }
}
