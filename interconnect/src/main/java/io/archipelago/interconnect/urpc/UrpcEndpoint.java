package io.archipelago.interconnect.urpc;

import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.MailboxCounters.Counter;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One kernel's end of its URPC channels ({@link UrpcChannels}): requests from other kernels'
 * threads are applied on this kernel's dispatcher thread (its "message core", so an owned object
 * needs no lock) and answered on the channel back; this kernel's threads send requests through
 * {@link Stream}s and wait for the reply, taking it from the ring themselves when it is the oldest
 * record there, or having the dispatcher hand it over.
 * <p>
 * A message is a label (a stream id and whether it is a request or a reply) and a body; a body
 * longer than {@link #FRAGMENT_BODY} travels as several records of that size (half a ring each,
 * so that the sender writes one while the receiver copies the one before), which only the
 * dispatcher assembles; while it assembles one it keeps polling (a fragment follows at once).
 * A request's body starts with the requester's epoch (its
 * incarnation), under which the reply is written: a reply to an incarnation that has gone finds
 * the channel bound to another and is dropped and counted.
 * <p>
 * Waiting, on a machine with few cores: a requester spins (polling the rings) only while the gate
 * says a core is free, and for at most the spin window after its last work; then it declares it
 * on the kernel's wake line and parks. The dispatcher waits as the mailbox's interrupt context
 * does: for {@link #WORKING_NANOS} after its last work it polls whatever the gate says (it is
 * working: a requester in an exchange sends its next request at once); then, up to the spin
 * window after that work, it <em>expects</em> the next request: it looks while a core is free
 * and yields its core between looks while every core is wanted for a moment (where it parked
 * before, costing the requester's next request a doorbell and a wake-up, 40-60 us here; on a host
 * whose cores have been wanted for {@link #GATE_BLIP_NANOS} it still parks), stamping each look
 * on the wake line rather than counting as a watcher ({@link UrpcChannels}: a sender counts it as
 * looking only while its last look is fresh); should two looks come further apart than
 * {@link UrpcChannels#LOOK_FRESH_NANOS} (it was off its core, so senders ring it anyway), or the
 * window run out, it clears the stamp, looks once more and sleeps. A sender that finds nobody
 * looking rings the receiver's doorbell: it wakes the dispatcher directly through the futex of the
 * receiver's wake line ({@link Futex}), or, where the receiver's process has none, through the
 * mailbox's interrupt word ({@link Doorbell}), whose handler unparks it. Every wait of a requester
 * has a deadline and fails naming the peer.
 */
public final class UrpcEndpoint implements AutoCloseable {

    /** Rings the doorbell of a kernel whose threads all sleep and whose dispatcher sleeps on no futex (the mailbox's URPC interrupt word). */
    @FunctionalInterface
    public interface Doorbell {
        void ring(int kernel);
    }

    /** Applies one request, on the dispatcher thread; returns the reply's body. */
    @FunctionalInterface
    public interface RequestHandler {
        byte[] apply(int sender, byte[] body, int offset, int length);
    }

    private static final int REQUEST = 0;
    private static final int REPLY = 1;
    private static final int EPOCH_BYTES = 8;
    /**
     * The longest the dispatcher parks without a doorbell: a watchdog, should a doorbell be lost
     * on its way (the mailbox link was re-established meanwhile); an idle kernel wakes this often.
     */
    private static final long PARK_WATCHDOG_NANOS = Duration.ofSeconds(1).toNanos();
    /** How long the dispatcher tries to send a reply into a full channel before it drops it. */
    private static final long REPLY_SEND_NANOS = Duration.ofSeconds(5).toNanos();
    /** The longest park of a sender facing a full ring, between two looks (the receiver does not signal room). */
    private static final long FULL_BACKOFF_MAX_NANOS = 50_000;
    /**
     * The body of one fragment of a long message: half the ring. A fragment as long as the ring
     * (the most a record carries) left the sender waiting for the receiver to empty the whole ring
     * before it could write the next, one fragment in flight at a time; with halves the sender
     * writes one while the receiver copies the other out.
     */
    static final int FRAGMENT_BODY = UrpcRing.FIRST_SLOT_BODY + (UrpcRing.SLOTS / 2 - 1) * UrpcRing.NEXT_SLOT_BODY;

    private final UrpcChannels channels;
    private final int self;
    private final long epoch;
    private final String selfName;
    private final RequestHandler handler;
    private final Doorbell doorbell;
    private final BooleanSupplier coreToSpare;
    /** A dispatcher that served a message this recently is working, not waiting: it polls whatever the runnable count says. */
    static final long WORKING_NANOS = 10_000;
    /**
     * An expecting dispatcher yields its core between looks only while the gate was open this
     * recently (every core wanted for a moment: a compilation, a collection, a timer, which the
     * yield lets through); on a host whose cores have been wanted longer it parks, as before: there
     * a yielding thread waits for its core behind every other runnable one (measured at load 33:
     * a round trip's p99 18.7 ms with yields, 88 us with parks), while a parked one woken by the
     * doorbell gets it back sooner.
     */
    static final long GATE_BLIP_NANOS = 1_000_000;
    /** How long a requester spins for its reply before it asks whether a core is free. */
    static final long GRACE_NANOS = 10_000;
    /**
     * How much longer a requester watches for its reply when it had to ring the owner's doorbell:
     * the owner's dispatcher was parked, and waking it costs a thread wake-up (41-59 us on this
     * kind of VM, whose idle vCPUs halt at once). Had the requester parked after its usual window,
     * the reply would ring its own doorbell, and its next request would again find the owner
     * parked: each round trip two wake-ups, for good (the URPC read's bimodal p50, 0.6 us or
     * 50-130 us). Caught while watching, the next request follows at once and finds the owner
     * still polling.
     */
    static final long WOKEN_OWNER_NANOS = 200_000;
    /** Requesters of this endpoint watching their ring for their reply now: the dispatcher leaves the watch to them. */
    private final java.util.concurrent.atomic.AtomicInteger replyWatchers = new java.util.concurrent.atomic.AtomicInteger();
    private final long spinNanos;
    private final Tuning tuning;
    private final UrpcChannels.WakeLine wake;
    private final UrpcRing[] incoming;
    private final Map<Integer, Stream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger nextStream = new AtomicInteger();
    private final Thread dispatcher;
    /** Whether the dispatcher sleeps on its wake line's futex (else it parks, and senders ring the mailbox). */
    private final boolean futex;
    /** The dispatcher's futex timeout (dispatcher only). */
    private final Futex.Timeout sleepTimeout;
    private volatile boolean sleeping;
    private volatile boolean closed;

    /** Requests applied here ({@code urpc.served}). */
    public final Counter served;
    /** Records published under a stale epoch (a previous incarnation), dropped ({@code urpc.stale_dropped}). */
    public final Counter staleDropped;
    /** Replies that found their requester gone (closed stream, or another incarnation), dropped ({@code urpc.replies_dropped}). */
    public final Counter repliesDropped;
    /** Doorbells this kernel rang on others ({@code urpc.doorbells}). */
    public final Counter doorbellsRung;
    /** Requests whose handler threw (no reply sent) ({@code urpc.handler_failures}). */
    public final Counter handlerFailures;
    /** Doorbells that could not be rung (the mailbox refused the word) ({@code urpc.doorbells_failed}). */
    public final Counter doorbellsFailed;
    /** Times the dispatcher parked ({@code urpc.parks}). */
    public final Counter parks;
    /** Times a requester parked before its reply came ({@code urpc.requester_parks}): each costs a doorbell and a wake-up. */
    public final Counter requesterParks;
    /** Records a sender of this kernel found no room for at first ({@code urpc.full_waits}). */
    public final Counter fullWaits;

    /**
     * Binds this kernel's incoming channels to its incarnation and starts its dispatcher.
     *
     * @param epoch       this kernel's incarnation: the epoch its incoming channels carry
     * @param coreToSpare whether a spinning thread may go on spinning now (the mailbox's core gate)
     * @param spin        how long a thread polls after its last work before it parks
     * @param counters    where it counts (the kernel's counters area: {@code status} reads them live), labels {@code urpc.*}
     */
    public static UrpcEndpoint start(UrpcChannels channels, int self, long epoch, String selfName, RequestHandler handler, Doorbell doorbell,
                                     BooleanSupplier coreToSpare, Duration spin, MailboxCounters counters) {
        return new UrpcEndpoint(channels, self, epoch, selfName, handler, doorbell, coreToSpare, spin, counters, Tuning.DEFAULT);
    }

    /**
     * How the endpoint waits and splits (tests and the round-trip probe compare the previous
     * choices with the defaults in one run).
     *
     * @param wokenOwnerNanos      how much longer than the spin window a requester that rang the owner's doorbell watches for its reply
     * @param fragmentBody         the body of one fragment of a message longer than that
     * @param fullRingWorkingNanos how long after writing a record a sender facing a full ring spins whatever the gate says
     * @param assembleWhileWatched whether the dispatcher keeps polling while it assembles a message and a requester of its kernel watches
     * @param watchBeforeSend      whether a requester declares itself watching before it sends a request of one record
     * @param expect               whether the dispatcher expects a request for the rest of its spin window after the working
     *                             window, yielding between looks while no core is free (false: it polls while a core is
     *                             free, counted as a watcher, and parks as soon as none is: the rule before expecting)
     * @param futexDoorbell        whether the dispatcher sleeps on its wake line's futex, which senders wake directly
     *                             ({@link Futex}; where the process has none, it sleeps as with false); false: it parks, and
     *                             senders ring its kernel's mailbox interrupt ({@link Doorbell}), which unparks it
     */
    record Tuning(long wokenOwnerNanos, int fragmentBody, long fullRingWorkingNanos, boolean assembleWhileWatched, boolean watchBeforeSend,
                  boolean expect, boolean futexDoorbell) {
        static final Tuning DEFAULT = new Tuning(WOKEN_OWNER_NANOS, FRAGMENT_BODY, WORKING_NANOS, true, true, true, true);
        /** The defaults but for the dispatcher's expecting (for comparisons): it parks once the free core ends. */
        static final Tuning UNEXPECTING = new Tuning(WOKEN_OWNER_NANOS, FRAGMENT_BODY, WORKING_NANOS, true, true, false, true);
        /** The choices before these (for comparisons): no longer watch, ring-long fragments, no spin on a full ring without a free core, no polling while watched, watching after the send, no expecting, the mailbox's doorbell. */
        static final Tuning PREVIOUS = new Tuning(0, UrpcRing.MAX_RECORD_BODY, 0, false, false, false, false);

        /** These choices with the doorbell through the mailbox's interrupt word (as before the futex). */
        Tuning mailboxDoorbell() {
            return new Tuning(wokenOwnerNanos, fragmentBody, fullRingWorkingNanos, assembleWhileWatched, watchBeforeSend, expect, false);
        }

        Tuning {
            if (wokenOwnerNanos < 0 || fullRingWorkingNanos < 0 || fragmentBody < 1 || fragmentBody > UrpcRing.MAX_RECORD_BODY) {
                throw new IllegalArgumentException("URPC tuning: expected watches of 0 ns or more and fragments of 1 to "
                    + UrpcRing.MAX_RECORD_BODY + " bytes, found " + wokenOwnerNanos + " ns, " + fullRingWorkingNanos + " ns and "
                    + fragmentBody + " bytes");
            }
        }
    }

    static UrpcEndpoint start(UrpcChannels channels, int self, long epoch, String selfName, RequestHandler handler, Doorbell doorbell,
                              BooleanSupplier coreToSpare, Duration spin, MailboxCounters counters, Tuning tuning) {
        return new UrpcEndpoint(channels, self, epoch, selfName, handler, doorbell, coreToSpare, spin, counters, tuning);
    }

    private UrpcEndpoint(UrpcChannels channels, int self, long epoch, String selfName, RequestHandler handler, Doorbell doorbell,
                         BooleanSupplier coreToSpare, Duration spin, MailboxCounters counters, Tuning tuning) {
        this.tuning = tuning;
        this.served = counters.counter("urpc.served");
        this.staleDropped = counters.counter("urpc.stale_dropped");
        this.repliesDropped = counters.counter("urpc.replies_dropped");
        this.doorbellsRung = counters.counter("urpc.doorbells");
        this.handlerFailures = counters.counter("urpc.handler_failures");
        this.doorbellsFailed = counters.counter("urpc.doorbells_failed");
        this.parks = counters.counter("urpc.parks");
        this.requesterParks = counters.counter("urpc.requester_parks");
        this.fullWaits = counters.counter("urpc.full_waits");
        if (self < 0 || self >= channels.kernels()) {
            throw new IllegalArgumentException("kernel " + self + " has no URPC channels (kernels 0.." + (channels.kernels() - 1) + ")");
        }
        this.channels = channels;
        this.self = self;
        this.epoch = epochOf(epoch);
        this.selfName = selfName;
        this.handler = handler;
        this.doorbell = doorbell;
        this.coreToSpare = coreToSpare;
        this.spinNanos = spin.toNanos();
        this.wake = channels.wakeLine(self);
        this.incoming = new UrpcRing[channels.kernels()];
        wake.reset();
        this.futex = tuning.futexDoorbell() && Futex.AVAILABLE && wake.futexAligned();
        this.sleepTimeout = futex ? new Futex.Timeout() : null;
        wake.sleepsOnFutex(futex);
        for (int peer = 0; peer < channels.kernels(); peer++) {
            if (peer != self) {
                incoming[peer] = channels.ring(peer, self);
                incoming[peer].bind(epoch);
            }
        }
        this.dispatcher = Thread.ofPlatform().daemon().name("urpc-" + selfName).unstarted(this::dispatch);
        wake.watch();
        dispatcher.start();
    }

    public int self() {
        return self;
    }

    public long epoch() {
        return epoch;
    }

    /** The doorbell rang (on the mailbox's interrupt context): wakes the dispatcher. Never blocks. */
    public void doorbell() {
        wakeDispatcherNow();
    }

    /** Wakes the dispatcher wherever it sleeps (on the futex, or parked). */
    private void wakeDispatcherNow() {
        if (futex) {
            wake.ringFutex();
        }
        LockSupport.unpark(dispatcher);
    }

    /**
     * Opens a stream to kernel {@code peer} for one thread of this kernel.
     *
     * @param peerEpoch the incarnation of the peer the caller means to talk to (from membership)
     * @param peerName  how errors name the peer
     * @param timeout   how long one request may wait for room and for its reply
     */
    public Stream open(int peer, long peerEpoch, String peerName, Duration timeout) {
        if (!channels.covers(self, peer)) {
            throw new UrpcException("no URPC channel from " + selfName + " (kernel " + self + ") to kernel " + peer + ": channels join distinct "
                + "kernels 0.." + (channels.kernels() - 1));
        }
        if (closed) {
            throw new UrpcException("the URPC endpoint of " + selfName + " is closed");
        }
        int id = nextStream.incrementAndGet() & 0x3FFF_FFFF;
        Stream stream = new Stream(id, peer, epochOf(peerEpoch), peerName, timeout);
        streams.put(id, stream);
        return stream;
    }

    /** A ring's epoch for an incarnation: the incarnation itself, which a ring carries as long as it is not 0 (an unbound ring's). */
    private static long epochOf(long incarnation) {
        return incarnation == 0 ? Long.MIN_VALUE : incarnation;
    }

    private static int label(int stream, int kind) {
        return stream << 1 | kind;
    }

    /**
     * Writes a message into a channel, record by record, waiting for room at most until
     * {@code deadline}; then rings the receiver's doorbell if nobody of it polls. Facing a full
     * ring, a sender that wrote a record within {@link #WORKING_NANOS} spins whatever the gate says
     * (the receiver, woken or polling, is copying that record out: parking now would cost a
     * wake-up per fragment of a long message); after that it spins only while a core is free, and
     * otherwise parks for a short, growing while between looks.
     */
    private boolean send(UrpcRing ring, int receiver, long receiverEpoch, int label, byte[] body, int length, long deadline, String peer) {
        int offset = 0;
        long backoff = 1_000;
        long progressAt = System.nanoTime();
        boolean waiting = false;
        do {
            int chunk = Math.min(length - offset, tuning.fragmentBody());
            boolean more = offset + chunk < length;
            int result = ring.offer(receiverEpoch, label, more, offset > 0, body, offset, chunk);
            if (result == UrpcRing.OFFERED) {
                offset += chunk;
                backoff = 1_000;
                waiting = false;
                progressAt = System.nanoTime();
                continue;
            }
            if (result == UrpcRing.UNBOUND) {
                long bound = ring.epoch();
                throw new UrpcException("the URPC channel from " + selfName + " to " + peer + " is not bound to incarnation " + receiverEpoch
                    + " of " + peer + " (found " + (bound == 0 ? "unbound: the peer stopped or never started" : "incarnation " + bound
                    + ": the peer restarted") + ")");
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new UrpcException("the URPC channel from " + selfName + " to " + peer + " stayed full for the whole deadline ("
                    + ring.size() + " of " + UrpcRing.SLOTS + " slots unconsumed): " + peer + " does not consume its messages (stopped, or hung)");
            }
            if (!waiting) {
                fullWaits.increment();
                waiting = true;
            }
            ringIfAsleep(receiver);
            if (Thread.currentThread() == dispatcher) {
                if (pollAll() > 0) {
                    // the dispatcher, waiting for room for a reply, took what reached it meanwhile
                    continue;
                }
            } else if (anyReady()) {
                // a requester sending while it counts as watching: what reached this kernel meanwhile is the dispatcher's
                wakeDispatcher();
            }
            if (System.nanoTime() - progressAt < tuning.fullRingWorkingNanos() || coreToSpare.getAsBoolean()) {
                Thread.onSpinWait();
            } else {
                // the receiver does not signal room: look again after a short, growing park
                LockSupport.parkNanos(backoff);
                backoff = Math.min(backoff * 2, FULL_BACKOFF_MAX_NANOS);
            }
        } while (offset < length);
        return ringIfAsleep(receiver);
    }

    /** Rings the receiver's doorbell if nobody of it polls; returns whether it did (the receiver was parked). */
    private boolean ringIfAsleep(int receiver) {
        UrpcChannels.WakeLine line = channels.wakeLine(receiver);
        if (!line.needsDoorbell()) {
            return false;
        }
        doorbellsRung.increment();
        try {
            if (line.wokenByFutex()) {
                // the receiver's dispatcher sleeps on its wake line: woken directly, no interrupt context involved
                line.ringFutex();
            } else {
                doorbell.ring(receiver);
            }
        } catch (RuntimeException e) {
            // the receiver's interrupt line is down (it stopped?): the requester's deadline says so, naming it
            doorbellsFailed.increment();
            line.forgetDoorbell();
        }
        return true;
    }

    /** Wakes the dispatcher if it sleeps (a record it must take waits in a ring). */
    private void wakeDispatcher() {
        if (sleeping) {
            wakeDispatcherNow();
        }
    }

    /** Whether any incoming ring holds a record. */
    private boolean anyReady() {
        for (UrpcRing ring : incoming) {
            if (ring != null && ring.maybeReady(epoch)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- the dispatcher

    private final UrpcRing.Record record = new UrpcRing.Record();
    /**
     * Whether the dispatcher is sending a reply (dispatcher only). While it waits for room it
     * keeps taking what arrives, so that two kernels' dispatchers each waiting for the other to
     * consume never wait for each other: replies are handed over at once, requests deferred.
     */
    private boolean replying;
    private final java.util.ArrayDeque<Deferred> deferred = new java.util.ArrayDeque<>();
    /** Messages being assembled from fragments, by sender and label (dispatcher only). */
    private final Map<Long, ByteArrayOutputStream> assembling = new HashMap<>();

    private void dispatch() {
        long lastWork = System.nanoTime();
        while (!closed) {
            Deferred next;
            while ((next = deferred.poll()) != null) {
                serve(next.sender(), next.stream(), next.body(), next.length());
                lastWork = System.nanoTime();
            }
            if (pollAll() > 0) {
                lastWork = System.nanoTime();
                continue;
            }
            long idle = System.nanoTime() - lastWork;
            // the mailbox's rules for its interrupt context: a dispatcher that carries messages keeps polling whatever the
            // runnable count says (only an idle one gives way)
            if (mayWatch() && idle < spinNanos && (idle < WORKING_NANOS || !tuning.expect() && coreToSpare.getAsBoolean())) {
                Thread.onSpinWait();
                continue;
            }
            // past the working window, a dispatcher that may lose its core watches honestly: it stamps its looks and is
            // no watcher (a yielding dispatcher counted as one had senders ring no doorbell while their messages waited
            // behind every other runnable thread: the endpoint tests' long messages 28x slower at load 16)
            boolean expected = false;
            if (tuning.expect() && mayWatch() && idle < spinNanos) {
                wake.looked(System.nanoTime());
                wake.unwatch();
                if (expect(lastWork)) {
                    wake.watch();
                    wake.stopLooking();
                    lastWork = System.nanoTime();
                    continue;
                }
                expected = true;
            }
            sleeping = true;
            // read before the last look: a doorbell rung after it moves the sequence on, and the sleep returns at once
            int seen = futex ? wake.sequence() : 0;
            if (expected) {
                wake.stopLooking();
            } else {
                wake.unwatch();
            }
            if (pollAll() == 0 && !closed) {
                parks.increment();
                if (futex) {
                    wake.sleep(seen, PARK_WATCHDOG_NANOS, sleepTimeout);
                } else {
                    LockSupport.parkNanos(this, PARK_WATCHDOG_NANOS);
                }
            }
            sleeping = false;
            wake.watch();
            lastWork = System.nanoTime();
        }
    }

    /**
     * Whether the dispatcher may poll rather than park: not while a requester of its own watches
     * for its reply (that requester wakes it for anything else), unless it is assembling a message
     * (its next fragment follows at once, and the requester would otherwise wake it for each).
     */
    private boolean mayWatch() {
        return replyWatchers.get() == 0 || tuning.assembleWhileWatched() && !assembling.isEmpty();
    }

    /**
     * The dispatcher expects a request (see the class comment), stamping each look: returns true
     * once it took work; false when the spin window after {@code lastWork} ran out, a requester of its
     * own started watching, every core has been wanted longer than {@link #GATE_BLIP_NANOS}, or two
     * of its looks came further apart than a sender trusts a stamp
     * (it was off its core, so senders ring its doorbell now, and a parked thread woken by one gets
     * its core back sooner than a yielding one). The stamp stays; the caller clears it.
     */
    /** When the expecting dispatcher last found the gate open (dispatcher only). */
    private long gateOpenAt = System.nanoTime();

    private boolean expect(long lastWork) {
        long lookedAt = System.nanoTime();
        if (coreToSpare.getAsBoolean()) {
            gateOpenAt = lookedAt;
        }
        while (!closed) {
            if (pollAll() > 0) {
                return true;
            }
            long now = System.nanoTime();
            if (now - lookedAt >= UrpcChannels.LOOK_FRESH_NANOS || now - lastWork >= spinNanos || !mayWatch()) {
                return false;
            }
            if (coreToSpare.getAsBoolean()) {
                gateOpenAt = now;
                Thread.onSpinWait();
            } else if (now - gateOpenAt < GATE_BLIP_NANOS) {
                Thread.yield();
            } else {
                return false;
            }
            wake.looked(now);
            lookedAt = now;
        }
        return false;
    }

    /** Takes every record waiting in every incoming ring; returns how many. */
    private int pollAll() {
        int work = 0;
        for (int peer = 0; peer < incoming.length; peer++) {
            UrpcRing ring = incoming[peer];
            if (ring == null) {
                continue;
            }
            int result;
            while ((result = ring.poll(epoch, record)) != UrpcRing.EMPTY) {
                work++;
                if (result == UrpcRing.STALE_DROPPED) {
                    staleDropped.increment();
                } else {
                    onRecord(peer, record);
                }
            }
        }
        return work;
    }

    private void onRecord(int sender, UrpcRing.Record taken) {
        byte[] body = taken.body();
        int length = taken.length();
        if (!taken.whole()) {
            long key = (long) sender << 32 | taken.label() & 0xFFFF_FFFFL;
            ByteArrayOutputStream parts = assembling.computeIfAbsent(key, k -> new ByteArrayOutputStream());
            if (!taken.continued()) {
                parts.reset();
            }
            parts.write(body, 0, length);
            if (taken.more()) {
                return;
            }
            assembling.remove(key);
            body = parts.toByteArray();
            length = body.length;
        }
        int stream = taken.label() >>> 1;
        if ((taken.label() & 1) == REPLY) {
            Stream waiting = streams.get(stream);
            if (waiting == null) {
                repliesDropped.increment();
                return;
            }
            waiting.deliver(body == taken.body() ? java.util.Arrays.copyOf(body, length) : body);
            return;
        }
        if (replying) {
            // taken while this dispatcher waits for room for a reply: served once that reply is out
            deferred.add(new Deferred(sender, stream, body == taken.body() ? java.util.Arrays.copyOf(body, length) : body, length));
            return;
        }
        serve(sender, stream, body, length);
    }

    /** A request taken while the dispatcher waited for room for a reply (its body copied out of the ring). */
    private record Deferred(int sender, int stream, byte[] body, int length) {
    }

    /** Applies one request and sends its reply, draining the incoming rings meanwhile if the reply's channel is full. */
    private void serve(int sender, int stream, byte[] body, int length) {
        if (length < EPOCH_BYTES) {
            repliesDropped.increment();
            return;
        }
        long replyEpoch = readLong(body, 0);
        byte[] reply;
        try {
            reply = handler.apply(sender, body, EPOCH_BYTES, length - EPOCH_BYTES);
        } catch (RuntimeException e) {
            // the handler's own failure: the requester's deadline reports it; the dispatcher goes on serving the others
            handlerFailures.increment();
            return;
        }
        served.increment();
        replying = true;
        try {
            send(channels.ring(self, sender), sender, replyEpoch, label(stream, REPLY), reply, reply.length, System.nanoTime() + REPLY_SEND_NANOS,
                "kernel " + sender);
        } catch (UrpcException e) {
            // the requester went (another incarnation bound its channel) or stopped consuming
            repliesDropped.increment();
        } finally {
            replying = false;
        }
    }

    private static long readLong(byte[] bytes, int at) {
        long value = 0;
        for (int i = 7; i >= 0; i--) {
            value = value << 8 | bytes[at + i] & 0xFF;
        }
        return value;
    }

    private static void writeLong(byte[] bytes, int at, long value) {
        for (int i = 0; i < 8; i++) {
            bytes[at + i] = (byte) (value >>> 8 * i);
        }
    }

    @Override
    public void close() {
        closed = true;
        wakeDispatcherNow();
        try {
            dispatcher.join(Duration.ofSeconds(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (UrpcRing ring : incoming) {
            if (ring != null) {
                ring.unbind(epoch);
            }
        }
        streams.values().forEach(Stream::fail);
    }

    // ---------------------------------------------------------------- a requester's stream

    /**
     * One thread's stream to a peer: {@link #call} sends a request and waits for its reply. One
     * request outstanding at a time; not thread-safe (one per thread).
     */
    public final class Stream implements AutoCloseable {
        private final int id;
        private final int peer;
        private final long peerEpoch;
        private final String peerName;
        private final long timeoutNanos;
        private final UrpcRing out;
        private final UrpcRing in;
        private final UrpcRing.Record mine = new UrpcRing.Record();
        private volatile byte[] delivered;
        private volatile Thread waiter;
        private volatile boolean failed;
        private byte[] buffer = new byte[256];

        Stream(int id, int peer, long peerEpoch, String peerName, Duration timeout) {
            this.id = id;
            this.peer = peer;
            this.peerEpoch = peerEpoch;
            this.peerName = peerName;
            this.timeoutNanos = timeout.toNanos();
            this.out = channels.ring(self, peer);
            this.in = channels.ring(peer, self);
        }

        /**
         * Sends {@code request} and returns the peer's reply.
         *
         * @throws UrpcException when the channel is bound to another incarnation of the peer, or
         *                       no reply comes within the deadline
         */
        public byte[] call(byte[] request) {
            if (failed || closed) {
                throw new UrpcException("the URPC stream from " + selfName + " to " + peerName + " is closed (closed, or a request on it "
                    + "found no answer in time)");
            }
            long deadline = System.nanoTime() + timeoutNanos;
            int length = EPOCH_BYTES + request.length;
            if (buffer.length < length) {
                buffer = new byte[Math.max(length, buffer.length * 2)];
            }
            writeLong(buffer, 0, epoch);
            System.arraycopy(request, 0, buffer, EPOCH_BYTES, request.length);
            delivered = null;
            waiter = Thread.currentThread();
            // a request of one record is sent watching already: a reply that comes before the requester would otherwise
            // have started to watch finds its kernel polling, and the owner rings no doorbell (a mailbox word and two
            // wake-ups on this kernel, for nothing). A longer one may wait for room, meanwhile looking at no ring.
            boolean watching = tuning.watchBeforeSend() && length <= tuning.fragmentBody();
            if (watching) {
                wake.watch();
                replyWatchers.incrementAndGet();
            }
            boolean ownerParked;
            try {
                ownerParked = send(out, peer, peerEpoch, label(id, REQUEST), buffer, length, deadline, peerName);
            } catch (RuntimeException e) {
                if (watching) {
                    replyWatchers.decrementAndGet();
                    wake.unwatch();
                }
                throw e;
            }
            return awaitReply(deadline, ownerParked && spinNanos > 0 ? spinNanos + tuning.wokenOwnerNanos() : spinNanos, watching);
        }

        /** Waits for the reply; {@code watching}: the caller declared this thread watching already (undone here). */
        private byte[] awaitReply(long deadline, long watchNanos, boolean watching) {
            int replyLabel = label(id, REPLY);
            while (true) {
                if (!watching) {
                    wake.watch();
                    replyWatchers.incrementAndGet();
                }
                watching = false;
                long spunFrom = System.nanoTime();
                int looks = 0;
                try {
                    while (true) {
                        byte[] answer = delivered;
                        if (answer != null) {
                            return answer;
                        }
                        int result = in.takeIf(epoch, replyLabel, mine);
                        if (result == UrpcRing.TAKEN) {
                            return java.util.Arrays.copyOf(mine.body(), mine.length());
                        }
                        if (result != UrpcRing.EMPTY || (++looks & 63) == 0 && anyReady()) {
                            // a record for the dispatcher waits before ours, or elsewhere
                            wakeDispatcher();
                        }
                        long now = System.nanoTime();
                        if (now - spunFrom >= watchNanos) {
                            break;
                        }
                        // as a mailbox requester: a grace whatever the gate says (the dispatcher counted in the runnable
                        // count is stepping aside), then the core is yielded between looks while every core is wanted
                        if ((looks & 15) == 0 && now - spunFrom >= GRACE_NANOS && !coreToSpare.getAsBoolean()) {
                            Thread.yield();
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                } finally {
                    replyWatchers.decrementAndGet();
                    wake.unwatch();
                }
                // asleep from here on: whatever arrives now rings the doorbell, so the dispatcher hands it over
                if (in.takeIf(epoch, replyLabel, mine) == UrpcRing.TAKEN) {
                    return java.util.Arrays.copyOf(mine.body(), mine.length());
                }
                if (anyReady()) {
                    wakeDispatcher();
                }
                byte[] answer = delivered;
                if (answer != null) {
                    return answer;
                }
                if (failed) {
                    throw new UrpcException("the URPC endpoint of " + selfName + " closed while waiting for " + peerName);
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    // a reply that comes after all must not be taken for the next request's
                    failed = true;
                    throw new UrpcException(peerName + " did not answer over URPC within " + timeoutNanos / 1_000_000 + " ms (channel "
                        + selfName + " -> " + peerName + " holds " + out.size() + " unconsumed slots)");
                }
                requesterParks.increment();
                LockSupport.parkNanos(this, remaining);
                answer = delivered;
                if (answer != null) {
                    return answer;
                }
            }
        }

        void deliver(byte[] reply) {
            delivered = reply;
            LockSupport.unpark(waiter);
        }

        void fail() {
            failed = true;
            LockSupport.unpark(waiter);
        }

        @Override
        public void close() {
            streams.remove(id);
        }
    }
}
