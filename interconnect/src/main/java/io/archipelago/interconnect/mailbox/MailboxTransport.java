package io.archipelago.interconnect.mailbox;

import java.util.Locale;

/** How mailbox links are carried: TCP (containers, hosts) or Unix domain sockets (same host). */
public enum MailboxTransport {
    TCP, UNIX;

    /** "tcp" or "unix", as configuration and membership spell it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static MailboxTransport of(String id) {
        for (MailboxTransport transport : values()) {
            if (transport.id().equals(id)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("mailbox transport: expected 'tcp' or 'unix', found '" + id + "'");
    }
}
