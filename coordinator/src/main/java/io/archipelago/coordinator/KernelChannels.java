package io.archipelago.coordinator;

import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlChannels;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

/**
 * Authenticated gRPC channels to kernels' control APIs ({@code host:port} as membership and
 * {@code status} publish them), for the CLI's bench and demo. Callers set deadlines per call.
 */
public final class KernelChannels implements AutoCloseable {

    private static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

    private final ControlChannels<String> channels;

    public KernelChannels(ClusterSecret secret, String caller) {
        this.channels = new ControlChannels<>(secret, caller);
    }

    private ManagedChannel channel(String control) {
        int colon = control.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("a kernel control endpoint is host:port, found '" + control + "'");
        }
        return channels.channel(control, c -> NettyChannelBuilder.forAddress(c.substring(0, colon), Integer.parseInt(c.substring(colon + 1)))
            .maxInboundMessageSize(MAX_MESSAGE_BYTES));
    }

    public KernelMailboxGrpc.KernelMailboxBlockingStub mailbox(String control) {
        return KernelMailboxGrpc.newBlockingStub(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    /** Task control of a kernel (spawn, list, migrate, scheduling events). */
    public io.archipelago.task.proto.TaskControlGrpc.TaskControlBlockingStub tasks(String control) {
        return io.archipelago.task.proto.TaskControlGrpc.newBlockingStub(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    public io.archipelago.control.proto.DsmControlGrpc.DsmControlBlockingStub dsm(String control) {
        return io.archipelago.control.proto.DsmControlGrpc.newBlockingStub(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    /** A kernel's page allocator and movable pages (independent memory services). */
    public io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub memory(String control) {
        return io.archipelago.control.proto.KernelMemoryGrpc.newBlockingStub(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    /** A kernel's NIC driver (the latencies of the packets it took). */
    public io.archipelago.devices.proto.NicDriverGrpc.NicDriverBlockingStub nic(String control) {
        return io.archipelago.devices.proto.NicDriverGrpc.newBlockingStub(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    /** A kernel's fault injection (armed protocol points, link faults). */
    public io.archipelago.control.proto.FaultControlGrpc.FaultControlBlockingStub faults(String control) {
        return io.archipelago.control.proto.FaultControlGrpc.newBlockingStub(channel(control));
    }

    public KernelControlGrpc.KernelControlBlockingStub control(String control) {
        return KernelControlGrpc.newBlockingStub(channel(control));
    }

    @Override
    public void close() {
        channels.close();
    }
}
