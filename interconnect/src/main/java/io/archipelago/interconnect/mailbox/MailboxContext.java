package io.archipelago.interconnect.mailbox;

import io.archipelago.interconnect.auth.ClusterSecret;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything a {@link Mailbox} needs, in one place (after Aeron's {@code MediaDriver.Context}):
 * every setting starts from its default and system property ({@link MailboxConfiguration}, where
 * both are defined), has a fluent setter, and {@link #conclude()} checks them all at once, failing
 * with one message that lists every problem. A kernel's context owns one of these and configures
 * it; the kernel adds what only its boot knows (its id, secret, rings, peers).
 */
public final class MailboxContext {

    /** Which Netty I/O to use: epoll when the native library loads (AUTO), or forced. */
    public enum Io {
        AUTO, EPOLL, NIO;

        public static Io of(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("io: expected auto, epoll or nio, found '" + text + "' ("
                    + MailboxConfiguration.IO_PROP + ")");
            }
        }
    }

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
                default -> throw new IllegalArgumentException(MailboxConfiguration.loopPollProblem(text));
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
    /**
     * Settings given as text (system properties, or {@link #loopPoll(String)}) that could not be
     * parsed, by property: reported by {@link #conclude()} unless a setter replaced the value since.
     */
    private final java.util.Map<String, String> parseProblems = new java.util.LinkedHashMap<>();
    private MailboxTransport transport = parsed(MailboxConfiguration.TRANSPORT_PROP, MailboxConfiguration.transport(), MailboxTransport::of,
        MailboxTransport.TCP);
    private String bindHost = "127.0.0.1";
    private String advertisedHost;
    private int port;
    private Path socketPath;
    private int fifoDepth = MailboxConfiguration.fifoDepth();
    private Io io = parsed(MailboxConfiguration.IO_PROP, MailboxConfiguration.io(), Io::of, Io.AUTO);
    private Duration fifoFullTimeout = MailboxConfiguration.fifoFullTimeout();
    private Duration connectTimeout = MailboxConfiguration.connectTimeout();
    private Duration handshakeTimeout = MailboxConfiguration.handshakeTimeout();
    private Duration slowHandler = MailboxConfiguration.SLOW_HANDLER_DEFAULT;
    private Duration linkLiveness = MailboxConfiguration.linkLiveness();
    private Duration spin = MailboxConfiguration.spin();
    private Duration loopSpin = MailboxConfiguration.loopSpin();
    private LoopPoll loopPoll = parsed(MailboxConfiguration.LOOP_POLL_PROP, MailboxConfiguration.loopPoll(), LoopPoll::of,
        LoopPoll.IDLE_CORE);
    private int backlogLimit = MailboxConfiguration.BACKLOG_LIMIT_DEFAULT;
    private MemorySegment ringMemory;
    private int ringKernels;
    private long memoryId;
    private PeerDirectory directory = PeerDirectory.none();
    private MailboxCounters counters = MailboxCounters.inMemory();
    private WordObserver wordObserver = WordObserver.NONE;
    private java.util.function.IntToLongFunction wordLatency = NO_LATENCY;

    /** No modelled latency for any peer: words are delivered as soon as they arrive. */
    public static final java.util.function.IntToLongFunction NO_LATENCY = peer -> 0;

    private boolean concluded;

    /**
     * Checks every setting and fills in derived defaults.
     *
     * @throws IllegalArgumentException listing every invalid setting with the value found and what was expected
     */
    public MailboxContext conclude() {
        List<String> problems = settingProblems();
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
        if (ringMemory != null && (memoryId == 0 || ringKernels < 1
            || ringMemory.byteSize() < MailboxRingsArea.bytes(ringKernels))) {
            problems.add("ring memory: expected the mailbox rings area of a global memory (a non-zero memory id, and "
                + MailboxRingsArea.bytes(Math.max(1, ringKernels)) + " bytes for " + ringKernels + " kernels), found " + ringMemory.byteSize()
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

    /**
     * The problems of the configured settings alone (ranges of the FIFO depth, the timeouts, the
     * spin and poll windows...), without those of what a member's start supplies (id, secret,
     * rings, peers): what a kernel's context checks when it concludes, before the kernel boots.
     */
    public List<String> settingProblems() {
        List<String> problems = new ArrayList<>(parseProblems.values());
        addIfProblem(problems, MailboxConfiguration.fifoDepthProblem(fifoDepth));
        if (transport == null) {
            problems.add("transport: expected shm, tcp or unix, found none");
        }
        checkPositive(problems, "fifo-full timeout", fifoFullTimeout);
        checkPositive(problems, "connect timeout", connectTimeout);
        checkPositive(problems, "handshake timeout", handshakeTimeout);
        checkPositive(problems, "slow-handler threshold", slowHandler);
        if (linkLiveness == null || linkLiveness.compareTo(MailboxConfiguration.LINK_LIVENESS_MIN) < 0) {
            problems.add("link liveness: expected at least " + MailboxConfiguration.LINK_LIVENESS_MIN.toMillis()
                + " ms (TCP keepalive counts in whole seconds), found " + (linkLiveness == null ? "none" : linkLiveness.toMillis() + " ms")
                + " (" + MailboxConfiguration.LINK_LIVENESS_PROP + ")");
        }
        if (spin == null || spin.isNegative() || spin.toNanos() > MailboxConfiguration.SPIN_US_MAX * 1000) {
            problems.add("spin: expected 0 to " + MailboxConfiguration.SPIN_US_MAX + " us of spinning before parking, found "
                + (spin == null ? "none" : spin.toNanos() / 1000 + " us") + " (" + MailboxConfiguration.SPIN_PROP + ")");
        }
        if (loopSpin == null) {
            problems.add("loop spin: expected 0 to " + MailboxConfiguration.LOOP_SPIN_US_MAX + " us, found none");
        } else {
            addIfProblem(problems, MailboxConfiguration.loopSpinProblem(loopSpin.isNegative() ? -1 : (loopSpin.toNanos() + 999) / 1000));
        }
        if (loopPoll == null) {
            problems.add("loop poll: expected idle-core or always, found none");
        }
        return problems;
    }

    private static void addIfProblem(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }

    private <T> T parsed(String property, String text, java.util.function.Function<String, T> parser, T fallback) {
        try {
            T value = parser.apply(text);
            parseProblems.remove(property);
            return value;
        } catch (IllegalArgumentException e) {
            parseProblems.put(property, e.getMessage());
            return fallback;
        }
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

    /** Whether {@link #conclude()} has checked this context (a mailbox starts only on a concluded context). */
    public boolean concluded() {
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
        parseProblems.remove(MailboxConfiguration.TRANSPORT_PROP);
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
        parseProblems.remove(MailboxConfiguration.IO_PROP);
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
     * (default {@link MailboxConfiguration#LOOP_SPIN_US_DEFAULT} us; 0: block at once). On a quiet virtual machine whose
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
        parseProblems.remove(MailboxConfiguration.LOOP_POLL_PROP);
        return this;
    }

    /** As {@link #loopPoll(LoopPoll)} by its id ({@code idle-core} or {@code always}); a wrong id is reported by {@link #conclude()}. */
    public MailboxContext loopPoll(String id) {
        this.loopPoll = parsed(MailboxConfiguration.LOOP_POLL_PROP, id, LoopPoll::of, loopPoll);
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

    public java.util.function.IntToLongFunction wordLatency() {
        return wordLatency;
    }

    /**
     * The modelled platform's one-way latency of a word to and from each peer, in nanoseconds, by
     * the peer's member id ({@link #NO_LATENCY} by default). Where it is above 0, a word in the
     * rings in global memory carries its send time and is delivered no earlier than that time plus
     * the latency; both ends of a pair must model the same latency (it is the pair's, not a direction's).
     */
    public MailboxContext wordLatency(java.util.function.IntToLongFunction wordLatency) {
        this.wordLatency = java.util.Objects.requireNonNull(wordLatency, "wordLatency");
        return this;
    }

    @Override
    public String toString() {
        return "MailboxContext[member=" + memberName + " (" + memberId + "), transport=" + transport + ", serve=" + serve
            + ", fifoDepth=" + fifoDepth + ", io=" + io + (ringMemory != null ? ", rings for " + ringKernels + " kernels" : "") + "]";
    }
}
