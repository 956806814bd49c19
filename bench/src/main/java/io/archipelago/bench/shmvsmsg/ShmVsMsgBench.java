package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.Progress;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.MarshalRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.shmvsmsg.proto.MarshalFigures;
import io.archipelago.shmvsmsg.proto.MarshalObject;
import io.archipelago.shmvsmsg.proto.MarshalReply;
import io.archipelago.shmvsmsg.proto.MarshalRequest;
import io.archipelago.shmvsmsg.proto.PrepareRequest;
import io.archipelago.shmvsmsg.proto.RunReply;
import io.archipelago.shmvsmsg.proto.RunRequest;
import io.archipelago.shmvsmsg.proto.ShmVsMsgControlGrpc;
import io.archipelago.shmvsmsg.proto.TouchRequest;
import io.archipelago.shmvsmsg.proto.Way;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Drives {@code archipelago bench shm-vs-msg} through the kernels' control APIs: every
 * measurement runs on kernel threads, in kernel processes; this side only orders the runs and
 * merges what they return.
 *
 * <pre>
 *   requester kernels (domain a)      owner (domain a)              far kernel (domain b)
 *   near-0 .. near-K-1                owner-0                       far-0
 *     shm: loads/stores  ----------> svm-shm-* (hardware-coherent, created by the owner)
 *     msg: request -----stream-----> svm-msg-* (its own; applied on its message thread)
 *     dsm: faults  -------------------------------------mailbox--> svm-dsm-* (software-coherent, created far)
 * </pre>
 */
public final class ShmVsMsgBench {

    /** The kernels' roles. */
    public record Roles(List<KernelStatus> requesters, KernelStatus owner, KernelStatus far) {
        public KernelStatus requester() {
            return requesters.getFirst();
        }
    }

    /** The objects' elements: 64-byte bench_items. */
    private static final long ITEM_BYTES = io.archipelago.workloads.shmvsmsg.BenchObject.ITEM_SIZE;
    private static final long STRIDE = 64; // elements: 64 x 64 B = one 4 KiB page between disjoint objects

    private final KernelChannels channels;
    private final Roles roles;
    private final ShmVsMsgPlan plan;
    private final Progress progress;
    private final IntFunction<long[]> socketBaseline;
    private final Measured mailboxOneAtATime = new Measured();
    private final Measured socketFloor = new Measured();
    private final Measured mailboxFloor = new Measured();
    private final Measured noopFloor = new Measured();

    /**
     * @param socketBaseline n round trips of the plain-socket baseline, in nanoseconds
     */
    public ShmVsMsgBench(KernelChannels channels, Roles roles, ShmVsMsgPlan plan, Progress progress, IntFunction<long[]> socketBaseline) {
        this.channels = channels;
        this.roles = roles;
        this.plan = plan;
        this.progress = progress;
        this.socketBaseline = socketBaseline;
    }

    static String region(String way, long bytes) {
        return "svm-" + way + "-" + bytes;
    }

    static String contended(String way) {
        return "svm-" + way + "-contended";
    }

    /** Everything but the unified-format table and the environment, which the caller adds. */
    public Measurements run() {
        prepare();
        warmUp();
        List<OpRow> ops = sizeSweep();
        ShmVsMsgReport.Transport transport = new ShmVsMsgReport.Transport(socketFloor.figure(), mailboxFloor.figure(), noopFloor.figure(),
            mailboxOneAtATime.figure());
        List<MarshalRow> marshalling = marshalling();
        List<ContentionRow> contention = contention();
        return new Measurements(transport, ops, marshalling, contention);
    }

    /**
     * The size sweep alone (objects, warm-up, the floors and the operations every way): one point of
     * the remote-latency sweep, which boots a cluster per point.
     */
    public List<OpRow> runSizeSweep() {
        prepare();
        warmUp();
        return sizeSweep();
    }

    /** What the kernels measured. */
    public record Measurements(ShmVsMsgReport.Transport transport, List<OpRow> ops, List<MarshalRow> marshalling,
                               List<ContentionRow> contention) {
    }

