package io.archipelago.kernel.messages;

import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.messages.proto.MessageEndpoint;
import io.archipelago.messages.proto.MessageEndpointRequest;
import io.archipelago.messages.proto.MessageEndpointsGrpc;
import io.archipelago.messages.proto.ObjectMessagesGrpc;
import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.messages.proto.ObjectRequest;
import io.archipelago.typed.TypedMemory;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
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
 * <h2>Counters</h2>
 * {@code messages.served} (requests applied here), {@code messages.streams} (streams opened to
 * this owner), {@code messages.auth_failures}.
 */
public final class ObjectOwnerService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectOwnerService.class);
    static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final Kernel kernel;
    private final TypedMemory typed;
    private volatile MessageIo io;
    private volatile Server server;
    private volatile OwnedObjects objects;
    private volatile OwnerChannels owners;
    private KernelCountersArea.Counter served;
    private KernelCountersArea.Counter streams;
    private final AtomicLong refused = new AtomicLong();

    /** @param typed where the objects this kernel owns live */
    public ObjectOwnerService(Kernel kernel, TypedMemory typed) {
        this.kernel = kernel;
        this.typed = typed;
    }

    @Override
    public String name() {
        return "messages";
    }

    @Override
    public void start() {
        this.objects = new OwnedObjects(typed);
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
        this.owners = new OwnerChannels(kernel, io);
        LOG.info("kernel {} serves object messages on {}:{} ({})", kernel.name(), kernel.context().advertisedHost(), server.getPort(), io.name());
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
                    ObjectReply reply = objects.apply(request);
                    if (request.getOp() == ObjectOp.BIND && reply.getError().isEmpty()) {
                        handles.add(reply.getHandle());
                    }
                    served.increment();
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
