package io.archipelago.interconnect.mailbox;

import java.nio.file.Path;

/**
 * Where a mailbox serves: a TCP host and port, or a Unix domain socket path. Published in
 * membership so that peers find it.
 *
 * @param host for TCP the host name or address; for a Unix socket the socket file's path
 * @param port for TCP the port; 0 for a Unix socket
 */
public record MailboxEndpoint(MailboxTransport transport, String host, int port) {

    /** Linux limits a Unix socket path to 107 bytes (sun_path is 108 with its terminating NUL). */
    public static final int MAX_UNIX_PATH_BYTES = 107;

    public MailboxEndpoint {
        if (transport == null || host == null || host.isEmpty()) {
            throw new IllegalArgumentException("a mailbox endpoint needs a transport and a host (or socket path), found " + transport
                + " '" + host + "'");
        }
        if (transport == MailboxTransport.TCP && (port < 1 || port > 65535)) {
            throw new IllegalArgumentException("a TCP mailbox endpoint needs a port 1 to 65535, found " + port + " for " + host);
        }
    }

    public static MailboxEndpoint tcp(String host, int port) {
        return new MailboxEndpoint(MailboxTransport.TCP, host, port);
    }

    public static MailboxEndpoint unix(Path socket) {
        return new MailboxEndpoint(MailboxTransport.UNIX, socket.toString(), 0);
    }

    public Path socketPath() {
        if (transport != MailboxTransport.UNIX) {
            throw new IllegalStateException(this + " is not a Unix socket endpoint");
        }
        return Path.of(host);
    }

    @Override
    public String toString() {
        return transport == MailboxTransport.UNIX ? "unix:" + host : "tcp:" + host + ":" + port;
    }
}