    private void prepare() {
        progress.stage("creating the objects");
        long contendedCount = (long) plan.kernels() * plan.maxThreads() * STRIDE;
        for (long bytes : plan.sizes()) {
            create(roles.owner(), region("shm", bytes), bytes / ITEM_BYTES, false);
            create(roles.owner(), region("msg", bytes), bytes / ITEM_BYTES, false);
            create(roles.owner(), region("urpc", bytes), bytes / ITEM_BYTES, false);
            create(roles.far(), region("dsm", bytes), bytes / ITEM_BYTES, true);
        }
        create(roles.owner(), contended("shm"), contendedCount, false);
        create(roles.owner(), contended("msg"), contendedCount, false);
        create(roles.owner(), contended("urpc"), contendedCount, false);
        create(roles.far(), contended("dsm"), contendedCount, true);
    }

    private void create(KernelStatus kernel, String name, long count, boolean software) {
        call(kernel, "create " + name, () -> control(kernel, 60).prepare(PrepareRequest.newBuilder().setRegion(name).setCount(count)
            .setSoftwareCoherent(software).build()));
        progress.advance(1);
    }

    /**
     * Runs every operation every way from every requester kernel, unrecorded, before anything is
     * measured: the kernels' JVMs start cold, and the message path (gRPC, Netty, Protocol Buffers,
     * on both sides) takes thousands of round trips to be compiled; the size sweep and the
     * contention sweep must not measure the JIT.
     */
    private void warmUp() {
        List<String> ops = new ArrayList<>(plan.ops());
        plan.contentionOps().stream().filter(op -> !ops.contains(op)).forEach(ops::add);
        ops.add("noop");
        long largest = plan.sizes().getLast();
        for (String op : ops) {
            for (Way way : WAYS) {
                if (op.equals("noop") && way != Way.MSG && way != Way.URPC) {
                    continue;
                }
                progress.stage("warming up: " + op + " by " + key(way) + " from " + roles.requesters().size() + " kernel"
                    + (roles.requesters().size() == 1 ? "" : "s"));
                together(way, op, true, roles.requesters().size(), 1, plan.jitWarmupMs());
                if (op.equals("read_struct") || op.equals("scan")) {
                    run(roles.requester(), base(way, op(op), region(key(way), largest), largest / ITEM_BYTES).setWarmupMs(plan.warmupMs())
                        .setMeasureMs(plan.jitWarmupMs()).build());
                }
                progress.advance(1);
            }
        }
    }

    /**
     * One round of the message path's floors (plain socket, mailbox, empty message), in a rotating
     * order. Called at the start of every round of the size sweep, so that the floors are measured
     * over the same stretch of time as the operations they are the floors of: on a shared machine
     * the load changes within a minute, and a floor taken at another moment is no floor.
     */
    private void floorsRound(int round) {
        KernelStatus requester = roles.requester();
        long smallest = plan.sizes().getFirst();
        for (int k = 0; k < 3; k++) {
            switch ((round + k) % 3) {
                case 0 -> {
                    progress.stage("floors: plain-socket ping-pong");
                    socketFloor.addNanos(socketBaseline.apply(plan.floorRoundTrips()));
                }
                case 1 -> {
                    progress.stage("floors: mailbox round trips");
                    int n = plan.floorRoundTrips();
                    List<Long> rtts = call(requester, "mailbox ping", () -> channels.mailbox(requester.getControl())
                        .withDeadlineAfter(120, TimeUnit.SECONDS).ping(MailboxPingRequest.newBuilder().setPeer(roles.owner().getId())
                            .setRoundTrips(n).setWarmup(Math.max(2_000, 2 * n)).setTimeoutMs(2_000).setInterruptContext(false).build()))
                        .getRttNsList();
                    mailboxFloor.addNanos(rtts.stream().mapToLong(Long::longValue).toArray());
                }
                default -> {
                    progress.stage("floors: empty messages");
                    add(noopFloor, run(requester, base(Way.MSG, ObjectOp.NOOP, region("msg", smallest), smallest / ITEM_BYTES)
                        .setWarmupMs(plan.warmupMs()).setMeasureMs(plan.measureMs()).build()));
                }
            }
            progress.advance(1);
        }
    }

