package io.archipelago.kernel.mailbox;

import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelContext;
import io.archipelago.kernel.KernelService;
import io.archipelago.trace.TraceRing;
import io.grpc.BindableService;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's emulated hardware mailbox: serves on the kernel's bind host (TCP, the configured
 * port) or on a Unix socket in the cluster directory, carries its words with kernels mapping the
 * same global memory in the mailbox rings there (transport shm, the default), publishes its endpoint in the kernel's
 * membership record, finds peers through membership, and counts in the kernel's counters area.
 * Later services (DSM, NightWatch, balloon, interrupts) register their interrupt handlers on
 * {@link #mailbox()}; it starts first so that they can.
 */
public final class MailboxService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(MailboxService.class);

    private final Kernel kernel;
    private volatile Mailbox mailbox;
    /** This kernel's mailbox words on the timeline: a ring of their own, so they never overwrite the rarer events. */
    private volatile TraceRing words;

    public MailboxService(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public String name() {
        return "mailbox";
    }

    @Override
    public void start() {
        KernelContext context = kernel.context();
        // the kernel's context owns the mailbox's settings (transport, FIFO depth, loop spin...) and concluded them
        MailboxContext mailboxContext = context.mailbox()
            .memberId(kernel.id())
            .memberName(kernel.name())
            .incarnation(kernel.incarnation())
            .secret(kernel.secret())
            .bindHost(context.bindHost())
            .advertisedHost(context.advertisedHost())
            .port(context.mailboxPort())
            .socketPath(context.clusterDirectory().mailboxSocket(kernel.id()))
            .ringMemory(kernel.memory().mailboxRings(), kernel.memory().geometry().maxKernels(), kernel.memory().clusterId())
            .directory(new MembershipPeerDirectory(kernel.membership()))
            .counters(new CountersAreaSink(kernel.counters()))
            .wordObserver(new TracedWords(words = TraceRing.create(TraceRing.wordsFileFor(context.clusterDirectory().path(), kernel.id()),
                kernel.id(), kernel.name(), ProcessHandle.current().pid(), TraceRing.DEFAULT_CAPACITY)));
        mailbox = Mailboxes.start(mailboxContext);
        MailboxEndpoint endpoint = mailbox.endpoint().orElseThrow();
        kernel.membership().update(kernel.id(), record -> record.getIncarnation() == kernel.incarnation()
            ? record.toBuilder().setMailbox(MembershipPeerDirectory.record(endpoint)).build() : record);
        LOG.info("kernel {}: mailbox on {} ({} I/O, FIFO depth {})", kernel.name(), endpoint, mailbox.io(), context.fifoDepth());
    }

    /** The kernel's mailbox, for services that send words or handle interrupts. */
    public Mailbox mailbox() {
        Mailbox current = mailbox;
        if (current == null) {
            throw new IllegalStateException("the mailbox service has not started");
        }
        return current;
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new MailboxControlService(mailbox()));
    }

    @Override
    public void close() {
        Mailbox current = mailbox;
        if (current != null) {
            current.close();
        }
        TraceRing ring = words;
        if (ring != null) {
            ring.close();
        }
    }
}
