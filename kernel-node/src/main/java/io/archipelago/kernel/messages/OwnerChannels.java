package io.archipelago.kernel.messages;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.control.auth.ControlChannels;
import io.archipelago.interconnect.urpc.UrpcEndpoint;
import io.archipelago.kernel.Kernel;
import io.archipelago.messages.proto.MessageEndpoint;
import io.archipelago.messages.proto.MessageEndpointRequest;
import io.archipelago.messages.proto.MessageEndpointsGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A kernel's connections to the owners it sends requests to, by either carrier. gRPC: one
 * connection per owner, found through membership (its control endpoint), then its message
 * endpoint asked once; every stream to that owner is multiplexed on it; replies are decoded on
 * this kernel's message thread, which wakes the waiting requester. URPC: the channel to the owner
 * in global memory, tied to the owner's incarnation as membership gives it.
 */
public final class OwnerChannels implements AutoCloseable {

    private final Kernel kernel;
    private final MessageIo io;
    private final ControlChannels<Integer> channels;
    private final UrpcEndpoint urpc;

    OwnerChannels(Kernel kernel, MessageIo io, UrpcEndpoint urpc) {
        this.kernel = kernel;
        this.io = io;
        this.urpc = urpc;
        this.channels = new ControlChannels<>(kernel.secret(), kernel.name());
    }

    /**
     * Opens a stream to kernel {@code owner} for one requester thread.
     *
     * @param replyTimeout how long one request may wait for its reply
     * @throws MessageException when the owner is unknown, not running, or unreachable
     */
    public OwnerStream open(int owner, Duration replyTimeout) {
        KernelRecord record = running(owner);
        ManagedChannel channel = channels.channel(owner, id -> target(record));
        return new OwnerStream(channel, record.getName() + " (kernel " + owner + ")", replyTimeout);
    }

    /**
     * Opens a channel to kernel {@code owner} over the URPC rings in global memory, for one
     * requester thread, tied to the owner's incarnation now.
     *
     * @param replyTimeout how long one request may wait for room and for its reply
     * @throws MessageException when the owner is unknown or not running
     */
    public UrpcOwnerStream openUrpc(int owner, Duration replyTimeout) {
        KernelRecord record = running(owner);
        String name = record.getName() + " (kernel " + owner + ")";
        return new UrpcOwnerStream(urpc.open(owner, record.getIncarnation(), name, replyTimeout), name);
    }

    private KernelRecord running(int owner) {
        KernelRecord record = kernel.membership().get(owner).orElseThrow(() -> new MessageException("kernel " + owner
            + " is not in membership: no owner to send messages to"));
        if (record.getState() != KernelState.RUNNING) {
            throw new MessageException("owner " + record.getName() + " (kernel " + owner + ") is " + record.getState() + ", not RUNNING");
        }
        return record;
    }

    private NettyChannelBuilder target(KernelRecord owner) {
        MessageEndpoint endpoint = endpointOf(owner);
        return NettyChannelBuilder.forAddress(endpoint.getHost(), endpoint.getPort())
            .channelType(io.clientChannel())
            .eventLoopGroup(io.group())
            .directExecutor()
            .maxInboundMessageSize(ObjectOwnerService.MAX_MESSAGE_BYTES);
    }

    private MessageEndpoint endpointOf(KernelRecord owner) {
        if (!owner.hasControl() || owner.getControl().getPort() == 0) {
            throw new MessageException("owner " + owner.getName() + " serves no control API yet (" + owner.getState() + ")");
        }
        ManagedChannel control = channels.authenticated(NettyChannelBuilder.forAddress(owner.getControl().getHost(),
            owner.getControl().getPort())).build();
        try {
            return MessageEndpointsGrpc.newBlockingStub(control).withDeadlineAfter(10, TimeUnit.SECONDS)
                .describe(MessageEndpointRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw new MessageException("cannot ask owner " + owner.getName() + " (control " + owner.getControl().getHost() + ":"
                + owner.getControl().getPort() + ") for its message endpoint: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        } finally {
            control.shutdownNow();
        }
    }

    @Override
    public void close() {
        channels.close();
    }
}