    private static final List<Way> WAYS = List.of(Way.SHM, Way.DSM, Way.MSG, Way.URPC);

    private List<OpRow> sizeSweep() {
        Map<String, Map<String, Measured>> cells = new LinkedHashMap<>();
        KernelStatus requester = roles.requester();
        for (int round = 0; round < plan.rounds(); round++) {
            floorsRound(round);
            int turn = round;
            for (long bytes : plan.sizes()) {
                for (String op : plan.ops()) {
                    Map<String, Measured> cell = cells.computeIfAbsent(op + "\u0000" + bytes, k -> new LinkedHashMap<>());
                    for (int w = 0; w < WAYS.size(); w++) {
                        Way way = WAYS.get((turn + w) % WAYS.size());
                        String name = key(way);
                        progress.stage(String.format(Locale.ROOT, "size sweep%s: %s %s by %s", plan.rounds() > 1 ? " (round " + (round + 1) + ")" : "",
                            op, ShmVsMsgMarkdown.bytes(bytes), name));
                        add(cell.computeIfAbsent(name, k -> new Measured()), run(requester, base(way, op(op), region(name, bytes),
                            bytes / ITEM_BYTES).setWarmupMs(plan.warmupMs()).setMeasureMs(plan.measureMs()).build()));
                        progress.advance(1);
                    }
                    turn++;
                }
            }
        }
        if (plan.coldSamples() > 0) {
            aloneRounds(cells);
        }
        List<OpRow> rows = new ArrayList<>();
        for (long bytes : plan.sizes()) {
            for (String op : plan.ops()) {
                Map<String, Figure> ways = new LinkedHashMap<>();
                cells.get(op + "\u0000" + bytes).forEach((way, measured) -> ways.put(way, measured.figure()));
                rows.add(new OpRow(op, bytes, ways));
            }
        }
        return rows;
    }

    /**
     * The operations timed alone, right after the object's creator (or owner) wrote all of it: in
     * rounds over every operation and size, like the size sweep, after one round that is not
     * recorded. In the steady state the DSM's pages stay with the requester, so its fault path
     * (and the owner's write before each sample) first runs here: measured cell after cell, the
     * first cells paid for its compilation (a run of 23 Nov 2026 had read_field's DSM faults at
     * 746 µs for the first cell and 118 µs for the last, the same one-page fault).
     */
    private void aloneRounds(Map<String, Map<String, Measured>> cells) {
        int rounds = plan.rounds();
        int perRound = Math.max(1, plan.coldSamples() / rounds);
        for (int round = -1; round < rounds; round++) {
            boolean recorded = round >= 0;
            int samples = recorded && round == rounds - 1 ? plan.coldSamples() - perRound * (rounds - 1) : perRound;
            for (long bytes : plan.sizes()) {
                for (String op : plan.ops()) {
                    Map<String, Measured> cell = cells.get(op + "\u0000" + bytes);
                    progress.stage(String.format(Locale.ROOT, "one at a time, after the owner's write%s: %s %s", recorded
                        ? (rounds > 1 ? " (round " + (round + 1) + ")" : "") : " (warming up, not recorded)", op, ShmVsMsgMarkdown.bytes(bytes)));
                    Measured shm = recorded ? cell.computeIfAbsent(ShmVsMsgReport.SHM_COLD, k -> new Measured()) : new Measured();
                    Measured dsm = recorded ? cell.computeIfAbsent(ShmVsMsgReport.DSM_COLD, k -> new Measured()) : new Measured();
                    Measured msg = recorded ? cell.computeIfAbsent(ShmVsMsgReport.MSG_COLD, k -> new Measured()) : new Measured();
                    Measured urpc = recorded ? cell.computeIfAbsent(ShmVsMsgReport.URPC_COLD, k -> new Measured()) : new Measured();
                    for (int i = 0; i < samples; i++) {
                        for (int w = 0; w < WAYS.size(); w++) {
                            switch (WAYS.get((i + w) % WAYS.size())) {
                                case SHM -> cold(shm, roles.owner(), Way.SHM, op, bytes);
                                case DSM -> cold(dsm, roles.far(), Way.DSM, op, bytes);
                                case URPC -> cold(urpc, roles.owner(), Way.URPC, op, bytes);
                                default -> cold(msg, roles.owner(), Way.MSG, op, bytes);
                            }
                        }
                        oneMailboxRoundTrip(recorded ? mailboxOneAtATime : new Measured());
                    }
                    progress.advance(1);
                }
            }
        }
    }

