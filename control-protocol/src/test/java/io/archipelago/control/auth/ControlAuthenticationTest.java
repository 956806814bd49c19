package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The interceptors over a real gRPC server on loopback. */
@Timeout(30)
class ControlAuthenticationTest {

    private final ClusterSecret secret = ClusterSecret.generate();
    private final AtomicLong refused = new AtomicLong();
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
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(service, ControlAuthentication.server(secret, refused))).build().start();
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
