package io.archipelago.kernel.messages;

import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.mailbox.FreeCoreGate;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.urpc.UrpcChannels;
import io.archipelago.interconnect.urpc.UrpcEndpoint;
import io.archipelago.memory.GlobalMemoryLayout;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.mailbox.CountersAreaSink;
import io.archipelago.kernel.KernelService;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.messages.proto.MessageEndpoint;
import io.archipelago.messages.proto.MessageEndpointRequest;
import io.archipelago.messages.proto.MessageEndpointsGrpc;
import io.archipelago.messages.proto.ObjectMessagesGrpc;
import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;
import io.archipelago.typed.region.TypedMemory;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message passing between kernels, the multikernel way: this kernel owns objects and applies the
 * operations other kernels send it; and it sends requests to the owners of others' objects
 * ({@link #owners()}). Protocol: {@code messages.proto}.
 *
 * <h2>Why a gRPC stream, not the mailbox</h2>
 * The 32-bit mailbox carries a 24-bit payload: a page frame, a pid, an irq. A request naming an
 * object and carrying a value, or a reply carrying a whole struct, does not fit; K2 itself keeps
 * the mailbox for its coherence protocol. So messages go the way the control channel already
 * carries Protocol Buffers between processes, over the same kind of socket as the mailbox (TCP
 * loopback, epoll): one HTTP/2 connection per pair of kernels, one bidirectional stream per
 * requester thread, opened (and authenticated with the cluster secret) once, then one request and
 * one reply per operation. The owner serves on a server of its own with one event-loop thread
 * that decodes, applies and answers without a thread hop, like an interrupt handler or a
 * multikernel's server core; a requester waits for its reply parked, woken by its kernel's
 * message thread: two thread hand-offs per round trip, as the mailbox's requester path has.
 *
 * <h2>The second carrier: URPC rings in global memory</h2>
 * Where both kernels map the same global memory, the same messages also travel through the URPC
 * channels there ({@link UrpcEndpoint}, Barrelfish's user-level RPC: rings of cache lines, one per
 * ordered pair of kernels), without a socket or a thread hand-off when both ends poll: the owner's
 * URPC dispatcher applies the requests, a requester takes its reply from the ring itself. A
 * requester spins only while the mailbox's core gate says a core is free, for at most its
 * loop-spin window, then parks; the dispatcher, as the interrupt context, polls 10 µs after its
 * work whatever the gate says, then expects the next request for the rest of that window
 * (yielding its core between looks while none is free, its looks stamped so that senders know
 * whether it really looks), then parks; a sender that finds the receiver asleep rings its doorbell, a mailbox word
 * ({@link MailboxType#URPC}). The two carriers' threads apply requests under one lock, so an
 * owned object still sees one operation at a time.
 *
 * <h2>Counters</h2>
 * {@code messages.served} (requests applied here, by either carrier), {@code messages.streams}
 * (gRPC streams opened to this owner), {@code messages.auth_failures}; {@code urpc.served},
 * {@code urpc.stale_dropped} (slots of a previous incarnation dropped), {@code urpc.replies_dropped},
 * {@code urpc.doorbells} (doorbells this kernel rang), {@code urpc.parks} (its dispatcher parked).
 */
public final class ObjectOwnerService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectOwnerService.class);
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final Kernel kernel;
    private final TypedMemory typed;
    private final Mailbox mailbox;
    private final OwnedObject.Binder binder;
    private volatile UrpcEndpoint urpc;
    private volatile FreeCoreGate gate;
    private volatile MessageIo io;
    private volatile Server server;
    private volatile OwnedObjects objects;
    private volatile OwnerChannels owners;
    private KernelCountersArea.Counter served;
    private KernelCountersArea.Counter streams;
    private final AtomicLong refused = new AtomicLong();

    /**
     * @param typed   where the objects this kernel owns live
     * @param mailbox carries the URPC doorbell: rings a sleeping peer's, and brings this kernel's
     * @param binder  makes the objects this kernel owns ({@link OwnedObject.Binder#NONE}: it owns none)
     */
    public ObjectOwnerService(Kernel kernel, TypedMemory typed, Mailbox mailbox, OwnedObject.Binder binder) {
        this.kernel = kernel;
        this.typed = typed;
        this.mailbox = mailbox;
        this.binder = binder;
    }

    @Override
    public String name() {
        return "messages";
    }

    @Override
    public void start() {
        this.objects = new OwnedObjects(typed, binder);
        this.served = kernel.counters().counter(KernelCounter.MESSAGES_SERVED);
        this.streams = kernel.counters().counter(KernelCounter.MESSAGES_STREAMS);
        this.io = MessageIo.oneThread("msg-" + kernel.name());
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress(kernel.context().bindHost(), 0))
                .channelType(io.serverChannel())
                .bossEventLoopGroup(io.group())
                .workerEventLoopGroup(io.group())
                .directExecutor()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .addService(ServerInterceptors.intercept(new Exchange(), ControlAuthentication.server(kernel.secret(), refused)))
                .build()
                .start();
        } catch (IOException e) {
            io.close();
            throw new UncheckedIOException("kernel " + kernel.name() + " cannot serve messages on " + kernel.context().bindHost() + ": "
                + e.getMessage(), e);
        }
        this.urpc = startUrpc();
        this.owners = new OwnerChannels(kernel, io, urpc);
        LOG.info("kernel {} serves object messages on {}:{} ({})", kernel.name(), kernel.context().advertisedHost(), server.getPort(), io.name());
    }

    private UrpcEndpoint startUrpc() {
        if (UrpcChannels.bytes(1) - UrpcChannels.WAKE_LINE_BYTES != GlobalMemoryLayout.URPC_CHANNEL_BYTES
            || UrpcChannels.WAKE_LINE_BYTES != GlobalMemoryLayout.URPC_WAKE_LINE_BYTES) {
            throw new IllegalStateException("the URPC channel layout of the interconnect (" + (UrpcChannels.bytes(1) - UrpcChannels.WAKE_LINE_BYTES)
                + " bytes a channel) and of global memory (" + GlobalMemoryLayout.URPC_CHANNEL_BYTES + ") differ: a build of mixed versions");
        }
        UrpcChannels channels = new UrpcChannels(kernel.memory().urpcChannels(), kernel.memory().geometry().maxKernels());
        var settings = mailbox.context();
        this.gate = Mailboxes.coreGate(settings);
        UrpcEndpoint endpoint = UrpcEndpoint.start(channels, kernel.id(), kernel.incarnation(), kernel.name(), (sender, body, offset, length) -> {
            ObjectRequest request;
            try {
                request = ObjectRequest.parseFrom(java.nio.ByteBuffer.wrap(body, offset, length));
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                return ObjectReply.newBuilder().setError("a URPC request of " + length + " bytes from kernel " + sender + " is no ObjectRequest: "
                    + e.getMessage()).build().toByteArray();
            }
            return applyOne(request).toByteArray();
        }, peer -> mailbox.send(peer, MailboxType.URPC, 0), gate::coreToSpare, settings.loopSpin(),
            new CountersAreaSink(kernel.counters()));
        mailbox.onInterrupt(MailboxType.URPC, interrupt -> endpoint.doorbell());
        return endpoint;
    }

    /** One request, applied under the owner's lock (the gRPC and URPC carriers each have a thread). */
    private ObjectReply applyOne(ObjectRequest request) {
        ObjectReply reply;
        synchronized (objects) {
            reply = objects.apply(request);
        }
        served.increment();
        return reply;
    }

    /** Streams to the owners of other kernels' objects, from this kernel. */
    public OwnerChannels owners() {
        return owners;
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new Endpoints());
    }

    @Override
    public void close() {
        OwnerChannels clients = owners;
        if (clients != null) {
            clients.close();
        }
        UrpcEndpoint endpoint = urpc;
        if (endpoint != null) {
            endpoint.close();
        }
        FreeCoreGate spinGate = gate;
        if (spinGate != null) {
            spinGate.close();
        }
        Server running = server;
        if (running != null) {
            running.shutdownNow();
            try {
                running.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        MessageIo loop = io;
        if (loop != null) {
            loop.close();
        }
        kernel.counters().counter(KernelCounter.MESSAGES_AUTH_FAILURES).set(refused.get());
    }

    /** Where this kernel's message server listens (asked once by a kernel opening a channel to it). */
    private final class Endpoints extends MessageEndpointsGrpc.MessageEndpointsImplBase {
        @Override
        public void describe(MessageEndpointRequest request, StreamObserver<MessageEndpoint> response) {
            response.onNext(MessageEndpoint.newBuilder().setHost(kernel.context().advertisedHost()).setPort(server.getPort())
                .setIo(io.name()).build());
            response.onCompleted();
        }
    }

    /** The owner's side: requests applied on the message thread as they arrive, one reply each. */
    private final class Exchange extends ObjectMessagesGrpc.ObjectMessagesImplBase {
        @Override
        public StreamObserver<ObjectRequest> exchange(StreamObserver<ObjectReply> replies) {
            streams.increment();
            List<Integer> handles = new ArrayList<>(1);
            return new StreamObserver<>() {
                @Override
                public void onNext(ObjectRequest request) {
                    ObjectReply reply = applyOne(request);
                    if (request.getOp() == ObjectOp.BIND && reply.getError().isEmpty()) {
                        handles.add(reply.getHandle());
                    }
                    replies.onNext(reply);
                }

                @Override
                public void onError(Throwable failure) {
                    handles.forEach(objects::release);
                }

                @Override
                public void onCompleted() {
                    handles.forEach(objects::release);
                    replies.onCompleted();
                }
            };
        }
    }
}
