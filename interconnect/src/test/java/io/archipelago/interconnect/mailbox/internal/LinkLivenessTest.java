package io.archipelago.interconnect.mailbox.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The liveness options must really reach the socket: Netty only logs an option a channel does not
 * know, so a typo or a transport mismatch would silently leave links blind to a cut-off peer.
 */
@Timeout(30)
class LinkLivenessTest {

    @ParameterizedTest
    @EnumSource(IoTransport.class)
    void bothEndsOfATcpLinkProbeTheirPeerOnceASecond(IoTransport io) throws Exception {
        Assumptions.assumeTrue(io == IoTransport.NIO || Epoll.isAvailable(), "epoll cannot load here");
        Duration liveness = Duration.ofSeconds(4);
        var group = new MultiThreadIoEventLoopGroup(1, io.handlerFactory());
        try {
            var accepted = new java.util.concurrent.CompletableFuture<Channel>();
            ServerBootstrap server = new ServerBootstrap().group(group).channel(io.serverChannel(MailboxTransport.TCP))
                .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel child) {
                        accepted.complete(child); // child options are applied before the child is registered
                    }
                });
            io.livenessOptions(liveness).forEach((option, value) -> server.childOption(Links.<Object>cast(option), value));
            Channel listening = server.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Bootstrap client = new Bootstrap().group(group).channel(io.clientChannel(MailboxTransport.TCP))
                .handler(new ChannelInboundHandlerAdapter());
            io.livenessOptions(liveness).forEach((option, value) -> client.option(Links.<Object>cast(option), value));
            Channel initiator = client.connect(listening.localAddress()).sync().channel();
            Channel acceptor = accepted.get(10, TimeUnit.SECONDS);
            for (Channel end : new Channel[] {initiator, acceptor}) {
                assertThat(end.config().getOption(ChannelOption.SO_KEEPALIVE)).as("%s", end).isTrue();
                if (io == IoTransport.EPOLL) {
                    assertThat(end.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).isEqualTo(1);
                    assertThat(end.config().getOption(EpollChannelOption.TCP_KEEPCNT)).isEqualTo(3);
                    assertThat(end.config().getOption(EpollChannelOption.TCP_USER_TIMEOUT)).isEqualTo(4000);
                } else {
                    assertThat(end.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE))).isEqualTo(1);
                    assertThat(end.config().getOption(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT))).isEqualTo(3);
                }
            }
            initiator.close().sync();
            listening.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aLivenessBoundTCPCannotKeepIsRefused() {
        MailboxContext context = new MailboxContext().memberId(1).memberName("strong")
            .secret(io.archipelago.interconnect.auth.ClusterSecret.generate()).linkLiveness(Duration.ofMillis(500));
        assertThatThrownBy(context::conclude).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("link liveness: expected at least 2000 ms").hasMessageContaining("found 500 ms");
    }
}
