package io.archipelago.kernel.messages;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * The I/O of the message channel: one event-loop thread, epoll where it loads (as the mailbox
 * uses), NIO otherwise, on TCP loopback like the mailbox's default transport. One thread so that
 * an owner applies the requests of every stream one at a time, on its "message core".
 */
record MessageIo(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
                 Class<? extends io.netty.channel.Channel> clientChannel, String name) {

    static MessageIo oneThread(String threadName) {
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        };
        if (Epoll.isAvailable()) {
            return new MessageIo(new MultiThreadIoEventLoopGroup(1, threads, EpollIoHandler.newFactory()), EpollServerSocketChannel.class,
                EpollSocketChannel.class, "epoll");
        }
        return new MessageIo(new MultiThreadIoEventLoopGroup(1, threads, NioIoHandler.newFactory()), NioServerSocketChannel.class,
            NioSocketChannel.class, "nio");
    }

    void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly(2_000);
    }
}
