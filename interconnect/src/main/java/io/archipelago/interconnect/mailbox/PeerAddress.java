package io.archipelago.interconnect.mailbox;

/**
 * What a {@link PeerDirectory} knows of one member: its name, its incarnation (a new one each
 * time a kernel with this id boots), whether it is alive, and its published mailbox endpoint.
 *
 * @param endpoint null when the member publishes none (yet): still booting, or a member that
 *                 only initiates links, like the coordinator
 * @param reason   why the member is not alive, empty otherwise
 */
public record PeerAddress(int id, String name, long incarnation, MailboxEndpoint endpoint, boolean alive, String reason) {

    public static PeerAddress alive(int id, String name, long incarnation, MailboxEndpoint endpoint) {
        return new PeerAddress(id, name, incarnation, endpoint, true, "");
    }
}
