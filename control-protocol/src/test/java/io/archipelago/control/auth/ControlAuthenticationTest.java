package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerInterceptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The interceptors over a real gRPC server on loopback. */
@Timeout(60)
class ControlAuthenticationTest {

    private final ClusterSecret secret = ClusterSecret.generate();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
    private final AtomicReference<MailboxPingRequest> served = new AtomicReference<>();
    private ServerInterceptor verifier;
    private Server server;

    @BeforeEach
    void serve() throws Exception {
        KernelControlGrpc.KernelControlImplBase service = new KernelControlGrpc.KernelControlImplBase() {
            @Override
            public void describe(DescribeRequest request, StreamObserver<KernelStatus> observer) {
                observer.onNext(KernelStatus.newBuilder().setName("k").build());
                observer.onCompleted();
            }
        };
        KernelMailboxGrpc.KernelMailboxImplBase mailbox = new KernelMailboxGrpc.KernelMailboxImplBase() {
            @Override
            public void ping(MailboxPingRequest request, StreamObserver<MailboxPingReply> observer) {
                served.set(request);
                observer.onNext(MailboxPingReply.getDefaultInstance());
                observer.onCompleted();
            }
        };
        verifier = ControlAuthentication.server(secret, refused, clock::get);
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(service, verifier))
            .addService(ServerInterceptors.intercept(mailbox, verifier)).build().start();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    @Test
    void aMemberIsServed() {
        withChannel(ControlAuthentication.client(secret, "member"), stub ->
            assertThat(stub.describe(DescribeRequest.getDefaultInstance()).getName()).isEqualTo("k"));
        assertThat(refused).hasValue(0);
    }

    @Test
    void aStrangerAndAWrongSecretAreRefusedAndCounted() {
        withChannel(null, stub -> assertThatThrownBy(() -> stub.describe(DescribeRequest.getDefaultInstance()))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("no proof of cluster membership");
            }));
        withChannel(ControlAuthentication.client(ClusterSecret.generate(), "intruder"), stub ->
            assertThatThrownBy(() -> stub.describe(DescribeRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                    assertThat(e.getStatus().getDescription()).contains("'intruder'").contains("does not know this cluster's secret")));
        assertThat(refused).hasValue(2);
        // Members are still served afterwards.
        withChannel(ControlAuthentication.client(secret, "member"), stub ->
            assertThat(stub.describe(DescribeRequest.getDefaultInstance()).getName()).isEqualTo("k"));
    }

    /**
     * A call copied off the wire (headers and request) and sent again is refused for as long as
     * its timestamp is acceptable, however many calls came in between (a fixed-size nonce cache
     * would have forgotten it after 4,096); once the timestamp is stale the nonce is forgotten.
     */
    @Test
    void aReplayedCallIsRefusedWithinTheWindowEvenAfterManyOtherCalls() {
        MailboxPingRequest request = MailboxPingRequest.newBuilder().setPeer(3).setRoundTrips(7).build();
        String time = Long.toString(clock.get());
        ClientInterceptor captured = signedAs("member", time, "00112233445566778899aabbccddeeff",
            ControlAuthentication.wireBytes(KernelMailboxGrpc.getPingMethod(), request));
        withMailbox(captured, stub -> stub.ping(request));
        assertThat(served.get()).isEqualTo(request);

        withMailbox(ControlAuthentication.client(secret, "member"), stub -> {
            for (int i = 0; i < 5_000; i++) {
                stub.ping(MailboxPingRequest.newBuilder().setPeer(i).build());
            }
        });
        assertThat(refused).hasValue(0);

        clock.addAndGet(ControlAuthentication.MAX_SKEW_MS - 1_000);
        withMailbox(captured, stub -> assertThatThrownBy(() -> stub.ping(request))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("replayed proof from 'member'");
            }));
        assertThat(refused).hasValue(1);

        clock.addAndGet(2_000);
        withMailbox(captured, stub -> assertThatThrownBy(() -> stub.ping(request))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getDescription()).contains("stale proof")));
        // one more call makes the server drop the nonces whose timestamps can no longer be accepted
        // past the window of every call so far (the 5,000 were signed with the real clock, which moved meanwhile)
        clock.set(System.currentTimeMillis() + ControlAuthentication.MAX_SKEW_MS + 1_000);
        MailboxPingRequest later = MailboxPingRequest.getDefaultInstance();
        withMailbox(signedAs("member", Long.toString(clock.get()), "0123456789abcdef0123456789abcdef",
            ControlAuthentication.wireBytes(KernelMailboxGrpc.getPingMethod(), later)), stub -> stub.ping(later));
        assertThat(ControlAuthentication.remembered(verifier)).as("nonces remembered after the window passed").isEqualTo(1);
    }

    /** Valid headers for one request, sent with another: refused, and the service never sees it. */
    @Test
    void aRequestChangedUnderAValidProofIsRefused() {
        MailboxPingRequest signed = MailboxPingRequest.newBuilder().setPeer(1).setRoundTrips(1).build();
        MailboxPingRequest sent = signed.toBuilder().setRoundTrips(500_000).build();
        ClientInterceptor forged = signedAs("member", Long.toString(clock.get()), "ffeeddccbbaa99887766554433221100",
            ControlAuthentication.wireBytes(KernelMailboxGrpc.getPingMethod(), signed));
        withMailbox(forged, stub -> assertThatThrownBy(() -> stub.ping(sent))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("the request is not the one it signed");
            }));
        assertThat(served.get()).as("the service was not called").isNull();
        assertThat(refused).hasValue(1);

        withMailbox(forged, stub -> stub.ping(signed));
        assertThat(served.get()).as("the request the proof covers is served").isEqualTo(signed);
    }

    /** A flood of refused calls writes one log line a second, not one per call. */
    @Test
    void refusalsAreLoggedAtMostOnceASecond() {
        ControlAuthentication.RefusalLog log = new ControlAuthentication.RefusalLog();
        int logged = 0;
        long begun = System.nanoTime();
        for (int i = 0; i < 10_000; i++) {
            logged += log.log("m", "here", "no proof") ? 1 : 0;
        }
        long seconds = (System.nanoTime() - begun) / 1_000_000_000L;
        assertThat(logged).as("lines for 10,000 refusals in %d s", seconds).isBetween(1, (int) seconds + 1);
    }

    /** A client that sends fixed proof headers, as one replaying or forging a captured call would. */
    private ClientInterceptor signedAs(String caller, String time, String nonce, byte[] request) {
        String proof = HexFormat.of().formatHex(ControlAuthentication.proof(secret, KernelMailboxGrpc.getPingMethod().getFullMethodName(),
            caller, time, nonce, request));
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        headers.put(ControlAuthentication.CALLER, caller);
                        headers.put(ControlAuthentication.TIME, time);
                        headers.put(ControlAuthentication.NONCE, nonce);
                        headers.put(ControlAuthentication.PROOF, proof);
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    private void withMailbox(ClientInterceptor auth, java.util.function.Consumer<KernelMailboxGrpc.KernelMailboxBlockingStub> body) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().intercept(auth).build();
        try {
            body.accept(KernelMailboxGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS));
        } finally {
            channel.shutdownNow();
        }
    }

    private void withChannel(io.grpc.ClientInterceptor auth, java.util.function.Consumer<KernelControlGrpc.KernelControlBlockingStub> body) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext();
        if (auth != null) {
            builder.intercept(auth);
        }
        ManagedChannel channel = builder.build();
        try {
            body.accept(KernelControlGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS));
        } finally {
            channel.shutdownNow();
        }
    }
}
