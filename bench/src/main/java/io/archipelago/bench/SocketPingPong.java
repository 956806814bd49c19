package io.archipelago.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The baselines of {@code archipelago bench mailbox}: a plain socket ping-pong of 4-byte words
 * between two JVM processes, over the same kind of socket as the mailbox (TCP loopback with
 * TCP_NODELAY, or a Unix domain socket), with no framing, authentication, flow control or thread
 * hop. Blocking (the default: each side sleeps in {@code read} until the word arrives) or polling
 * (system property {@value #POLL_US_PROPERTY} &gt; 0: each side spins on a non-blocking read for
 * that many microseconds after its last word, then waits in a selector, as the mailbox's
 * interrupt context polls after its last word before it blocks; and under the same rule, system
 * property {@value #POLL_RULE_PROPERTY}: {@code idle-core}, the default, polls only while the
 * machine's runnable threads do not exceed its cores, read from {@code /proc/loadavg} before the
 * poll and every 5 µs during it; {@code always} polls regardless). Run as two processes:
 *
 * <pre>
 *   SocketPingPong echo tcp|unix [socket-path]   prints "READY &lt;port or path&gt;", then echoes every word
 *   SocketPingPong ping tcp|unix &lt;port or path&gt;  reads commands on stdin:
 *       PING n     n round trips, one after the other; prints "SAMPLES n" and n lines of nanoseconds
 *       STREAM n   n words one way, one write each, then waits for the echo side's count;
 *                  prints "STREAM &lt;elapsed ns&gt;"
 *       EXIT
 * </pre>
 */
public final class SocketPingPong {

    /** A word that announces a one-way stream: the next word is its length. */
    static final int STREAM = -1;

    /** Microseconds each side polls a non-blocking socket before it waits in a selector; 0 (the default): blocking reads. */
    public static final String POLL_US_PROPERTY = "archipelago.baseline.poll-us";

    /** When a polling baseline may poll: idle-core (the default) or always, as the mailbox's loop poll setting. */
    public static final String POLL_RULE_PROPERTY = "archipelago.baseline.poll";

    private static final long POLL_NS = TimeUnit.MICROSECONDS.toNanos(Long.getLong(POLL_US_PROPERTY, 0));
    private static final boolean GATED = !"always".equals(System.getProperty(POLL_RULE_PROPERTY, "idle-core"));
    private static final long CHECK_NANOS = 5_000;
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static final ByteBuffer LOADAVG = ByteBuffer.allocateDirect(128);
    private static FileChannel loadavg;

    private SocketPingPong() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || !(args[1].equals("tcp") || args[1].equals("unix"))) {
            System.err.println("usage: SocketPingPong echo tcp|unix [socket-path] | ping tcp|unix <port|socket-path>");
            System.exit(2);
        }
        boolean unix = args[1].equals("unix");
        switch (args[0]) {
            case "echo" -> echo(unix, args.length > 2 ? args[2] : null);
            case "ping" -> ping(unix, args[2]);
            default -> {
                System.err.println("unknown mode '" + args[0] + "': expected echo or ping");
                System.exit(2);
            }
        }
    }

    private static void echo(boolean unix, String path) throws IOException {
        try (ServerSocketChannel server = unix ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open()) {
            if (unix) {
                Files.deleteIfExists(Path.of(path));
                server.bind(UnixDomainSocketAddress.of(path));
                System.out.println("READY " + path);
            } else {
                server.bind(new InetSocketAddress("127.0.0.1", 0));
                System.out.println("READY " + ((InetSocketAddress) server.getLocalAddress()).getPort());
            }
            System.out.flush();
            try (SocketChannel channel = server.accept()) {
                if (!unix) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                Selector selector = polling(channel);
                ByteBuffer word = ByteBuffer.allocateDirect(4);
                while (read(channel, word, selector)) {
                    int value = word.getInt(0);
                    if (value == STREAM) {
                        if (!read(channel, word, selector)) {
                            return;
                        }
                        int count = word.getInt(0);
                        for (int i = 0; i < count; i++) {
                            if (!read(channel, word, selector)) {
                                return;
                            }
                        }
                        word.putInt(0, count);
                    }
                    write(channel, word);
                }
            } finally {
                if (unix) {
                    Files.deleteIfExists(Path.of(path));
                }
            }
        }
    }

    private static void ping(boolean unix, String target) throws IOException {
        SocketChannel channel = unix ? SocketChannel.open(UnixDomainSocketAddress.of(target))
            : SocketChannel.open(new InetSocketAddress("127.0.0.1", Integer.parseInt(target)));
        if (!unix) {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        Selector selector = polling(channel);
        ByteBuffer word = ByteBuffer.allocateDirect(4);
        PingerCommands.serve(new PingerCommands.Pinger() {
            private int next;

            @Override
            public long roundTrip() throws IOException {
                int value = next++ & Integer.MAX_VALUE;
                long start = System.nanoTime();
                word.putInt(0, value);
                write(channel, word);
                if (!read(channel, word, selector) || word.getInt(0) != value) {
                    throw new IOException("the echo process did not echo " + value);
                }
                return System.nanoTime() - start;
            }

            @Override
            public long stream(int count) throws IOException {
                long start = System.nanoTime();
                word.putInt(0, STREAM);
                write(channel, word);
                word.putInt(0, count);
                write(channel, word);
                for (int i = 0; i < count; i++) {
                    word.putInt(0, i);
                    write(channel, word);
                }
                if (!read(channel, word, selector) || word.getInt(0) != count) {
                    throw new IOException("the echo process did not confirm the stream of " + count + " words");
                }
                return System.nanoTime() - start;
            }

            @Override
            public void exit() throws IOException {
                channel.close();
            }
        });
    }

    /** In polling mode, makes the channel non-blocking and returns the selector its reads wait in after polling; else null. */
    private static Selector polling(SocketChannel channel) throws IOException {
        if (POLL_NS <= 0) {
            return null;
        }
        channel.configureBlocking(false);
        Selector selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        return selector;
    }

    /** Reads one word: blocking, or (with a selector) polling for the window after the call, then waiting in the selector. */
    private static boolean read(SocketChannel channel, ByteBuffer word, Selector selector) throws IOException {
        word.clear();
        long now = System.nanoTime();
        long pollUntil = now + POLL_NS;
        long nextCheck = now;
        boolean polling = selector != null;
        while (word.hasRemaining()) {
            int read = channel.read(word);
            if (read < 0) {
                return false;
            }
            if (read == 0 && selector != null) {
                now = System.nanoTime();
                if (polling && GATED && now - nextCheck >= 0) {
                    polling = coreLeft();
                    nextCheck = now + CHECK_NANOS;
                }
                if (polling && now - pollUntil < 0) {
                    Thread.onSpinWait();
                } else {
                    selector.select();
                    selector.selectedKeys().clear();
                }
            }
        }
        return true;
    }

    /** Whether the machine's runnable threads (the fourth field of /proc/loadavg, "r/total") leave a core; false where unreadable. */
    private static boolean coreLeft() {
        try {
            if (loadavg == null) {
                loadavg = FileChannel.open(Path.of("/proc/loadavg"));
            }
            LOADAVG.clear();
            int length = loadavg.read(LOADAVG, 0);
            int field = 0;
            int runnable = 0;
            for (int i = 0; i < length; i++) {
                byte c = LOADAVG.get(i);
                if (c == ' ') {
                    field++;
                } else if (field == 3) {
                    if (c == '/') {
                        return runnable <= CORES;
                    }
                    runnable = runnable * 10 + (c - '0');
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void write(SocketChannel channel, ByteBuffer word) throws IOException {
        word.clear();
        while (word.hasRemaining()) {
            channel.write(word);
        }
    }
}
