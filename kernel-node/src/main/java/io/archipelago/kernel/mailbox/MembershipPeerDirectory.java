package io.archipelago.kernel.mailbox;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.Endpoint;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.mailbox.PeerAddress;
import io.archipelago.interconnect.mailbox.PeerDirectory;
import java.util.Optional;

/**
 * Mailbox peers found in membership: a kernel's record gives its name, incarnation, state and
 * published mailbox endpoint. Read when a link is (re-)established, so a restarted kernel is
 * found at its new endpoint.
 */
public final class MembershipPeerDirectory implements PeerDirectory {

    private final Membership membership;

    public MembershipPeerDirectory(Membership membership) {
        this.membership = membership;
    }

    @Override
    public Optional<PeerAddress> resolve(int memberId) {
        return membership.get(memberId).map(MembershipPeerDirectory::address);
    }

    static PeerAddress address(KernelRecord record) {
        KernelState state = record.getState();
        boolean alive = state == KernelState.BOOTING || state == KernelState.RUNNING;
        String reason = switch (state) {
            case DEAD -> "DEAD" + (record.getReason().isEmpty() ? "" : ": " + record.getReason());
            case STOPPING -> "STOPPING";
            default -> "";
        };
        return new PeerAddress(record.getKernelId(), record.getName(), record.getIncarnation(), endpoint(record.getMailbox()), alive, reason);
    }

    /** The membership form of an endpoint, or null when none is published. */
    static MailboxEndpoint endpoint(Endpoint endpoint) {
        if (endpoint.getTransport().isEmpty()) {
            return null;
        }
        MailboxTransport transport = MailboxTransport.of(endpoint.getTransport());
        return transport == MailboxTransport.UNIX ? new MailboxEndpoint(transport, endpoint.getHost(), 0)
            : MailboxEndpoint.tcp(endpoint.getHost(), endpoint.getPort());
    }

    static Endpoint record(MailboxEndpoint endpoint) {
        return Endpoint.newBuilder().setTransport(endpoint.transport().id()).setHost(endpoint.host()).setPort(endpoint.port()).build();
    }
}