    /**
     * A mailbox round trip from the requester to the far kernel, driven the same way as the
     * operations timed alone (its own control call, idle threads on both sides): the baseline of
     * a page fault taken one at a time.
     */
    private void oneMailboxRoundTrip(Measured into) {
        KernelStatus requester = roles.requester();
        List<Long> rtt = call(requester, "mailbox ping", () -> channels.mailbox(requester.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .ping(MailboxPingRequest.newBuilder().setPeer(roles.far().getId()).setRoundTrips(1).setTimeoutMs(2_000).setInterruptContext(false)
                .build())).getRttNsList();
        into.addNanos(rtt.stream().mapToLong(Long::longValue).toArray());
    }

    /** The object's creator (or owner) writes all of it, then the requester does the operation once, timed alone. */
    private void cold(Measured into, KernelStatus writer, Way way, String op, long bytes) {
        String name = region(key(way), bytes);
        long count = bytes / ITEM_BYTES;
        call(writer, "touch " + name, () -> control(writer, 60).touch(TouchRequest.newBuilder().setRegion(name).setFirst(0).setCount(count).build()));
        add(into, run(roles.requester(), base(way, op(op), name, count).setSingleOps(1).build()));
    }

    private List<MarshalRow> marshalling() {
        List<MarshalRow> rows = new ArrayList<>();
        KernelStatus requester = roles.requester();
        for (long bytes : plan.sizes()) {
            progress.stage("marshalling alone: " + ShmVsMsgMarkdown.bytes(bytes));
            MarshalReply reply = call(requester, "marshal", () -> control(requester, 120).marshal(MarshalRequest.newBuilder()
                .setRegion(region("shm", bytes)).addObjects(MarshalObject.newBuilder().setFirst(0).setCount(bytes / ITEM_BYTES))
                .setWarmupMs(Math.max(20, plan.marshalMs() / 3)).setMeasureMs(plan.marshalMs()).build()));
            if (!reply.getError().isEmpty()) {
                throw new IllegalStateException("kernel " + requester.getName() + " could not time marshalling: " + reply.getError());
            }
            MarshalFigures figures = reply.getFigures(0);
            rows.add(new MarshalRow(figures.getBytes(), figures.getEncodedBytes(), latency(figures.getEncode().toByteArray()),
                latency(figures.getDecode().toByteArray()), latency(figures.getCopy().toByteArray())));
            progress.advance(1);
        }
        return rows;
    }

    private static LatencySummary latency(byte[] encoded) {
        return LatencySummary.of(Measured.decode(encoded));
    }

    private List<ContentionRow> contention() {
        List<ContentionRow> rows = new ArrayList<>();
        int turn = 0;
        for (String op : plan.contentionOps()) {
            for (String objects : List.of("same", "disjoint")) {
                for (int kernels = 1; kernels <= plan.kernels(); kernels++) {
                    for (int threads : plan.threads()) {
                        Map<String, Figure> ways = new LinkedHashMap<>();
                        for (int w = 0; w < WAYS.size(); w++) {
                            Way way = WAYS.get((turn + w) % WAYS.size());
                            progress.stage(String.format(Locale.ROOT, "contention: %s, %s object%s, %d kernel%s x %d thread%s by %s", op, objects,
                                objects.equals("same") ? "" : "s", kernels, kernels == 1 ? "" : "s", threads, threads == 1 ? "" : "s", key(way)));
                            ways.put(key(way), together(way, op, objects.equals("disjoint"), kernels, threads, plan.contentionMeasureMs()));
                            progress.advance(1);
                        }
                        turn++;
                        Map<String, Figure> ordered = new LinkedHashMap<>();
                        for (Way way : WAYS) {
                            ordered.put(key(way), ways.get(key(way)));
                        }
                        rows.add(new ContentionRow(op, objects, kernels, threads, ordered));
                    }
                }
            }
        }
        return rows;
    }

    /** {@code kernels} requesters x {@code threads} threads, all measuring the same window. */
    private Figure together(Way way, String op, boolean disjoint, int kernels, int threads, long measureMs) {
        long startAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(plan.contentionWarmupMs() + 200L + 30L * kernels * threads);
        ObjectOp operation = op(op);
        List<CompletableFuture<RunReply>> runs = new ArrayList<>();
        for (int k = 0; k < kernels; k++) {
            KernelStatus kernel = roles.requesters().get(k);
            RunRequest request = base(way, operation, contended(key(way)), 1).setThreads(threads).setStride(disjoint ? STRIDE : 0)
                .setSlot(k * threads).setWarmupMs(plan.contentionWarmupMs()).setMeasureMs(measureMs).setStartAtNs(startAt)
                .build();
            runs.add(CompletableFuture.supplyAsync(() -> run(kernel, request),
                task -> Thread.ofPlatform().daemon().name("bench-shm-vs-msg-" + kernel.getName()).start(task)));
        }
        Measured measured = new Measured();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(plan.contentionWarmupMs() + measureMs) + TimeUnit.MINUTES.toNanos(2);
        for (CompletableFuture<RunReply> run : runs) {
            RunReply reply = await(run, deadline);
            add(measured, reply);
            measured.addLate(reply.getLateThreads());
            first = Math.min(first, reply.getStartedNs());
            last = Math.max(last, reply.getStartedNs() + reply.getElapsedNs());
        }
        // throughput over the union of the kernels' windows (they share one clock, CLOCK_MONOTONIC)
        measured.addWindow(last - first);
        return measured.figure();
    }

    private static RunReply await(CompletableFuture<RunReply> run, long deadline) {
        try {
            return run.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("a kernel did not finish its contention run in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private RunRequest.Builder base(Way way, ObjectOp op, String region, long count) {
        return RunRequest.newBuilder().setWay(way).setOp(op).setRegion(region).setFirst(0).setCount(count).setThreads(1)
            .setOwner(roles.owner().getId());
    }

    private RunReply run(KernelStatus kernel, RunRequest request) {
        long seconds = 60 + TimeUnit.MILLISECONDS.toSeconds(request.getWarmupMs() + request.getMeasureMs());
        RunReply reply = call(kernel, request.getOp() + " by " + request.getWay(), () -> control(kernel, seconds).run(request));
        if (!reply.getError().isEmpty()) {
            throw new IllegalStateException("kernel " + kernel.getName() + " failed " + request.getOp() + " by " + request.getWay() + " on "
                + request.getRegion() + ": " + reply.getError());
        }
        return reply;
    }

    private static void add(Measured into, RunReply reply) {
        into.add(reply.getHistogram().toByteArray(), reply.getBatch(), reply.getOperations(), reply.getFaults());
        if (reply.hasUrpcWaits()) {
            var waits = reply.getUrpcWaits();
            into.addUrpcWaits(new Figure.UrpcWaits(waits.getRequesterParks(), waits.getOwnerParks(), waits.getDoorbellsToOwner(),
                waits.getDoorbellsToRequester(), waits.getFullWaits()));
        }
    }

    private ShmVsMsgControlGrpc.ShmVsMsgControlBlockingStub control(KernelStatus kernel, long seconds) {
        return ShmVsMsgControlGrpc.newBlockingStub(channels.control(kernel.getControl()).getChannel()).withDeadlineAfter(seconds, TimeUnit.SECONDS)
            .withMaxInboundMessageSize(16 * 1024 * 1024);
    }

    private static <T> T call(KernelStatus kernel, String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("kernel " + kernel.getName() + " (control " + kernel.getControl() + ") failed " + what + ": "
                + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }

    static String key(Way way) {
        return way.name().toLowerCase(Locale.ROOT);
    }

    static ObjectOp op(String name) {
        return ObjectOp.valueOf(name.toUpperCase(Locale.ROOT));
    }
}
