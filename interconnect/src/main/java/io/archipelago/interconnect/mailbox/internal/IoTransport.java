package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.nio.NioChannelOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.net.ExtendedSocketOptions;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * Netty's native epoll transport when its library loads on this machine, NIO otherwise (or when
 * forced), for TCP and for Unix domain sockets.
 */
public enum IoTransport {
    EPOLL, NIO;

    public static IoTransport select(MailboxContext.Io mode) {
        return switch (mode) {
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("the mailbox was asked for Netty's epoll transport, which cannot load here: "
                        + Epoll.unavailabilityCause());
                }
                yield EPOLL;
            }
            case NIO -> NIO;
            case AUTO -> Epoll.isAvailable() ? EPOLL : NIO;
        };
    }

    public IoHandlerFactory handlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    /** I/O handlers whose loop waits as {@code waiting} says (null: Netty's default, block at once). */
    public IoHandlerFactory handlerFactory(SpinThenBlock waiting) {
        if (waiting == null) {
            return handlerFactory();
        }
        return this == EPOLL ? EpollIoHandler.newFactory(0, () -> waiting)
            : NioIoHandler.newFactory(java.nio.channels.spi.SelectorProvider.provider(), () -> waiting);
    }

    public Class<? extends ServerChannel> serverChannel(MailboxTransport transport) {
        if (this == EPOLL) {
            return transport == MailboxTransport.TCP ? EpollServerSocketChannel.class : EpollServerDomainSocketChannel.class;
        }
        return transport == MailboxTransport.TCP ? NioServerSocketChannel.class : NioServerDomainSocketChannel.class;
    }

    public Class<? extends Channel> clientChannel(MailboxTransport transport) {
        if (this == EPOLL) {
            return transport == MailboxTransport.TCP ? EpollSocketChannel.class : EpollDomainSocketChannel.class;
        }
        return transport == MailboxTransport.TCP ? NioSocketChannel.class : NioDomainSocketChannel.class;
    }

    /**
     * Options that make a TCP link notice a silent peer within {@code liveness}: keepalive probes
     * once a second after one idle second, and (epoll only) TCP_USER_TIMEOUT for words that stay
     * unacknowledged. NIO gets the keepalive part through the JDK's extended socket options.
     */
    public Map<ChannelOption<?>, Object> livenessOptions(Duration liveness) {
        int seconds = (int) Math.max(2, liveness.toSeconds());
        int probes = seconds - 1; // first probe after 1 idle second, then one per second
        Map<ChannelOption<?>, Object> options = new LinkedHashMap<>();
        options.put(ChannelOption.SO_KEEPALIVE, true);
        if (this == EPOLL) {
            options.put(EpollChannelOption.TCP_KEEPIDLE, 1);
            options.put(EpollChannelOption.TCP_KEEPINTVL, 1);
            options.put(EpollChannelOption.TCP_KEEPCNT, probes);
            options.put(EpollChannelOption.TCP_USER_TIMEOUT, (int) Math.min(Integer.MAX_VALUE, liveness.toMillis()));
        } else {
            options.put(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPIDLE), 1);
            options.put(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPINTERVAL), 1);
            options.put(NioChannelOption.of(ExtendedSocketOptions.TCP_KEEPCOUNT), probes);
        }
        return options;
    }

    public SocketAddress address(MailboxEndpoint endpoint) {
        if (endpoint.transport() == MailboxTransport.TCP) {
            return new InetSocketAddress(endpoint.host(), endpoint.port());
        }
        return this == EPOLL ? new DomainSocketAddress(endpoint.host()) : UnixDomainSocketAddress.of(endpoint.host());
    }

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
