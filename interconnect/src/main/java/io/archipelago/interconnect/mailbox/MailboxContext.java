package io.archipelago.interconnect.mailbox;

import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.internal.MailboxRings;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a {@link Mailbox} needs, in one place (after Aeron's {@code MediaDriver.Context}):
 * every setting has a default and a system property, fluent setters, and {@link #conclude()}
 * checks them all at once, failing with one message that lists every problem.
 */
public final class MailboxContext {

    public static final String TRANSPORT_PROP = "archipelago.mailbox.transport";
    public static final String FIFO_DEPTH_PROP = "archipelago.mailbox.fifo-depth";
    public static final String IO_PROP = "archipelago.mailbox.io";
    public static final String FIFO_FULL_TIMEOUT_PROP = "archipelago.mailbox.fifo-full-timeout-ms";
    public static final String CONNECT_TIMEOUT_PROP = "archipelago.mailbox.connect-timeout-ms";
    public static final String HANDSHAKE_TIMEOUT_PROP = "archipelago.mailbox.handshake-timeout-ms";
    public static final String SPIN_PROP = "archipelago.mailbox.spin-us";
    public static final String LOOP_SPIN_PROP = "archipelago.mailbox.loop-spin-us";
    public static final String LOOP_POLL_PROP = "archipelago.mailbox.loop-poll";
    public static final String LINK_LIVENESS_PROP = "archipelago.mailbox.link-liveness-ms";

    /** OMAP4's mailbox FIFO holds four messages per direction. */
    public static final int DEFAULT_FIFO_DEPTH = 4;
    public static final int MAX_FIFO_DEPTH = 1024;
    public static final Duration DEFAULT_FIFO_FULL_TIMEOUT = Duration.ofSeconds(2);
    /**
     * Generous: a process's first link runs cold code on both sides (class loading, interpreter),
     * measured at up to 2 s on a 2-core machine under heavy load; later links take milliseconds.
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    /** Generous on purpose: on two shared cores a handler is often preempted for milliseconds without blocking. */
    public static final Duration DEFAULT_SLOW_HANDLER = Duration.ofMillis(10);
    /**
     * No spinning by default: measured on a 2-core machine shared by several kernels, spinning
     * (10 or 50 us) made round trips and throughput worse, as the spinner takes the core the
     * interrupt contexts need to produce the answer (see README, "Mailbox").
     */
    public static final Duration DEFAULT_SPIN = Duration.ZERO;
    public static final int DEFAULT_BACKLOG_LIMIT = 1024;
    /**
     * The interrupt context polls its sockets for up to 50 us after its last work, while a core is
     * left for everybody else ({@link LoopPoll#IDLE_CORE}): on a quiet virtual machine that saves
     * each word a halt exit, on busy cores the gate makes it block at once (README, "The mailbox").
     */
    public static final Duration DEFAULT_LOOP_SPIN = Duration.ofNanos(50_000);
    /**
     * How long a TCP link may go without any sign of its peer's host (an ACK of our data, or an
     * answer to a keepalive probe) before it is declared lost. TCP alone never notices a peer cut
     * off the network, so a link would stay bound to it for the retransmission timeout (about
     * 15 minutes) and everything sent after the network healed would wait behind it. The host's
     * TCP stack answers for a stopped process, so a kernel paused by a debugger or SIGSTOP keeps its
     * links: only a silent host or network loses them.
     */
    public static final Duration DEFAULT_LINK_LIVENESS = Duration.ofSeconds(5);

    /** Which Netty I/O to use: epoll when the native library loads (AUTO), or forced. */
    public enum Io { AUTO, EPOLL, NIO }

    /** When the interrupt context may poll for its loop-spin window before it blocks. */
    public enum LoopPoll {
        /** Only while no thread of the machine waits for a core (Linux's runnable count; elsewhere never). */
        IDLE_CORE,
        /** For the whole window, whoever waits for the core (for comparison in benchmarks). */
        ALWAYS;

        public static LoopPoll of(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "idle-core" -> IDLE_CORE;
                case "always" -> ALWAYS;
                default -> throw new IllegalArgumentException(LOOP_POLL_PROP + ": expected idle-core or always, found '" + text + "'");
            };
        }

        /** The names the settings take: idle-core, always. */
        public static final java.util.List<String> IDS = java.util.List.of("idle-core", "always");

        public String id() {
            return IDS.get(ordinal());
        }
    }

    private int memberId = -1;
    private String memberName;
    private long incarnation;
    private ClusterSecret secret;
    private boolean serve = true;
    private MailboxTransport transport = MailboxTransport.of(System.getProperty(TRANSPORT_PROP, "tcp"));
    private String bindHost = "127.0.0.1";
    private String advertisedHost;
    private int port;
    private Path socketPath;
    private int fifoDepth = Integer.getInteger(FIFO_DEPTH_PROP, DEFAULT_FIFO_DEPTH);
    private Io io = Io.valueOf(System.getProperty(IO_PROP, "auto").toUpperCase(Locale.ROOT));
    private Duration fifoFullTimeout = Duration.ofMillis(Long.getLong(FIFO_FULL_TIMEOUT_PROP, DEFAULT_FIFO_FULL_TIMEOUT.toMillis()));
    private Duration connectTimeout = Duration.ofMillis(Long.getLong(CONNECT_TIMEOUT_PROP, DEFAULT_CONNECT_TIMEOUT.toMillis()));
    private Duration handshakeTimeout = Duration.ofMillis(Long.getLong(HANDSHAKE_TIMEOUT_PROP, DEFAULT_HANDSHAKE_TIMEOUT.toMillis()));
    private Duration slowHandler = DEFAULT_SLOW_HANDLER;
    private Duration linkLiveness = Duration.ofMillis(Long.getLong(LINK_LIVENESS_PROP, DEFAULT_LINK_LIVENESS.toMillis()));
    private Duration spin = Duration.ofNanos(Long.getLong(SPIN_PROP, DEFAULT_SPIN.toNanos() / 1000) * 1000);
    private Duration loopSpin = Duration.ofNanos(Long.getLong(LOOP_SPIN_PROP, DEFAULT_LOOP_SPIN.toNanos() / 1000) * 1000);
    private LoopPoll loopPoll = LoopPoll.of(System.getProperty(LOOP_POLL_PROP, "idle-core"));
    // (archipelago.mailbox.spin-us: microseconds a waiting thread spins before it parks)
    private int backlogLimit = DEFAULT_BACKLOG_LIMIT;
    private MemorySegment ringMemory;
    private int ringKernels;
    private long memoryId;
    private PeerDirectory directory = PeerDirectory.none();
    private MailboxCounters counters = MailboxCounters.inMemory();
    private WordObserver wordObserver = WordObserver.NONE;

    private boolean concluded;

    /**
     * Checks every setting and fills in derived defaults.
     *
     * @throws IllegalArgumentException listing every invalid setting with the value found and what was expected
     */
    public MailboxContext conclude() {
        List<String> problems = new ArrayList<>();
        try {
            MemberIds.check(memberId);
        } catch (IllegalArgumentException e) {
            problems.add("member id: " + e.getMessage());
        }
        if (memberName == null || memberName.isBlank() || memberName.getBytes(StandardCharsets.UTF_8).length > 64) {
            problems.add("member name: expected 1 to 64 bytes of UTF-8, found '" + memberName + "'");
        }
        if (secret == null) {
            problems.add("secret: the cluster secret is required (members prove they know it)");
        }
        if (fifoDepth < 1 || fifoDepth > MAX_FIFO_DEPTH) {
            problems.add("fifo depth: expected 1 to " + MAX_FIFO_DEPTH + " words, found " + fifoDepth);
        }
        if (transport == null) {
            problems.add("transport: expected shm, tcp or unix");
        }
        if (ringMemory != null && (memoryId == 0 || ringKernels < 1
            || ringMemory.byteSize() < MailboxRings.bytes(ringKernels))) {
            problems.add("ring memory: expected the mailbox rings area of a global memory (a non-zero memory id, and "
                + MailboxRings.bytes(Math.max(1, ringKernels)) + " bytes for " + ringKernels + " kernels), found " + ringMemory.byteSize()
                + " bytes, memory id " + Long.toHexString(memoryId));
        }
        if (serve && transport != null && transport.socket() == MailboxTransport.TCP && (port < 0 || port > 65535)) {
            problems.add("port: expected 0 (any free port) to 65535, found " + port);
        }
        if (serve && transport == MailboxTransport.UNIX) {
            if (socketPath == null) {
                problems.add("socket path: a Unix socket mailbox needs the path of its socket file");
            } else if (socketPath.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length > MailboxEndpoint.MAX_UNIX_PATH_BYTES) {
                problems.add("socket path: " + socketPath.toAbsolutePath() + " is " + socketPath.toAbsolutePath().toString().length()
                    + " bytes, Linux allows at most " + MailboxEndpoint.MAX_UNIX_PATH_BYTES + " (use a shorter cluster directory, or tcp)");
            }
        }
        checkPositive(problems, "fifo-full timeout", fifoFullTimeout);
        checkPositive(problems, "connect timeout", connectTimeout);
        checkPositive(problems, "handshake timeout", handshakeTimeout);
        checkPositive(problems, "slow-handler threshold", slowHandler);
        if (linkLiveness == null || linkLiveness.toMillis() < 2000) {
            problems.add("link liveness: expected at least 2000 ms (TCP keepalive counts in whole seconds), found "
                + (linkLiveness == null ? "none" : linkLiveness.toMillis() + " ms"));
        }
        if (spin == null || spin.isNegative() || spin.toMillis() > 10) {
            problems.add("spin: expected 0 to 10 ms of spinning before parking, found " + spin);
        }
        if (loopSpin == null || loopSpin.isNegative() || loopSpin.toNanos() > 1_000_000) {
            problems.add("loop spin: expected 0 to 1000 us of polling before the interrupt context blocks, found " + loopSpin);
        }
        if (loopPoll == null) {
            problems.add("loop poll: expected idle-core or always, found none");
        }
        if (backlogLimit < 1) {
            problems.add("backlog limit: expected at least 1 word, found " + backlogLimit);
        }
        if (directory == null) {
            problems.add("directory: a peer directory is required (PeerDirectory.none() for none)");
        }
        if (counters == null) {
            problems.add("counters: a counters sink is required (MailboxCounters.inMemory() for tests)");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid mailbox configuration:\n  - " + String.join("\n  - ", problems));
        }
        if (advertisedHost == null || advertisedHost.isBlank()) {
            advertisedHost = "0.0.0.0".equals(bindHost) || "::".equals(bindHost) ? localHostName() : bindHost;
        }
        concluded = true;
        return this;
    }

    private static void checkPositive(List<String> problems, String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            problems.add(name + ": expected a duration > 0, found " + value);
        }
    }

    private static String localHostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "127.0.0.1";
        }
    }

    boolean concluded() {
        return concluded;
    }

    public int memberId() {
        return memberId;
    }

    /** This member's id: a kernel id, or one of {@link MemberIds}' reserved ids. */
    public MailboxContext memberId(int memberId) {
        this.memberId = memberId;
        return this;
    }

    public String memberName() {
        return memberName;
    }

    public MailboxContext memberName(String memberName) {
        this.memberName = memberName;
        return this;
    }

    public long incarnation() {
        return incarnation;
    }

    /** A new value each time the member starts, so peers tell a restarted member apart. */
    public MailboxContext incarnation(long incarnation) {
        this.incarnation = incarnation;
        return this;
    }

    public ClusterSecret secret() {
        return secret;
    }

    public MailboxContext secret(ClusterSecret secret) {
        this.secret = secret;
        return this;
    }

    public boolean serve() {
        return serve;
    }

    /** False for a member that only initiates links (a tool, or the coordinator): it binds nothing. */
    public MailboxContext serve(boolean serve) {
        this.serve = serve;
        return this;
    }

    public MailboxTransport transport() {
        return transport;
    }

    /** The mailbox rings area of global memory, or null when this member maps none. */
    public MemorySegment ringMemory() {
        return ringMemory;
    }

    public int ringKernels() {
        return ringKernels;
    }

    public long memoryId() {
        return memoryId;
    }

    /**
     * The mailbox rings area of the global memory this member maps (with {@link MailboxTransport#SHM},
     * the words of every pair whose other end maps the same memory travel there).
     *
     * @param kernels  the memory's max kernels: rings join kernel ids below it
     * @param memoryId what identifies that memory file to peers (its cluster id, random at creation)
     */
    public MailboxContext ringMemory(MemorySegment area, int kernels, long memoryId) {
        this.ringMemory = area;
        this.ringKernels = kernels;
        this.memoryId = memoryId;
        return this;
    }

    public MailboxContext transport(MailboxTransport transport) {
        this.transport = transport;
        return this;
    }

    public String bindHost() {
        return bindHost;
    }

    public MailboxContext bindHost(String bindHost) {
        this.bindHost = bindHost;
        return this;
    }

    public String advertisedHost() {
        return advertisedHost;
    }

    /** The host peers use to reach a TCP mailbox (default: the bind host, or the host name when binding all addresses). */
    public MailboxContext advertisedHost(String advertisedHost) {
        this.advertisedHost = advertisedHost;
        return this;
    }

    public int port() {
        return port;
    }

    /** The TCP port to serve on; 0 picks a free one. */
    public MailboxContext port(int port) {
        this.port = port;
        return this;
    }

    public Path socketPath() {
        return socketPath;
    }

    /** The Unix socket file to serve on (a stale file of a previous incarnation is replaced). */
    public MailboxContext socketPath(Path socketPath) {
        this.socketPath = socketPath;
        return this;
    }

    public int fifoDepth() {
        return fifoDepth;
    }

    /** How many words this member's receive FIFO holds per peer (default 4, as OMAP4). */
    public MailboxContext fifoDepth(int fifoDepth) {
        this.fifoDepth = fifoDepth;
        return this;
    }

    public Io io() {
        return io;
    }

    public MailboxContext io(Io io) {
        this.io = io;
        return this;
    }

    public Duration fifoFullTimeout() {
        return fifoFullTimeout;
    }

    /** How long a sender waits on a full FIFO before it fails with an error naming the peer. */
    public MailboxContext fifoFullTimeout(Duration fifoFullTimeout) {
        this.fifoFullTimeout = fifoFullTimeout;
        return this;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long establishing a link (connect and handshake, retries included) may take. */
    public MailboxContext connectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
        return this;
    }

    public Duration linkLiveness() {
        return linkLiveness;
    }

    /**
     * How long a TCP link may go without any sign of life from its peer's host before it is lost
     * (TCP keepalive on idle links, TCP_USER_TIMEOUT on links with unacknowledged words where the
     * epoll transport offers it). Requests waiting on a lost link fail, and the next word reconnects.
     */
    public MailboxContext linkLiveness(Duration linkLiveness) {
        this.linkLiveness = linkLiveness;
        return this;
    }

    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** How long an accepted connection has to prove membership before it is dropped. */
    public MailboxContext handshakeTimeout(Duration handshakeTimeout) {
        this.handshakeTimeout = handshakeTimeout;
        return this;
    }

    public Duration slowHandler() {
        return slowHandler;
    }

    /** How long an interrupt handler may run before it is counted ({@code mailbox.slow_handlers}) and logged. */
    public MailboxContext slowHandler(Duration slowHandler) {
        this.slowHandler = slowHandler;
        return this;
    }

    public Duration spin() {
        return spin;
    }

    /** How long a waiting thread spins before it parks (2 cores: keep it short). */
    public MailboxContext spin(Duration spin) {
        this.spin = spin;
        return this;
    }

    public Duration loopSpin() {
        return loopSpin;
    }

    /**
     * How long the interrupt context polls its sockets after its last work before it blocks
     * (default {@link #DEFAULT_LOOP_SPIN}; 0: block at once). On a quiet virtual machine whose
     * cores halt when idle, every word otherwise pays a halt exit to wake the peer's interrupt
     * context; {@link #loopPoll(LoopPoll)} says when the poll gives way. README, "The mailbox",
     * has the figures.
     */
    public MailboxContext loopSpin(Duration loopSpin) {
        this.loopSpin = loopSpin;
        return this;
    }

    public LoopPoll loopPoll() {
        return loopPoll;
    }

    /**
     * When the interrupt context may poll: {@link LoopPoll#IDLE_CORE} (default) only while no
     * thread waits for a core, since on busy cores polling takes the core a kernel thread needs
     * (measured: requester round trips 4x slower with {@link LoopPoll#ALWAYS}).
     */
    public MailboxContext loopPoll(LoopPoll loopPoll) {
        this.loopPoll = loopPoll;
        return this;
    }

    public int backlogLimit() {
        return backlogLimit;
    }

    /** How many words the interrupt context may queue per peer while that peer's FIFO is full. */
    public MailboxContext backlogLimit(int backlogLimit) {
        this.backlogLimit = backlogLimit;
        return this;
    }

    public PeerDirectory directory() {
        return directory;
    }

    public MailboxContext directory(PeerDirectory directory) {
        this.directory = directory;
        return this;
    }

    public MailboxCounters counters() {
        return counters;
    }

    public MailboxContext counters(MailboxCounters counters) {
        this.counters = counters;
        return this;
    }

    public WordObserver wordObserver() {
        return wordObserver;
    }

    /** Who watches every word sent and received (a kernel's trace ring); {@link WordObserver#NONE} by default. */
    public MailboxContext wordObserver(WordObserver wordObserver) {
        this.wordObserver = java.util.Objects.requireNonNull(wordObserver, "wordObserver");
        return this;
    }

    @Override
    public String toString() {
        return "MailboxContext[member=" + memberName + " (" + memberId + "), transport=" + transport + ", serve=" + serve
            + ", fifoDepth=" + fifoDepth + ", io=" + io + (ringMemory != null ? ", rings for " + ringKernels + " kernels" : "") + "]";
    }
}
