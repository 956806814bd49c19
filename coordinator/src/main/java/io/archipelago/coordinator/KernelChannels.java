package io.archipelago.coordinator;

import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlChannels;
import io.archipelago.coordinator.balloon.KernelMemoryStubs;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import java.util.function.Function;

/**
 * Authenticated gRPC channels to kernels' control APIs ({@code host:port} as membership and
 * {@code status} publish them), for the CLI's bench and demo. Callers set deadlines per call.
 * The services every kernel serves have their stub here; a kernel plug-in's (the bench
 * workloads') are made by its callers through {@link #stub}, so that cluster control does not
 * depend on the plug-ins it may launch.
 */
public final class KernelChannels implements AutoCloseable, KernelMemoryStubs {

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

    /**
     * A blocking stub of a service {@code control}'s kernel serves, made by {@code newStub} (as
     * {@code DsmControlGrpc::newBlockingStub}) on that kernel's channel, taking replies of up to 32 MiB.
     */
    public <S extends AbstractStub<S>> S stub(String control, Function<Channel, S> newStub) {
        return newStub.apply(channel(control)).withMaxInboundMessageSize(MAX_MESSAGE_BYTES);
    }

    public KernelMailboxGrpc.KernelMailboxBlockingStub mailbox(String control) {
        return stub(control, KernelMailboxGrpc::newBlockingStub);
    }

    /** Task control of a kernel (spawn, list, migrate, scheduling events). */
    public io.archipelago.task.proto.TaskControlGrpc.TaskControlBlockingStub tasks(String control) {
        return stub(control, io.archipelago.task.proto.TaskControlGrpc::newBlockingStub);
    }

    /** A kernel's page allocator and movable pages (independent memory services). */
    @Override
    public io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub memory(String control) {
        return stub(control, io.archipelago.control.proto.KernelMemoryGrpc::newBlockingStub);
    }

    /** A kernel's NIC driver (the latencies of the packets it took). */
    public io.archipelago.devices.proto.NicDriverGrpc.NicDriverBlockingStub nic(String control) {
        return stub(control, io.archipelago.devices.proto.NicDriverGrpc::newBlockingStub);
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
