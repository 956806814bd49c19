package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.InterruptHandler;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.LinkFaults;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxException.Reason;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import io.archipelago.interconnect.mailbox.wire.Frame;
import io.archipelago.interconnect.mailbox.wire.FrameCodec;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mailbox engine behind {@link io.archipelago.interconnect.mailbox.Mailbox}: one Netty event
 * loop thread, which is also the member's <b>interrupt context</b>, serves every link. Here: the
 * API for normal threads (senders wait for FIFO credits, bounded; requesters wait for replies)
 * and the traffic on the interrupt context (delivery, credits, the backlog, which never waits).
 * Links' life cycle is in {@link Links}; requests that do not wait are in {@link AsyncRequests}.
 * <p>
 * Threading: fields of {@link PeerQueue} and {@link Link} without atomics, and every method whose
 * javadoc says "(interrupt context)", run only on the event loop. Methods for normal threads
 * refuse to run on it.
 */
public final class MailboxCore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MailboxCore.class);
    /**
     * How long a kernel thread spins for its reply, or for room in a full ring, before it asks
     * whether a core is free: about ten round trips through a ring, and two looks of the gate
     * (whose verdict may still count the interrupt context that is stepping aside).
     */
    static final long REPLY_GRACE_NANOS = 2 * SpinThenBlock.CHECK_NANOS;
    /** A sender parked on a full ring looks again after this long at first, then after twice as long each time ... */
    static final long FULL_PARK_FIRST_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    /** ... up to this. */
    static final long FULL_PARK_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    final MailboxContext context;
    final int selfId;
    final String selfName;
    final long incarnation;
    final ClusterSecret secret;
    final int fifoDepth;
    final MailboxMetrics metrics;
    /** Who puts every word sent and received on the timeline (a kernel's trace ring), where the counters count it, and with what stamp. */
    private final WordStamps stamps;
    final SecureRandom random = new SecureRandom();
    final LogLimiter authLog = new LogLimiter(20, TimeUnit.SECONDS.toNanos(10));
    final LogLimiter dropLog = new LogLimiter(20, TimeUnit.SECONDS.toNanos(10));
    final FrameCodec codec = new FrameCodec();

    final IoTransport io;
    private final MultiThreadIoEventLoopGroup group;
    final EventLoop loop;
    /** Faults injected on purpose into the words arriving here (none unless a rule is set). */
    final LinkFaults linkFaults = new LinkFaults();
    final ExecutorService resolver;
    final Links links = new Links(this);
    final AsyncRequests async = new AsyncRequests(this);
    private final AtomicReferenceArray<InterruptHandler> handlers = new AtomicReferenceArray<>(MailboxType.CODES);
    /** Type codes whose handler has run at least once (interrupt context only). */
    private final java.util.BitSet handlerRan = new java.util.BitSet(MailboxType.CODES);
    private final Map<Integer, PeerQueue> queues = new ConcurrentHashMap<>();
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    final AtomicInteger pingPayload = new AtomicInteger();
    private final long spinNanos;
    /** How long apart two looks that found words of a peer may be and still count as one run of its words (see drainRing). */
    private final long runGapNanos;
    private final long slowHandlerNanos;
    private final int creditThreshold;
    private final ChannelFutureListener lostOnFailure;
    /** How the interrupt context waits for work (null: it blocks at once). */
    private final SpinThenBlock waiting;
    /** The mailbox rings of the global memory this member maps, or null (words travel on the links only). */
    final MailboxRings rings;
    /** What identifies that memory to peers in the handshake; 0 with no rings. */
    final long memoryId;
    /** Our wake line: whether anybody of ours watches our rings (null with no rings). */
    private final MailboxRings.WakeLine ownWake;
    /** Links whose peer's words reach us through a ring, for the interrupt context to watch (replaced on change). */
    private volatile Link[] ringLinks = new Link[0];
    /** The ring link whose word a handler is handling and whose place is not released yet (interrupt context only). */
    private Link handling;
    /** Whether the interrupt context counts among our wake line's watchers (interrupt context only). */
    private boolean loopWatching;
    /** Whether the interrupt context declared itself asleep (it then needs waking for a word nobody else takes). */
    private volatile boolean loopAsleep;
    /**
     * Until when the interrupt context expects the next word of an exchange or a stream (interrupt
     * context only), before the poll window: a word delivered from a ring with a modelled latency,
     * plus the round trip on that link (the peer that sent it awaits our answer, or answered us and
     * sends again, so its next word comes about a modelled round trip later, not at random); or the
     * last of a run of a FIFO's worth of words or more taken from a ring (look after look, with
     * nothing posted back: see drainRing), plus nothing (the sender streams: its next word comes as
     * soon as it sees room).
     */
    private long exchangeUntil = System.nanoTime();
    /** Until when a caller of ours expects a word (see {@link #watchRingsAgain(long)}; interrupt context only). */
    private long expectedUntil = System.nanoTime();
    /** Kernel threads of ours watching a ring for their reply now: the interrupt context leaves the watch to them. */
    private final AtomicInteger replyWatchers = new AtomicInteger();
    /** When threads other than the interrupt context may spin (senders on a full ring, requesters watching for their reply). */
    private final CoreGate gate;
    private volatile boolean closed;
    private Channel server;
    private MailboxEndpoint endpoint;

    private MailboxCore(MailboxContext context) {
        this.context = context;
        this.selfId = context.memberId();
        this.selfName = context.memberName();
        this.incarnation = context.incarnation();
        this.secret = context.secret();
        this.fifoDepth = context.fifoDepth();
        this.metrics = new MailboxMetrics(context.counters());
        this.stamps = new WordStamps(context.wordObserver());
        this.spinNanos = context.spin().toNanos();
        this.runGapNanos = Math.max(SpinThenBlock.WORKING_NANOS, context.loopSpin().toNanos());
        this.slowHandlerNanos = context.slowHandler().toNanos();
        this.creditThreshold = Math.max(1, fifoDepth / 2);
        this.io = IoTransport.select(context.io());
        String threadName = "irq-" + selfName;
        boolean useRings = context.transport() == MailboxTransport.SHM && context.ringMemory() != null && selfId < context.ringKernels();
        this.rings = useRings ? new MailboxRings(context.ringMemory(), context.ringKernels()) : null;
        this.memoryId = useRings ? context.memoryId() : 0;
        this.ownWake = useRings ? rings.wakeLine(selfId) : null;
        if (ownWake != null) {
            ownWake.reset();
        }
        int cores = Runtime.getRuntime().availableProcessors();
        this.gate = CoreGate.of(context.loopSpin().toNanos(), context.loopPoll(), cores);
        this.waiting = SpinThenBlock.of(context.loopSpin().toNanos(), context.loopPoll(), cores,
            metrics.pollHits, metrics.pollYields, useRings);
        if (waiting != null) {
            waiting.sleeps = metrics.loopSleeps;
        }
        if (useRings) {
            waiting.watchRings(new InterruptContextRings());
        }
        this.group = new MultiThreadIoEventLoopGroup(1, runnable -> {
            Thread thread = new FastThreadLocalThread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        }, io.handlerFactory(waiting));
        this.loop = group.next();
        if (waiting != null) {
            waiting.watchTasksOf((io.netty.util.concurrent.SingleThreadEventExecutor) loop);
        }
        this.resolver = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("mailbox-resolve-" + selfName + "-", 0).factory());
        this.lostOnFailure = future -> {
            if (!future.isSuccess()) {
                metrics.lost(1);
            }
        };
        handlers.set(MailboxType.PING.code(), irq -> irq.reply(MailboxType.PONG, irq.payload()));
        // One-time costs (JCA provider and HMAC set-up, seeding) belong to boot, not to the first word.
        random.nextBytes(new byte[Frame.CHALLENGE_BYTES]);
        secret.verify(secret.prove(new byte[Frame.CHALLENGE_BYTES]), new byte[Frame.CHALLENGE_BYTES]);
    }

    /** Starts the event loop and, when the context says so, serves on its endpoint. */
    public static MailboxCore start(MailboxContext context) {
        MailboxCore core = new MailboxCore(context);
        try {
            if (context.serve()) {
                core.bind();
            }
            LOG.info("mailbox of {} (member {}) up: {} I/O, {}, FIFO depth {}", core.selfName, core.selfId, core.io.id(),
                core.endpoint == null ? "initiating links only" : "serving on " + core.endpoint, core.fifoDepth);
            return core;
        } catch (RuntimeException e) {
            core.close();
            throw e;
        }
    }

    private void bind() {
        ServerBootstrap bootstrap = new ServerBootstrap().group(loop, loop)
            .channel(io.serverChannel(context.transport().socket()))
            .childHandler(initializer(null, null));
        ChannelFuture bound;
        if (context.transport().socket() == MailboxTransport.TCP) {
            bootstrap.childOption(ChannelOption.TCP_NODELAY, true).option(ChannelOption.SO_REUSEADDR, true);
            io.livenessOptions(context.linkLiveness()).forEach((option, value) -> bootstrap.childOption(Links.<Object>cast(option), value));
            bound = bootstrap.bind(new InetSocketAddress(context.bindHost(), context.port())).awaitUninterruptibly();
        } else {
            Path socket = context.socketPath().toAbsolutePath();
            try {
                Files.createDirectories(socket.getParent());
                Files.deleteIfExists(socket); // a previous incarnation's socket file; only one live member holds an id
            } catch (IOException e) {
                throw new MailboxException(Reason.UNREACHABLE, selfId, "mailbox of " + selfName + " cannot prepare its Unix socket "
                    + socket + ": " + e.getMessage(), e);
            }
            bound = bootstrap.bind(io.address(MailboxEndpoint.unix(socket))).awaitUninterruptibly();
        }
        if (!bound.isSuccess()) {
            String where = context.transport().socket() == MailboxTransport.TCP ? context.bindHost() + ":" + context.port()
                : context.socketPath().toString();
            throw new MailboxException(Reason.UNREACHABLE, selfId, "mailbox of " + selfName + " cannot serve on " + where + ": "
                + bound.cause().getMessage(), bound.cause());
        }
        server = bound.channel();
        endpoint = context.transport().socket() == MailboxTransport.TCP
            ? MailboxEndpoint.tcp(context.advertisedHost(), ((InetSocketAddress) server.localAddress()).getPort())
            : MailboxEndpoint.unix(context.socketPath().toAbsolutePath());
    }

    ChannelInitializer<Channel> initializer(PeerQueue initiatorFor, CompletableFuture<Link> attempt) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                if (closed) {
                    channel.close();
                    return;
                }
                channels.add(channel);
                channel.closeFuture().addListener(f -> channels.remove(channel));
                channel.pipeline()
                    .addLast("frames", FrameCodec.frameDecoder())
                    .addLast("codec", codec)
                    .addLast("auth", initiatorFor == null ? AuthenticationHandler.acceptor(MailboxCore.this)
                        : AuthenticationHandler.initiator(MailboxCore.this, initiatorFor, attempt));
            }
        };
    }

    // ------------------------------------------------------------------ API for normal threads

    public Optional<MailboxEndpoint> endpoint() {
        return Optional.ofNullable(endpoint);
    }

    public String io() {
        return io.id();
    }

    public boolean inInterruptContext() {
        return loop.inEventLoop();
    }

    public void onInterrupt(MailboxType type, InterruptHandler handler) {
        if (type == MailboxType.NOP) {
            throw new IllegalArgumentException("NOP words never reach a handler: the mailbox checks their running count itself");
        }
        handlers.set(type.code(), handler);
    }

    /** Sends a word, stamping the queue's next sequence number; waits (bounded) for a link and FIFO room. */
    public void send(int peer, MailboxType type, int payload) {
        checkCaller("send", peer);
        PeerQueue queue = queue(peer);
        int word = MailboxWord.encode(type, queue.stampSequence(), checkPayload(type, payload));
        Link link = links.awaitLink(queue, System.nanoTime() + context.connectTimeout().toNanos());
        long now = System.nanoTime();
        sendOn(queue, link, word, now + context.fifoFullTimeout().toNanos(), now);
    }

    /** Sends a word as given (its sequence number included); waits (bounded) for a link and FIFO room. */
    public void sendWord(int peer, int word) {
        checkCaller("send", peer);
        PeerQueue queue = queue(peer);
        Link link = links.awaitLink(queue, System.nanoTime() + context.connectTimeout().toNanos());
        long now = System.nanoTime();
        sendOn(queue, link, word, now + context.fifoFullTimeout().toNanos(), now);
    }

    /**
     * Sends a request and waits for the reply of an accepted type that echoes its sequence number
     * and passes the check.
     *
     * @param acceptedTypes bit {@code 1 << code} per accepted reply type
     * @param check         whether a reply answers this request (see {@link ReplyCheck})
     * @return the reply word
     */
    public int request(int peer, MailboxType type, int payload, int acceptedTypes, ReplyCheck check, long timeoutNanos) {
        return request(peer, type, payload, acceptedTypes, check, timeoutNanos, 0);
    }

    /**
     * As {@link #request(int, MailboxType, int, int, ReplyCheck, long)}, the requesting thread watching the ring for its
     * reply for at least {@code watchNanos} (under the free-core gate, as always) before it parks: for a caller that
     * knows its reply takes longer than the interrupt context's poll window, where parking would add a wake-up.
     */
    public int request(int peer, MailboxType type, int payload, int acceptedTypes, ReplyCheck check, long timeoutNanos,
                       long watchNanos) {
        checkCaller("request", peer);
        checkPayload(type, payload);
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        PeerQueue queue = queue(peer);
        PendingRequest request = new PendingRequest(acceptedTypes, check, timeoutNanos);
        int sequence = queue.register(request);
        while (sequence < 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new MailboxException(Reason.NO_REPLY, peer, "cannot send " + type + " to " + describe(queue) + ": "
                    + noFreeSequence(queue) + " for " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
            LockSupport.parkNanos(50_000);
            sequence = queue.register(request);
        }
        try {
            Link link;
            while (true) {
                link = links.awaitLink(queue, Math.min(deadline, start + context.connectTimeout().toNanos()));
                try {
                    if (!request.done()) {
                        long now = System.nanoTime();
                        sendOn(queue, link, MailboxWord.encode(type, sequence, payload), Math.min(deadline,
                            now + context.fifoFullTimeout().toNanos()), now);
                    }
                    break;
                } catch (MailboxException e) {
                    // the link closed before the word entered the peer's FIFO (a restarted peer's old link, found still
                    // open a moment ago): the word never left, so the peer's next link carries it, within the deadline
                    if (e.reason() != Reason.DISCONNECTED || closed || System.nanoTime() - deadline >= 0) {
                        throw e;
                    }
                }
            }
            Integer reply = link.onRings() ? takeOwnReply(queue, link, request, deadline, watchNanos) : null;
            if (reply == null) {
                reply = request.await(spinNanos, deadline);
            }
            if (reply == null && !queue.abandon(request, System.nanoTime())) {
                // its reply (or its link's failure) took it just now, on the interrupt context: wait for that to finish
                reply = request.await(spinNanos, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
            }
            if (reply == null) {
                metrics.requestTimeouts.increment();
                throw new MailboxException(Reason.NO_REPLY, peer, "no " + acceptedNames(acceptedTypes) + " from " + describe(queue)
                    + " to " + type + "#" + sequence + "(" + payload + ") within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos)
                    + " ms (its link is " + (queue.openLink() != null ? "up: is it stopped or overloaded?" : "down") + ")");
            }
            return reply;
        } finally {
            queue.unregister(request);
        }
    }

    /** Why no sequence number is free for a request to the peer, for error messages. */
    String noFreeSequence(PeerQueue queue) {
        int held = queue.quarantinedCount(System.nanoTime());
        return "all 16 sequence numbers are taken by outstanding requests" + (held == 0 ? "" : " (" + held + " of them held back "
            + "after their request gave up, until its late reply arrives, " + queue.peerName + " restarts, or "
            + TimeUnit.NANOSECONDS.toSeconds(PeerQueue.QUARANTINE_MIN_NANOS) + " s pass)");
    }

    /** See {@link AsyncRequests#requestAsync}. */
    public CompletableFuture<Integer> requestAsync(int peer, MailboxType type, int payload, int acceptedTypes, ReplyCheck check,
                                                   long timeoutNanos) {
        return async.requestAsync(peer, type, payload, acceptedTypes, check, timeoutNanos);
    }

    /** See {@link AsyncRequests#pingFromInterruptContext}. */
    public long[] pingFromInterruptContext(int peer, int count, long timeoutNanos) {
        return async.pingFromInterruptContext(peer, count, timeoutNanos);
    }

    /** One PING/PONG round trip; returns its duration in nanoseconds. */
    public long ping(int peer, long timeoutNanos) {
        int payload = pingPayload.incrementAndGet() & MailboxWord.PAYLOAD_MASK;
        long start = System.nanoTime();
        request(peer, MailboxType.PING, payload, 1 << MailboxType.PONG.code(), ReplyCheck.echoes(payload), timeoutNanos);
        return System.nanoTime() - start;
    }

    /**
     * Sends {@code words} NOP words carrying their running count, as fast as the FIFO allows, then
     * a PING whose PONG proves all were consumed.
     *
     * @return {elapsed nanoseconds, sends that waited on a full FIFO}
     */
    public long[] stream(int peer, int words, long fifoFullTimeoutNanos, long timeoutNanos) {
        checkCaller("stream", peer);
        PeerQueue queue = queue(peer);
        long start = System.nanoTime();
        Link link = links.awaitLink(queue, start + context.connectTimeout().toNanos());
        long waits = 0;
        synchronized (link.nopSent) {
            for (int i = 0; i < words; i++) {
                if (link != queue.link || !link.open) {
                    throw new MailboxException(Reason.DISCONNECTED, peer, "the link to " + describe(queue) + " closed after " + i + " of "
                        + words + " NOP words");
                }
                int count = link.nopSent.getAndIncrement() & MailboxWord.PAYLOAD_MASK;
                long now = System.nanoTime();
                if (sendOn(queue, link, MailboxWord.encode(MailboxType.NOP, queue.stampSequence(), count), now + fifoFullTimeoutNanos,
                    now)) {
                    waits++;
                }
            }
        }
        ping(peer, Math.max(timeoutNanos - (System.nanoTime() - start), TimeUnit.MILLISECONDS.toNanos(100)));
        return new long[] {System.nanoTime() - start, waits};
    }

    void checkCaller(String operation, int peer) {
        if (loop.inEventLoop()) {
            throw new MailboxException(Reason.WOULD_BLOCK_INTERRUPT_CONTEXT, peer, "Mailbox." + operation + " was called on the "
                + "interrupt context of " + selfName + ": it may wait, and an interrupt handler must never block (use Interrupt.reply "
                + "or Interrupt.post, which never block)");
        }
        checkOpen(peer);
        if (peer == selfId) {
            throw new IllegalArgumentException(selfName + " cannot send mailbox words to itself (member " + peer + ")");
        }
        MemberIds.check(peer);
    }

    void checkOpen(int peer) {
        if (closed) {
            throw new MailboxException(Reason.CLOSED, peer, "the mailbox of " + selfName + " is closed");
        }
    }

    static int checkPayload(MailboxType type, int payload) {
        if (payload < 0 || payload > MailboxWord.MAX_PAYLOAD) {
            throw new IllegalArgumentException("a mailbox payload is 0 to " + MailboxWord.MAX_PAYLOAD + " (24 bits, unsigned), found "
                + payload + " for " + type);
        }
        return payload;
    }

    /**
     * Takes a FIFO credit, waiting (spin, then park) until the deadline when the peer's FIFO is
     * full, and writes the word.
     *
     * @param now the caller's clock reading, taken just before: the word's stamp on the timeline unless the send waits
     * @return whether the FIFO was full and the send waited
     */
    private boolean sendOn(PeerQueue queue, Link link, int word, long deadline, long now) {
        if (link.onRings()) {
            return sendOnRing(queue, link, word, deadline, now);
        }
        long stamp = now;
        boolean waited = false;
        if (!link.tryTakeCredit()) {
            waited = true;
            metrics.fifoFullWaits.increment();
            notifyFull(link);
            long start = System.nanoTime();
            boolean got = BoundedWait.until(() -> !link.open || closed || link.tryTakeCredit(), spinNanos, deadline, link.creditWaiters);
            if (!link.open || closed) {
                throw new MailboxException(closed ? Reason.CLOSED : Reason.DISCONNECTED, queue.peerId, "the link to " + describe(queue)
                    + " closed while waiting for room in its FIFO to send " + MailboxWord.decode(word));
            }
            if (!got) {
                throw new MailboxException(Reason.FIFO_FULL, queue.peerId, "the FIFO of " + describe(queue) + " stayed full for "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms: its " + link.peerFifoDepth + " words were not "
                    + "consumed, so " + MailboxWord.decode(word) + " was not sent (is " + queue.peerName + " stopped or stuck in a handler?)");
            }
            stamp = System.nanoTime();
        }
        metrics.sent(MailboxType.ofCodeOrNull(MailboxWord.typeCode(word)));
        link.channel.writeAndFlush(new OutboundWord(word)).addListener(lostOnFailure);
        stamps.sent(queue.peerId, word, stamp);
        return waited;
    }

    /**
     * Puts the word in the peer's ring, waiting while it is full (or not yet bound to this link by
     * the peer): spin while a core is free and the window lasts, then park; a parked sender is
     * woken by the peer's CREDIT frame, which it asks for with FIFO_FULL, and looks again after
     * {@link #FULL_PARK_FIRST_NANOS}, then twice as long each time up to {@link #FULL_PARK_MAX_NANOS}.
     * Rings the doorbell when nobody of the peer watches its rings.
     */
    private boolean sendOnRing(PeerQueue queue, Link link, int word, long deadline, long stamp) {
        int result = link.outRing.offer(link.ringEpoch, word);
        boolean waited = false;
        if (result != MailboxRing.OFFERED) {
            waited = true;
            if (result == MailboxRing.FULL) {
                metrics.fifoFullWaits.increment();
            }
            long start = System.nanoTime();
            long spinEnd = start + gate.windowNanos;
            long parkNanos = FULL_PARK_FIRST_NANOS;
            Thread self = Thread.currentThread();
            while (result != MailboxRing.OFFERED) {
                if (!link.open || closed) {
                    throw new MailboxException(closed ? Reason.CLOSED : Reason.DISCONNECTED, queue.peerId, "the link to " + describe(queue)
                        + " closed while waiting for room in its FIFO to send " + MailboxWord.decode(word));
                }
                long now = System.nanoTime();
                stamp = now; // read before the offer that succeeds
                if (now - deadline >= 0) {
                    if (result == MailboxRing.UNBOUND) {
                        throw new MailboxException(Reason.DISCONNECTED, queue.peerId, "the ring in global memory to " + describe(queue)
                            + " was not bound to the current link within " + TimeUnit.NANOSECONDS.toMillis(now - start) + " ms, so "
                            + MailboxWord.decode(word) + " was not sent (did " + queue.peerName + " restart?)");
                    }
                    throw new MailboxException(Reason.FIFO_FULL, queue.peerId, "the FIFO of " + describe(queue) + " stayed full for "
                        + TimeUnit.NANOSECONDS.toMillis(now - start) + " ms: its " + link.peerFifoDepth + " words were not "
                        + "consumed, so " + MailboxWord.decode(word) + " was not sent (is " + queue.peerName + " stopped or stuck in a handler?)");
                }
                if (now - spinEnd < 0) {
                    if (now - start < REPLY_GRACE_NANOS || gate.coreToSpare()) {
                        for (int i = 0; i < 16; i++) {
                            Thread.onSpinWait();
                        }
                    } else {
                        // every core is wanted, often by the receiver itself, descheduled with our words in its ring:
                        // give up this core to whoever waits for it and look again, rather than park (a park costs a
                        // FIFO_FULL notice, a CREDIT frame and two wake-ups, 50-100 us on this machine)
                        Thread.yield();
                    }
                } else {
                    link.creditWaiters.add(self);
                    if (result == MailboxRing.FULL) {
                        notifyFull(link);
                    }
                    result = link.outRing.offer(link.ringEpoch, word);
                    if (result != MailboxRing.OFFERED) {
                        metrics.fifoFullParks.increment();
                        // the peer's CREDIT wakes us, but only after two hops through the sockets and the wake-ups of
                        // both interrupt contexts; a receiver that was merely descheduled empties its ring without any
                        // notice, so look again soon, then less and less often (a stopped peer costs little)
                        LockSupport.parkNanos(link.creditWaiters, Math.min(deadline - now, result == MailboxRing.FULL
                            ? parkNanos : FULL_PARK_FIRST_NANOS));
                        parkNanos = Math.min(FULL_PARK_MAX_NANOS, 2 * parkNanos);
                    }
                    link.creditWaiters.remove(self);
                    if (result == MailboxRing.OFFERED) {
                        break;
                    }
                }
                result = link.outRing.offer(link.ringEpoch, word);
            }
        }
        metrics.sent(MailboxType.ofCodeOrNull(MailboxWord.typeCode(word)));
        ringDoorbell(link);
        stamps.sent(queue.peerId, word, stamp);
        return waited;
    }

    /** After a word went into the peer's ring: the doorbell, when nobody of the peer watches its rings. */
    private void ringDoorbell(Link link) {
        if (link.peerWake.needsDoorbell()) {
            metrics.doorbells.increment();
            link.channel.writeAndFlush(Frame.Doorbell.INSTANCE);
        }
    }

    /**
     * A kernel thread waiting for its reply watches the ring itself, within the spin window and
     * while a core is free, and takes the reply when it is the oldest word there (every other word
     * stays, in order, for the interrupt context, which it wakes for it). While it watches, peers
     * ring no doorbell and the interrupt context blocks: on two cores, the requester and the peer's
     * interrupt context are the two threads the round trip needs. The first
     * {@link #REPLY_GRACE_NANOS} are spun whatever the runnable count says, since the interrupt
     * context that counts among them is stepping aside at that moment; after that, while every core
     * is wanted, the thread yields its core between looks instead of spinning, until the window ends.
     *
     * @return the reply, or null to wait as usual
     */
    private Integer takeOwnReply(PeerQueue queue, Link link, PendingRequest request, long deadline, long watchNanos) {
        if (gate.windowNanos <= 0) {
            return null;
        }
        long window = Math.max(gate.windowNanos, watchNanos);
        long start = System.nanoTime();
        long graceEnd = start + Math.min(REPLY_GRACE_NANOS, window);
        // under a modelled latency the reply cannot come before the modelled round trip: the window runs on top of it
        long spinEnd = Math.min(deadline, start + window + 2 * link.inRing.holdNanos());
        int sequence = request.sequence;
        // a word with our number that does not answer us (a late reply to an earlier request) is left to the interrupt
        // context, which drops and counts it
        IntPredicate mine = word -> MailboxWord.sequence(word) == sequence && request.accepts(MailboxWord.typeCode(word))
            && request.answeredBy(word);
        ownWake.watch();
        replyWatchers.incrementAndGet();
        try {
            int round = 0;
            long now = start;
            while (!request.done() && now - spinEnd < 0) {
                long taken = link.inRing.takeIf(link.ringEpoch, mine);
                // read after the look, so that it stamps a reply taken by it
                now = System.nanoTime();
                if (taken >= 0) {
                    link.inRing.release(link.ringEpoch);
                    int word = (int) taken;
                    metrics.received(MailboxType.ofCodeOrNull(MailboxWord.typeCode(word)));
                    metrics.replySelfTakes.increment();
                    queue.pending.compareAndSet(sequence, request, null);
                    stamps.received(queue.peerId, word, now);
                    return word;
                }
                if ((++round & 15) == 0) {
                    if (loopAsleep) {
                        wakeLoopForWaitingWords(link, mine);
                    }
                    if (now - graceEnd >= 0 && !gate.coreToSpare()) {
                        if (now - start - gate.windowNanos >= 0) {
                            // past the usual window a longer watch asked for goes on only while a core is free: on busy
                            // cores a thread that keeps taking its turn delays the peer that must answer
                            return null;
                        }
                        // every core is wanted (perhaps by the peer's interrupt context, about to answer): give this
                        // core up to whoever waits and look again, within the window, rather than park, which would
                        // make the answer cost a doorbell and two wake-ups
                        Thread.yield();
                        continue;
                    }
                }
                Thread.onSpinWait();
            }
            return null;
        } finally {
            replyWatchers.decrementAndGet();
            ownWake.unwatch();
            wakeLoopIfRingsWait();
        }
    }

    /**
     * The interrupt context watches its rings again now, for its poll window and under its free-core
     * gate, as after delivering a word: woken when it sleeps. For a caller that expects a peer's word
     * soon: a kernel that has just been handed a contended DSM page, which another kernel is likely to
     * ask back. The loop blocked while a thread of ours watched for its reply and would otherwise stay
     * asleep, so that the next request costs a doorbell and the wake-up of a sleeping thread (40-100 us
     * on a virtual machine) before any handler runs. Costs the caller one wake-up call when the loop
     * sleeps, nothing when it watches or has no rings.
     */
    public void watchRingsAgain() {
        if (!loopAsleep || ringLinks.length == 0 || closed || replyWatchers.get() > 0) {
            return;
        }
        loopAsleep = false;
        try {
            loop.execute(() -> { });
        } catch (RejectedExecutionException e) {
            // closing: nobody to wake
        }
    }

    /**
     * As {@link #watchRingsAgain()}, and the interrupt context counts a word as expected for the next {@code forNanos}: it
     * polls window after window until then while a core is free (under the gate as always; with every core wanted it blocks
     * as before). Bounded, so an idle cluster still sleeps. Never blocks.
     */
    public void watchRingsAgain(long forNanos) {
        if (ringLinks.length == 0 || closed || forNanos <= 0) {
            return;
        }
        long until = System.nanoTime() + forNanos;
        loopAsleep = false;
        try {
            loop.execute(() -> {
                if (until - expectedUntil > 0) {
                    expectedUntil = until;
                }
            });
        } catch (RejectedExecutionException e) {
            // closing: nobody to wake
        }
    }

    /**
     * (a thread watching for its reply) Words that are not its reply wait in our rings while the
     * interrupt context sleeps (peers rang no doorbell, since we watch): wake it to deliver them.
     * Its own reply, held there by a modelled latency, is no reason: the thread takes it when due,
     * and a woken loop would only hold a third core-wanting thread beside the two of the round trip.
     */
    private void wakeLoopForWaitingWords(Link own, IntPredicate mine) {
        for (Link link : ringLinks) {
            if (link == own ? link.inRing.maybeReadyExcept(link.ringEpoch, mine) : link.inRing.maybeReady(link.ringEpoch)) {
                loopAsleep = false;
                try {
                    loop.execute(() -> { });
                } catch (RejectedExecutionException e) {
                    // closing: nobody to wake
                }
                return;
            }
        }
    }

    /**
     * A thread of ours stopped watching: words that arrived while it watched rang no doorbell, so
     * when nobody else watches and a ring is not empty, the interrupt context is woken to take them.
     */
    private void wakeLoopIfRingsWait() {
        if (ownWake.watchers() > 0) {
            return;
        }
        for (Link link : ringLinks) {
            if (link.inRing.maybeReady(link.ringEpoch)) {
                try {
                    loop.execute(() -> { });
                } catch (RejectedExecutionException e) {
                    // closing: nobody to wake
                }
                return;
            }
        }
    }

    void notifyFull(Link link) {
        if (link.fullNoticeSent.compareAndSet(false, true)) {
            link.channel.writeAndFlush(Frame.FifoFull.INSTANCE);
        }
    }

    // ------------------------------------------------------------------ traffic (interrupt context)

    /** (interrupt context) Credits returned by the peer: the backlog goes first, then waiting senders. */
    void creditsArrived(Link link, int credits) {
        link.fullNoticeSent.set(false);
        PeerQueue queue = link.queue;
        if (queue == null || !link.bound) {
            return;
        }
        if (link.onRings()) {
            // the ring is the FIFO: a CREDIT frame only says the peer emptied it
            drainBacklog(queue, link);
            BoundedWait.wakeAll(link.creditWaiters);
            return;
        }
        int left = credits;
        if (!queue.backlog.isEmpty()) {
            while (left > 0 && !queue.backlog.isEmpty()) {
                link.channel.write(new OutboundWord(queue.backlog.poll())).addListener(lostOnFailure);
                left--;
            }
            link.channel.flush();
            if (!queue.backlog.isEmpty()) {
                notifyFull(link);
            }
        }
        if (left > 0) {
            link.credits.addAndGet(left);
            BoundedWait.wakeAll(link.creditWaiters);
        }
    }

    void drainBacklog(PeerQueue queue, Link link) {
        if (queue.backlog.isEmpty()) {
            return;
        }
        if (link.onRings()) {
            drainBacklogToRing(queue, link);
            return;
        }
        while (!queue.backlog.isEmpty() && link.tryTakeCredit()) {
            link.channel.write(new OutboundWord(queue.backlog.poll())).addListener(lostOnFailure);
        }
        link.channel.flush();
        if (!queue.backlog.isEmpty()) {
            notifyFull(link);
        }
    }

    /** (interrupt context) Moves backlogged words into the peer's ring while it has room. */
    private void drainBacklogToRing(PeerQueue queue, Link link) {
        boolean offered = false;
        int result = MailboxRing.OFFERED;
        while (!queue.backlog.isEmpty() && (result = link.outRing.offer(link.ringEpoch, queue.backlog.peek())) == MailboxRing.OFFERED) {
            queue.backlog.poll();
            offered = true;
        }
        if (offered) {
            ringDoorbell(link);
        }
        if (!queue.backlog.isEmpty()) {
            retryBacklogLater(queue, link, result);
        }
    }

    /** (interrupt context) Backlogged words wait for the peer's CREDIT (full ring) or for the peer to bind the ring. */
    private void retryBacklogLater(PeerQueue queue, Link link, int result) {
        if (result == MailboxRing.FULL) {
            notifyFull(link);
        } else if (!link.backlogRetryScheduled) {
            link.backlogRetryScheduled = true;
            loop.schedule(() -> {
                link.backlogRetryScheduled = false;
                if (link.open && queue.link == link) {
                    drainBacklog(queue, link);
                }
            }, 50, TimeUnit.MICROSECONDS);
        }
    }

    /** (interrupt context) The peer found our ring full: empty it now and tell the peer there is room. */
    void ringFifoFull(Link link) {
        if (drainRing(link) == 0 && link.inRing.holdNanos() > 0 && link.inRing.size() > 0) {
            // the words fill the FIFO until they are due: the credit goes out with the first one delivered
            link.peerWaiting = true;
            return;
        }
        link.channel.writeAndFlush(new Frame.Credit(1));
    }

    /** (interrupt context) Delivers the words waiting in one link's ring; returns how many. */
    private int drainRing(Link link) {
        int delivered = 0;
        while (delivered < 256 && link.open) {
            long taken = link.inRing.poll(link.ringEpoch);
            if (taken == MailboxRing.EMPTY) {
                break;
            }
            if (taken == MailboxRing.NOT_DUE) {
                wakeWhenDue(link);
                break;
            }
            if (taken == MailboxRing.STALE_DROPPED) {
                metrics.drop(metrics.staleWords);
                logDrop(link, "a word of a previous link's epoch was found in the ring in global memory and dropped");
                continue;
            }
            handling = link;
            try {
                deliver(link, (int) taken);
            } finally {
                releaseHandledWord(link);
            }
            delivered++;
        }
        long hold = link.inRing.holdNanos();
        if (delivered > 0) {
            // a stream: a FIFO's worth of the peer's words came one look after another, nothing went back. The
            // receiver that keeps up finds one or two words a look, never the whole FIFO; the sender that is
            // descheduled for a moment then leaves the ring empty past the working window, and a loop that blocks
            // then costs each next word a doorbell, and the sender (its FIFO full while the doorbell travels) a park
            long now = System.nanoTime();
            link.runWords = now - link.runWordAt > runGapNanos ? delivered : link.runWords + delivered;
            link.runWordAt = now;
            if (hold > 0 || link.runWords >= fifoDepth) {
                long expected = now + 2 * hold;
                if (expected - exchangeUntil > 0) {
                    exchangeUntil = expected;
                }
            }
        }
        if (delivered > 0 && link.peerWaiting) {
            link.peerWaiting = false;
            link.channel.writeAndFlush(new Frame.Credit(1));
        }
        return delivered;
    }

    /**
     * (interrupt context) The oldest word of the link's ring is held by the modelled latency: due
     * soon, the loop keeps looking (the ring says a word waits); due later, a timer wakes the loop
     * at its due time, so the loop may block meanwhile.
     */
    private void wakeWhenDue(Link link) {
        long due = link.inRing.heldUntil();
        long wait = due - System.nanoTime();
        if (wait >= MailboxRing.NEAR_NANOS && link.holdWakeAt != due) {
            link.holdWakeAt = due;
            loop.schedule(() -> { }, wait, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /**
     * (interrupt context) The word being handled leaves the peer's FIFO: when its handler returns,
     * or as soon as the handler sends something back to that peer, as a socket link returns the
     * word's credit on the reply's frame.
     */
    private void releaseHandledWord(Link link) {
        if (handling == link) {
            handling = null;
            link.inRing.release(link.ringEpoch);
        }
    }

    /** (interrupt context) A link whose peer's words come through a ring was bound: bind the ring to it, and watch it. */
    void ringLinkBound(Link link) {
        Link[] current = ringLinks;
        Link[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = link;
        ringLinks = next;
        modelledRoundTripChanged();
    }

    /** (interrupt context) The loop counts as working for the longest modelled round trip of its ring links after its last word. */
    private void modelledRoundTripChanged() {
        if (waiting != null) {
            waiting.modelledRoundTrip(2 * Arrays.stream(ringLinks).mapToLong(l -> l.inRing.holdNanos()).max().orElse(0));
        }
    }

    /** (interrupt context) A ring link was unbound: stop watching its ring; a sender still holding the link finds it unbound. */
    void ringLinkUnbound(Link link) {
        link.inRing.unbind(link.ringEpoch);
        ringLinks = Arrays.stream(ringLinks).filter(l -> l != link).toArray(Link[]::new);
        modelledRoundTripChanged();
    }

    /**
     * (interrupt context, during the handshake) Decides whether the link's words travel in rings:
     * both ends map the same memory, both are kernels the rings join, and both FIFOs fit a ring.
     * Both ends decide alike from what the handshake exchanged; the epoch comes from both
     * challenges, fresh for every link. Binds the ring that brings the peer's words to us.
     */
    void decideRings(Link link, long peerMemoryId, byte[] initiatorChallenge, byte[] acceptorChallenge) {
        if (rings == null || peerMemoryId != memoryId || !rings.covers(selfId, link.peerId) || fifoDepth > MailboxRing.CAPACITY
            || link.peerFifoDepth > MailboxRing.CAPACITY) {
            if (rings != null && peerMemoryId == memoryId && rings.covers(selfId, link.peerId)) {
                LOG.info("mailbox of {}: words with {} stay on the link: a FIFO depth above {} ({} here, {} there) does not fit a ring",
                    selfName, link.peerName, MailboxRing.CAPACITY, fifoDepth, link.peerFifoDepth);
            }
            return;
        }
        long epoch = ByteBuffer.wrap(initiatorChallenge).getLong() ^ ByteBuffer.wrap(acceptorChallenge).getLong();
        epoch = epoch == 0 ? 1 : epoch;
        long hold = wordHoldNanos(link);
        link.carryOnRings(rings.ring(selfId, link.peerId, hold), rings.ring(link.peerId, selfId, hold), epoch, rings.wakeLine(link.peerId));
        int discarded = link.inRing.bind(epoch, fifoDepth);
        if (discarded > 0) {
            metrics.staleWords.add(discarded);
            metrics.drops.add(discarded);
            logDrop(link, discarded + " word(s) of the previous link were left unread in the ring in global memory and dropped");
        }
    }

    /** The interrupt context's watch over its rings (see {@link SpinThenBlock}). */
    private final class InterruptContextRings implements RingWatch {
        @Override
        public void awake() {
            if (!loopWatching) {
                loopWatching = true;
                loopAsleep = false;
                ownWake.watch();
            }
        }

        @Override
        public boolean handedOver() {
            return replyWatchers.get() > 0;
        }

        @Override
        public int poll() {
            int delivered = 0;
            for (Link link : ringLinks) {
                delivered += drainRing(link);
            }
            return delivered;
        }

        @Override
        public boolean wordHeld() {
            for (Link link : ringLinks) {
                if (link.inRing.maybeReady(link.ringEpoch)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public long heldDueIn() {
            long soonest = Long.MAX_VALUE;
            for (Link link : ringLinks) {
                soonest = Math.min(soonest, link.inRing.dueIn(link.ringEpoch));
            }
            return soonest;
        }

        @Override
        public boolean replyAwaited() {
            for (Link link : ringLinks) {
                PeerQueue queue = link.queue;
                if (link.inRing.holdNanos() > 0 && queue != null && queue.awaitsReply()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean inExchange(long now, long slackNanos) {
            return now - exchangeUntil - slackNanos < 0;
        }

        @Override
        public boolean wordExpected(long now) {
            return now - expectedUntil < 0;
        }

        @Override
        public boolean mayBlock() {
            if (loopWatching) {
                loopWatching = false;
                loopAsleep = true;
                ownWake.sleep();
            }
            if (handedOver()) {
                // a kernel thread of ours watches the rings for its reply (perhaps the very word held there): it
                // takes that itself and wakes this loop for any other word, and again when it stops watching
                return true;
            }
            for (Link link : ringLinks) {
                if (link.inRing.maybeReady(link.ringEpoch)) {
                    awake();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * (interrupt context) A word arrived from the link's peer: it leaves the FIFO now (its credit
     * is owed), completes the request waiting for it, or raises the interrupt of its type.
     */
    void deliver(Link link, int word) {
        if (!link.onRings()) {
            link.owedCredits++;
        }
        if (linkFaults.active(link.queue.peerId)) {
            linkFaults.apply(link.queue.peerId, word, faulted -> dispatch(link, faulted), loop);
            return;
        }
        dispatch(link, word);
    }

    public LinkFaults linkFaults() {
        return linkFaults;
    }

    /** (interrupt context) A word that arrived (and met the link faults, if any): complete its request or raise its interrupt. */
    private void dispatch(Link link, int word) {
        int code = MailboxWord.typeCode(word);
        MailboxType type = MailboxType.ofCodeOrNull(code);
        if (type == null) {
            metrics.drop(metrics.unknownType);
            logDrop(link, "word " + MailboxWord.hex(word) + " has type code 0x" + Integer.toHexString(code)
                + ", which is unassigned (expected one of " + java.util.Arrays.toString(MailboxType.values()) + ")");
            return;
        }
        metrics.received(type);
        int peer = link.queue.peerId;
        if (type == MailboxType.NOP) {
            stamps.delivered(peer, word);
            int count = MailboxWord.payload(word);
            if (count != link.nopExpected) {
                metrics.nopOutOfOrder.increment();
                logDrop(link, "NOP word carries running count " + count + ", expected " + link.nopExpected
                    + " (a word was lost, duplicated or reordered)");
            }
            link.nopExpected = count + 1 & MailboxWord.PAYLOAD_MASK;
            return;
        }
        PeerQueue queue = link.queue;
        int sequence = MailboxWord.sequence(word);
        PendingRequest request = queue.pending.get(sequence);
        if (request != null && request.accepts(code)) {
            if (!request.answeredBy(word)) {
                // a reply to an earlier request that gave up (or a confused peer): completing with it would answer the wrong question
                stamps.delivered(peer, word);
                metrics.drop(metrics.mismatchedReplies);
                logDrop(link, MailboxWord.decode(word) + " has the sequence number of a waiting request but does not answer it "
                    + "(a late reply to another request?): dropped, the request keeps waiting");
                return;
            }
            if (queue.pending.compareAndSet(sequence, request, null)) {
                // stamped before it completes the request: whoever waited for it may send next
                stamps.handlingBegins(peer, word, WordStamps.NONE);
                try {
                    request.complete(word);
                } finally {
                    stamps.handlingEnds();
                }
                return;
            }
        }
        if (queue.lateReply(sequence, code)) {
            stamps.delivered(peer, word);
            metrics.drop(metrics.lateReplies);
            logDrop(link, MailboxWord.decode(word) + " came after its request gave up: dropped (its sequence number is free again)");
            return;
        }
        InterruptHandler handler = handlers.get(code);
        if (handler == null) {
            stamps.delivered(peer, word);
            metrics.drop(metrics.unhandled);
            logDrop(link, MailboxWord.decode(word) + " arrived, but no handler is registered for " + type
                + " and no request waits for it" + (type.kind() == MailboxType.Kind.REPLY
                ? " (a reply after its request's deadline?)" : ""));
            return;
        }
        long start = System.nanoTime();
        stamps.handlingBegins(peer, word, start);
        try {
            handler.onInterrupt(new DeliveredInterrupt(this, link, word));
        } catch (RuntimeException e) {
            metrics.handlerErrors.increment();
            LOG.warn("mailbox of {}: the interrupt handler for {} from {} threw; the mailbox carries on", selfName,
                MailboxWord.decode(word), describe(queue), e);
        } finally {
            stamps.handlingEnds();
        }
        long took = System.nanoTime() - start;
        // A handler's first run loads classes and runs interpreted: it is not held against it.
        boolean firstRun = !handlerRan.get(code);
        handlerRan.set(code);
        if (took > slowHandlerNanos && !firstRun) {
            metrics.slowHandlers.increment();
            if (dropLog.admit() != 0) {
                LOG.warn("mailbox of {}: the interrupt handler for {} from {} ran {} us, over the {} us threshold: interrupt handlers "
                    + "must not block (every other word waited meanwhile)", selfName, type, describe(queue), took / 1000,
                    slowHandlerNanos / 1000);
            }
        }
    }

    /** (interrupt context) After a read batch: return owed credits when enough piled up or the peer waits for them. */
    /** The modelled one-way latency of a word between this kernel and the link's peer, in ns (0: none). */
    long wordHoldNanos(Link link) {
        return context.wordLatency().applyAsLong(link.peerId);
    }

    void readComplete(Link link, ChannelHandlerContext ctx) {
        int owed = link.owedCredits;
        if (owed > 0 && (owed >= creditThreshold || link.peerWaiting)) {
            ctx.writeAndFlush(new Frame.Credit(link.takeOwedCredits()));
        }
    }

    /** (interrupt context) Posts a word from the interrupt context: never blocks. */
    void post(int peer, int word) {
        if (!loop.inEventLoop()) {
            try {
                loop.execute(() -> post(peer, word));
            } catch (RejectedExecutionException e) {
                throw new MailboxException(Reason.CLOSED, peer, "the mailbox of " + selfName + " is closed");
            }
            return;
        }
        checkOpen(peer);
        MemberIds.check(peer);
        PeerQueue queue = queue(peer);
        MailboxType type = MailboxType.ofCodeOrNull(MailboxWord.typeCode(word));
        Link link = queue.openLink();
        if (link != null && link == handling) {
            releaseHandledWord(link);
        }
        if (link != null) {
            // an answer: an exchange, not a stream
            link.runWords = 0;
        }
        int ringResult = MailboxRing.OFFERED;
        long stamp = stamps.beforePost();
        if (link != null && link.onRings() && queue.backlog.isEmpty()) {
            ringResult = link.outRing.offer(link.ringEpoch, word);
            if (ringResult == MailboxRing.OFFERED) {
                metrics.sent(type);
                ringDoorbell(link);
                stamps.posted(peer, word, stamp);
                return;
            }
        } else if (link != null && queue.backlog.isEmpty() && link.tryTakeCredit()) {
            metrics.sent(type);
            link.channel.writeAndFlush(new OutboundWord(word)).addListener(lostOnFailure);
            stamps.posted(peer, word, stamp);
            return;
        }
        if (queue.backlog.size() >= context.backlogLimit()) {
            metrics.lost(1);
            throw new MailboxException(Reason.FIFO_FULL, peer, "cannot post " + MailboxWord.decode(word) + " to " + describe(queue)
                + ": its FIFO is full and " + queue.backlog.size() + " words already wait behind it (the backlog limit); it does not "
                + "consume its words");
        }
        if (queue.backlog.isEmpty() && link == null) {
            queue.backlogSinceNanos = System.nanoTime();
        }
        metrics.sent(type);
        stamps.posted(peer, word, stamp);
        metrics.backlogged.increment();
        queue.backlog.add(word);
        if (link == null) {
            links.ensureAttempt(queue);
        } else if (link.onRings()) {
            retryBacklogLater(queue, link, ringResult);
        } else {
            notifyFull(link);
        }
    }

    void malformed(Link link, String problem) {
        metrics.drop(metrics.malformed);
        logDrop(link, "malformed frame dropped: " + problem);
    }

    /** Counts and logs (rate-limited) a connection dropped before it proved membership. */
    void authenticationFailed(Channel channel, String problem) {
        metrics.authFailures.increment();
        long admitted = authLog.admit();
        if (admitted != 0) {
            LOG.warn("mailbox of {}: dropped connection from {}: {}{}", selfName, channel.remoteAddress(), problem,
                admitted > 0 ? " (" + admitted + " similar lines left out)" : "");
        }
    }

    private void logDrop(Link link, String what) {
        long admitted = dropLog.admit();
        if (admitted != 0) {
            LOG.warn("mailbox of {}: from {} (member {}): {}{}", selfName, link.peerName, link.peerId, what,
                admitted > 0 ? " (" + admitted + " similar lines left out)" : "");
        }
    }

    PeerQueue queue(int peer) {
        PeerQueue queue = queues.get(peer);
        return queue != null ? queue : queues.computeIfAbsent(peer, PeerQueue::new);
    }

    String describe(PeerQueue queue) {
        return queue.peerName + " (" + (MemberIds.isKernel(queue.peerId) ? "kernel " : "member ") + queue.peerId + ")";
    }

    /** The peer's name as last learned from the directory or its handshake. */
    public String peerName(int peer) {
        return describe(queue(peer));
    }

    /** Whether a link to this incarnation of the peer is bound right now. */
    boolean linkedWith(int peer, long peerIncarnation) {
        PeerQueue queue = queues.get(peer);
        Link link = queue == null ? null : queue.openLink();
        return link != null && link.peerIncarnation == peerIncarnation;
    }

    /** (interrupt context) Whether we are establishing a link to the peer right now. */
    boolean connectingTo(int peer) {
        PeerQueue queue = queues.get(peer);
        return queue != null && queue.attempt != null;
    }

    /** Whether a link to the peer is bound right now. */
    /** Establishes the link to a peer without sending a word; waits (bounded by the connect timeout). */
    public void link(int peer) {
        checkCaller("link", peer);
        links.awaitLink(queue(peer), System.nanoTime() + context.connectTimeout().toNanos());
    }

    public boolean linked(int peer) {
        PeerQueue queue = queues.get(peer);
        return queue != null && queue.openLink() != null;
    }

    /** What carries our words to the peer right now: SHM (its ring), the link's socket, or empty with no link. */
    public Optional<MailboxTransport> carrier(int peer) {
        PeerQueue queue = queues.get(peer);
        Link link = queue == null ? null : queue.openLink();
        if (link == null) {
            return Optional.empty();
        }
        return Optional.of(link.onRings() ? MailboxTransport.SHM : context.transport().socket());
    }

    static String acceptedNames(int acceptedTypes) {
        StringBuilder names = new StringBuilder();
        for (MailboxType type : MailboxType.values()) {
            if ((acceptedTypes & 1 << type.code()) != 0) {
                names.append(names.isEmpty() ? "" : " or ").append(type);
            }
        }
        return names.toString();
    }

    public boolean closed() {
        return closed;
    }

    /** Closes every link and the server; requests and senders waiting fail with {@link Reason#CLOSED}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            loop.submit(() -> {
                for (PeerQueue queue : queues.values()) {
                    Link link = queue.link;
                    if (link != null) {
                        links.unbind(link, selfName + " is closing");
                    }
                    CompletableFuture<Link> attempt = queue.attempt;
                    if (attempt != null) {
                        links.attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.CLOSED, queue.peerId, "the mailbox of " + selfName
                            + " is closing", false));
                    }
                    queue.failPending(new MailboxException(Reason.CLOSED, queue.peerId, "the mailbox of " + selfName + " is closed"));
                }
                if (server != null) {
                    server.close();
                }
                for (Channel channel : channels) {
                    channel.close();
                }
            }).await(2, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // the loop is already down
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (waiting != null) {
            waiting.close();
        }
        gate.close();
        resolver.shutdownNow();
        if (endpoint != null && endpoint.transport() == MailboxTransport.UNIX) {
            try {
                Files.deleteIfExists(endpoint.socketPath());
            } catch (IOException e) {
                LOG.debug("cannot remove {}: {}", endpoint.socketPath(), e.getMessage());
            }
        }
        LOG.info("mailbox of {} closed", selfName);
    }

    java.time.Duration handshakeTimeout() {
        return context.handshakeTimeout();
    }
}
