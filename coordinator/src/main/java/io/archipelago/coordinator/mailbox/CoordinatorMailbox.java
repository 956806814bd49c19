package io.archipelago.coordinator.mailbox;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.Endpoint;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.PeerAddress;
import io.archipelago.interconnect.mailbox.PeerDirectory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator as a mailbox member ({@link MemberIds#COORDINATOR}): it serves no endpoint,
 * so it initiates one link to every running kernel and keeps it up ({@link #keepLinked}, from
 * the membership watch); the kernels answer on it and may send their own requests over it (the
 * balloon driver's WANT). Services of the coordinator register their handlers on
 * {@link #mailbox()}: the balloon meta-level manager (BALLOON_REQUEST), and the emulated devices
 * to deliver IRQ words.
 * <p>
 * Kernels are found in membership, as kernels find one another. Its counters stay in this
 * process ({@link #counters()}): the counters areas of global memory are per kernel.
 */
public final class CoordinatorMailbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorMailbox.class);

    private final Mailbox mailbox;
    private final MailboxCounters.InMemory counters;
    /** Link attempts in flight, by kernel id: one at a time per kernel. */
    private final Map<Integer, CompletableFuture<?>> linking = new ConcurrentHashMap<>();

    private CoordinatorMailbox(Mailbox mailbox, MailboxCounters.InMemory counters) {
        this.mailbox = mailbox;
        this.counters = counters;
    }

    /** Starts the coordinator's mailbox (no endpoint: it only initiates links). */
    public static CoordinatorMailbox start(String clusterName, ClusterSecret secret, Membership membership, int fifoDepth) {
        MailboxCounters.InMemory counters = MailboxCounters.inMemory();
        Mailbox mailbox = Mailboxes.start(new MailboxContext()
            .memberId(MemberIds.COORDINATOR)
            .memberName("coordinator-" + clusterName)
            .incarnation(ProcessHandle.current().pid() << 20 ^ System.nanoTime())
            .secret(secret)
            .serve(false)
            .fifoDepth(fifoDepth)
            .directory(new MembershipPeers(membership))
            .counters(counters));
        return new CoordinatorMailbox(mailbox, counters);
    }

    public Mailbox mailbox() {
        return mailbox;
    }

    public MailboxCounters.InMemory counters() {
        return counters;
    }

    /**
     * Makes sure a link to every running kernel (or booting one that published its mailbox: its
     * services may already need the coordinator) is up or being established, without waiting and
     * without a word (no counter of the kernel's changes but {@code mailbox.links}): kernels can
     * only reach the coordinator over a link it made.
     */
    public void keepLinked(List<KernelRecord> records) {
        for (KernelRecord record : records) {
            int id = record.getKernelId();
            boolean live = record.getState() == KernelState.RUNNING || record.getState() == KernelState.BOOTING;
            if (!live || record.getMailbox().getTransport().isEmpty() || mailbox.linked(id) || linking.containsKey(id)) {
                continue;
            }
            CompletableFuture<Void> attempt = new CompletableFuture<>();
            linking.put(id, attempt);
            Thread.ofVirtual().name("link-" + record.getName()).start(() -> {
                try {
                    mailbox.link(id);
                } catch (RuntimeException e) {
                    LOG.debug("coordinator: no link to kernel {} yet: {}", record.getName(), e.getMessage());
                } finally {
                    linking.remove(id);
                    attempt.complete(null);
                }
            });
        }
    }

    /** Whether the coordinator is linked to every running kernel of {@code records}. */
    public boolean linkedToAll(List<KernelRecord> records) {
        return records.stream().filter(r -> r.getState() == KernelState.RUNNING).allMatch(r -> mailbox.linked(r.getKernelId()));
    }

    @Override
    public void close() {
        mailbox.close();
    }

    /** Kernels found in membership: name, incarnation, state and published mailbox endpoint. */
    static final class MembershipPeers implements PeerDirectory {
        private final Membership membership;

        MembershipPeers(Membership membership) {
            this.membership = membership;
        }

        @Override
        public Optional<PeerAddress> resolve(int memberId) {
            return membership.get(memberId).map(MembershipPeers::address);
        }

        private static PeerAddress address(KernelRecord record) {
            KernelState state = record.getState();
            boolean alive = state == KernelState.BOOTING || state == KernelState.RUNNING;
            String reason = state == KernelState.DEAD ? "DEAD" + (record.getReason().isEmpty() ? "" : ": " + record.getReason())
                : state == KernelState.STOPPING ? "STOPPING" : "";
            return new PeerAddress(record.getKernelId(), record.getName(), record.getIncarnation(), endpoint(record.getMailbox()), alive,
                reason);
        }

        private static MailboxEndpoint endpoint(Endpoint endpoint) {
            if (endpoint.getTransport().isEmpty()) {
                return null;
            }
            MailboxTransport transport = MailboxTransport.of(endpoint.getTransport());
            return transport == MailboxTransport.UNIX ? new MailboxEndpoint(transport, endpoint.getHost(), 0)
                : MailboxEndpoint.tcp(endpoint.getHost(), endpoint.getPort());
        }
    }
}
