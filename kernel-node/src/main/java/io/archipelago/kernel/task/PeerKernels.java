package io.archipelago.kernel.task;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlChannels;
import io.archipelago.task.proto.TaskControlGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * Authenticated gRPC channels from this kernel to other kernels' control APIs, found through
 * membership (a restarted kernel is found at its new endpoint): the control channel a migration
 * by messages sends the thread's state over, a kill or a migration forwarded to a thread's owner
 * travels on, and a region's release goes to its owner through.
 */
public final class PeerKernels implements AutoCloseable {

    private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final Membership membership;
    private final ControlChannels<String> channels;

    public PeerKernels(Membership membership, ClusterSecret secret, String caller) {
        this.membership = membership;
        this.channels = new ControlChannels<>(secret, caller);
    }

    /**
     * A stub for kernel {@code id}'s task control, with a deadline.
     *
     * @throws io.grpc.StatusRuntimeException UNAVAILABLE when the kernel is not in membership or serves no control endpoint
     */
    public TaskControlGrpc.TaskControlBlockingStub tasks(int id, long deadlineMs) {
        KernelRecord record = membership.get(id).orElseThrow(() -> Status.UNAVAILABLE
            .withDescription("kernel " + id + " is not in membership").asRuntimeException());
        if (!record.hasControl() || record.getControl().getPort() == 0) {
            throw Status.UNAVAILABLE.withDescription("kernel " + record.getName() + " serves no control API yet (" + record.getState() + ")")
                .asRuntimeException();
        }
        String endpoint = record.getControl().getHost() + ":" + record.getControl().getPort();
        ManagedChannel channel = channels.channel(endpoint, e -> NettyChannelBuilder
            .forAddress(record.getControl().getHost(), record.getControl().getPort())
            .maxInboundMessageSize(MAX_MESSAGE_BYTES));
        return TaskControlGrpc.newBlockingStub(channel).withMaxInboundMessageSize(MAX_MESSAGE_BYTES)
            .withMaxOutboundMessageSize(MAX_MESSAGE_BYTES).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        channels.close();
    }
}
