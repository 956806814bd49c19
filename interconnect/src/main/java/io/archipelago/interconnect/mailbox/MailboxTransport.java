package io.archipelago.interconnect.mailbox;

import java.util.Locale;

/**
 * How mailbox words are carried: in rings in global memory (SHM) where both ends of a pair map
 * the same memory file, with a TCP link for the handshake and the doorbell; or on the link itself,
 * TCP (containers, hosts) or Unix domain sockets (same host). A pair whose ends do not share the
 * memory (another host, a member that maps none) falls back to its link's words, so a cluster can
 * mix them.
 */
public enum MailboxTransport {
    TCP, UNIX, SHM;

    /** The names the settings take. */
    public static final java.util.List<String> IDS = java.util.List.of("shm", "tcp", "unix");

    /** "tcp", "unix" or "shm", as configuration and membership spell it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The socket the links of this transport use: SHM's links (handshake, doorbells, fallback words) are TCP. */
    public MailboxTransport socket() {
        return this == SHM ? TCP : this;
    }

    public static MailboxTransport of(String id) {
        for (MailboxTransport transport : values()) {
            if (transport.id().equals(id)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("mailbox transport: expected 'shm', 'tcp' or 'unix', found '" + id + "'");
    }
}
