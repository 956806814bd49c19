package io.archipelago.interconnect.mailbox;

import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.auth.ClusterSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Mailboxes of one emulated cluster inside this test JVM, over real sockets: a shared secret, a
 * directory kept in a map (what membership does for real kernels), and cleanup of everything.
 */
final class TestMembers implements AutoCloseable {

    private static final AtomicLong INCARNATIONS = new AtomicLong(1000);

    final ClusterSecret secret = ClusterSecret.generate();
    final Map<Integer, PeerAddress> directory = new ConcurrentHashMap<>();
    final Map<Integer, MailboxCounters.InMemory> counters = new ConcurrentHashMap<>();
    private final List<Mailbox> started = new ArrayList<>();
    private final MailboxTransport transport;
    private final MailboxContext.Io io;
    private final Path socketDirectory;
    /** With SHM: the mailbox rings area every member of this JVM maps, as kernels map global memory. */
    private final Arena ringArena;
    private final MemorySegment ringMemory;
    private final long memoryId = new SecureRandom().nextLong() | 1;

    /** Kernel ids below this have rings with SHM; members above it fall back to their links. */
    static final int RING_KERNELS = 8;

    TestMembers(MailboxTransport transport, MailboxContext.Io io) {
        this.transport = transport;
        this.io = io;
        this.ringArena = transport == MailboxTransport.SHM ? Arena.ofShared() : null;
        this.ringMemory = ringArena == null ? null : ringArena.allocate(MailboxRingsArea.bytes(RING_KERNELS), 64);
        try {
            this.socketDirectory = Files.createTempDirectory(Path.of("/tmp"), "mbx");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    TestMembers() {
        this(MailboxTransport.TCP, MailboxContext.Io.AUTO);
    }

    PeerDirectory directory() {
        return id -> Optional.ofNullable(directory.get(id));
    }

    /** A context for member {@code id}, serving on an ephemeral port or a socket in a temporary directory. */
    MailboxContext context(int id) {
        MailboxCounters.InMemory sink = MailboxCounters.inMemory();
        counters.put(id, sink);
        MailboxContext context = new MailboxContext();
        if (ringMemory != null) {
            context.ringMemory(ringMemory, RING_KERNELS, memoryId);
        }
        return context
            .memberId(id)
            .memberName("member-" + id)
            .incarnation(INCARNATIONS.incrementAndGet())
            .secret(secret)
            .transport(transport)
            .io(io)
            .port(0)
            .socketPath(socketDirectory.resolve(id + ".sock"))
            .directory(directory())
            .counters(sink)
            .connectTimeout(Duration.ofSeconds(2))
            .fifoFullTimeout(Duration.ofSeconds(2));
    }

    /** Starts a member and publishes it in the directory. */
    Mailbox start(MailboxContext context) {
        Mailbox mailbox = Mailboxes.start(context);
        synchronized (started) {
            started.add(mailbox);
        }
        directory.put(context.memberId(), PeerAddress.alive(context.memberId(), context.memberName(), context.incarnation(),
            mailbox.endpoint().orElse(null)));
        return mailbox;
    }

    Mailbox start(int id) {
        return start(context(id));
    }

    /** Stops a member and marks it dead in the directory, as the coordinator does in membership. */
    void stop(Mailbox mailbox, String reason) {
        mailbox.close();
        PeerAddress address = directory.get(mailbox.memberId());
        directory.put(mailbox.memberId(), new PeerAddress(address.id(), address.name(), address.incarnation(), address.endpoint(), false,
            reason));
    }

    long count(int member, String label) {
        return counters.get(member).get(label);
    }

    @Override
    public void close() {
        synchronized (started) {
            for (Mailbox mailbox : started) {
                mailbox.close();
            }
        }
        try (var files = Files.list(socketDirectory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(socketDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (ringArena != null) {
            ringArena.close();
        }
    }
}
