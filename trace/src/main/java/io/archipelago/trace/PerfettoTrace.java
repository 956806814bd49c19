package io.archipelago.trace;

import io.archipelago.trace.perfetto.CounterDescriptor;
import io.archipelago.trace.perfetto.DebugAnnotation;
import io.archipelago.trace.perfetto.ProcessDescriptor;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every kernel's ring merged into one Perfetto trace: a process track per kernel (named after it,
 * with its host process id; the coordinator's ring, its devices raising and routing interrupts, is
 * one more), a child track per emulated core, one for the interrupt context, a counter track per
 * core of its virtual clock (each step's slice also carries its virtual start and end), a counter
 * track per kernel of the DSM pages it holds, its allocator's free pages and its energy (mJ), the
 * kernel's events on those tracks, in host time. Written as Perfetto's own TrackEvent protobufs, as
 * its maintainers recommend for tools that are not Perfetto's SDK; ui.perfetto.dev opens the file
 * as it is. Flow arrows join a mailbox word's send to its delivery on the other kernel
 * ({@link #wordFlows}), a migration's stop through its hand-over and adoption to its first step
 * ({@link #migrationFlows}), an interrupt's routing to its taking ({@link #irqFlows}), and a DSM
 * fault to the holder's hand-over and the page's arrival ({@link #dsmFlows}); an event whose other
 * end the rings no longer hold has none.
 */
public final class PerfettoTrace {

    private PerfettoTrace() {
    }

    /** How a mailbox word is named on the timeline (the trace module does not know the mailbox's word format). */
    @FunctionalInterface
    public interface WordNames {
        String of(int word);
    }

    /** The trace of these rings' snapshots, words named by their hex value. */
    public static Trace of(List<TraceRing.Snapshot> kernels) {
        return of(kernels, word -> String.format("0x%08x", word));
    }

    /** The trace of these rings' snapshots, mailbox words named by {@code words}. */
    public static Trace of(List<TraceRing.Snapshot> rings, WordNames words) {
        List<TraceRing.Snapshot> kernels = byKernel(rings);
        Trace.Builder trace = Trace.newBuilder();
        Map<TraceRecord, Long> flows = wordFlows(kernels);
        flows.putAll(migrationFlows(kernels, nextFlowId(flows)));
        flows.putAll(irqFlows(kernels, nextFlowId(flows)));
        flows.putAll(dsmFlows(kernels, nextFlowId(flows)));
        Map<Integer, String> names = new HashMap<>();
        kernels.forEach(k -> names.put(k.kernelId(), k.kernelName()));
        List<Timed> events = new ArrayList<>();
        for (TraceRing.Snapshot kernel : kernels) {
            int sequence = kernel.kernelId() + 1;
            long process = kernelTrack(kernel.kernelId());
            trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(TrackDescriptor.newBuilder()
                .setUuid(process).setName(kernel.kernelName())
                .setProcess(ProcessDescriptor.newBuilder().setPid((int) kernel.pid()).setProcessName(kernel.kernelName()))));
            TreeSet<Integer> cores = new TreeSet<>();
            kernel.records().stream().filter(r -> r.track() != TraceRing.KERNEL_TRACK && r.track() != TraceRing.INTERRUPT_TRACK)
                .forEach(r -> cores.add(r.track()));
            for (int core : cores) {
                trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(TrackDescriptor.newBuilder()
                    .setUuid(coreTrack(kernel.kernelId(), core)).setParentUuid(process).setName("core " + core)));
            }
            if (kernel.records().stream().anyMatch(r -> r.track() == TraceRing.INTERRUPT_TRACK)) {
                trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(TrackDescriptor.newBuilder()
                    .setUuid(interruptTrack(kernel.kernelId())).setParentUuid(process).setName("interrupts")));
            }
            // each step's virtual time, recorded beside it (same core, same host time): joined to its slice below
            Map<List<Long>, TraceRecord> virtualTimes = new HashMap<>();
            // whom each DSM hand-over gave its page to, recorded beside it (same frame, same host time): on its slice below
            Map<List<Long>, TraceRecord> handedTo = new HashMap<>();
            for (TraceRecord record : kernel.records()) {
                if (record.event() == TraceEvent.STEP_VIRTUAL_TIME) {
                    virtualTimes.put(List.of((long) record.track(), record.timeNs()), record);
                } else if (record.event() == TraceEvent.DSM_HANDED_TO) {
                    handedTo.put(List.of((long) record.subject(), record.timeNs()), record);
                }
            }
            TreeSet<Integer> clocks = new TreeSet<>();
            Set<TraceEvent> counters = EnumSet.noneOf(TraceEvent.class);
            // Slices of the kernel itself (DSM faults, migrations) come from several of its threads and may overlap:
            // each kind gets lanes, child tracks on which no two slices overlap, as Perfetto's nesting requires.
            Map<TraceEvent, List<Long>> laneEnds = new EnumMap<>(TraceEvent.class);
            List<TraceRecord> ordered = new ArrayList<>(kernel.records());
            ordered.sort(Comparator.comparingLong(TraceRecord::timeNs));
            for (TraceRecord record : ordered) {
                if (record.event() == TraceEvent.STEP_VIRTUAL_TIME || record.event() == TraceEvent.DSM_HANDED_TO) {
                    continue; // on its step's slice and its core's virtual clock; on its hand-over's slice
                }
                if (record.event().shape() == TraceEvent.Shape.COUNTER) {
                    long counter = counterTrack(kernel.kernelId(), record.event());
                    if (counters.add(record.event())) {
                        CounterDescriptor.Builder unit = record.event() == TraceEvent.ENERGY
                            ? CounterDescriptor.newBuilder().setUnitName("mJ") : CounterDescriptor.newBuilder().setUnit(CounterDescriptor.Unit.UNIT_COUNT);
                        trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(
                            TrackDescriptor.newBuilder().setUuid(counter).setParentUuid(process).setName(counterName(record.event())).setCounter(unit)));
                    }
                    TrackEvent.Builder reading = TrackEvent.newBuilder().setTrackUuid(counter).setType(TrackEvent.Type.TYPE_COUNTER);
                    if (record.event() == TraceEvent.ENERGY) {
                        reading.setDoubleCounterValue(record.value() / 1000.0); // recorded in uJ, shown in mJ
                    } else {
                        reading.setCounterValue(record.value());
                    }
                    events.add(new Timed(record.timeNs(), sequence, reading.build()));
                    continue;
                }
                long track;
                if (record.track() == TraceRing.INTERRUPT_TRACK) {
                    track = interruptTrack(kernel.kernelId());
                } else if (record.track() != TraceRing.KERNEL_TRACK) {
                    track = coreTrack(kernel.kernelId(), record.track());
                } else if (record.event().shape() == TraceEvent.Shape.SLICE) {
                    List<Long> ends = laneEnds.computeIfAbsent(record.event(), e -> new ArrayList<>());
                    int lane = 0;
                    while (lane < ends.size() && ends.get(lane) > record.timeNs()) {
                        lane++;
                    }
                    long end = record.timeNs() + Math.max(0, record.value());
                    if (lane == ends.size()) {
                        ends.add(end);
                        trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(
                            TrackDescriptor.newBuilder().setUuid(laneTrack(kernel.kernelId(), record.event(), lane)).setParentUuid(process)
                                .setName(record.event().label() + (lane == 0 ? "" : " (" + (lane + 1) + ")"))));
                    } else {
                        ends.set(lane, end);
                    }
                    track = laneTrack(kernel.kernelId(), record.event(), lane);
                } else {
                    track = process;
                }
                TrackEvent.Builder event = TrackEvent.newBuilder().setTrackUuid(track).setName(record.event().label())
                    .addDebugAnnotations(DebugAnnotation.newBuilder().setName(record.event().subject()).setIntValue(record.subject()));
                if (record.event() == TraceEvent.WORD_SENT || record.event() == TraceEvent.WORD_RECEIVED) {
                    event.setName(record.event().label() + ": " + words.of((int) record.value()));
                }
                if (record.event() == TraceEvent.IRQ_ROUTED) {
                    describeRouting(event, record, names);
                }
                TraceRecord to = record.event() == TraceEvent.DSM_HAND_OVER ? handedTo.get(List.of((long) record.subject(), record.timeNs())) : null;
                if (to != null) {
                    describeExchange(event, "to kernel", DsmExchange.unpack(to.value()));
                }
                TraceRecord virtual = record.event() == TraceEvent.STEP || record.event() == TraceEvent.NIGHTWATCH_STEP
                    ? virtualTimes.get(List.of((long) record.track(), record.timeNs())) : null;
                if (virtual != null) {
                    long virtualStart = virtual.value();
                    long virtualEnd = virtualStart + Integer.toUnsignedLong(virtual.subject());
                    event.addDebugAnnotations(DebugAnnotation.newBuilder().setName("virtual start ns").setIntValue(virtualStart))
                        .addDebugAnnotations(DebugAnnotation.newBuilder().setName("virtual end ns").setIntValue(virtualEnd));
                    long clock = virtualClockTrack(kernel.kernelId(), record.track());
                    if (clocks.add(record.track())) {
                        trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(
                            TrackDescriptor.newBuilder().setUuid(clock).setParentUuid(process).setName("core " + record.track()
                                + " virtual time").setCounter(CounterDescriptor.newBuilder().setUnit(CounterDescriptor.Unit.UNIT_TIME_NS))));
                    }
                    events.add(new Timed(record.timeNs(), sequence, TrackEvent.newBuilder().setTrackUuid(clock)
                        .setType(TrackEvent.Type.TYPE_COUNTER).setCounterValue(virtualStart).build()));
                    events.add(new Timed(record.timeNs() + Math.max(0, record.value()), sequence, TrackEvent.newBuilder().setTrackUuid(clock)
                        .setType(TrackEvent.Type.TYPE_COUNTER).setCounterValue(virtualEnd).build()));
                }
                Long flow = flows.get(record);
                if (flow != null) {
                    event.addFlowIds(flow);
                }
                if (record.event().shape() == TraceEvent.Shape.SLICE) {
                    events.add(new Timed(record.timeNs(), sequence, event.clone().setType(TrackEvent.Type.TYPE_SLICE_BEGIN).build()));
                    events.add(new Timed(record.timeNs() + Math.max(0, record.value()), sequence, TrackEvent.newBuilder()
                        .setTrackUuid(track).setType(TrackEvent.Type.TYPE_SLICE_END).build()));
                } else if (record.event() == TraceEvent.DSM_PAGE_RECEIVED) {
                    describeExchange(event, "value", DsmExchange.unpack(record.value()));
                    events.add(new Timed(record.timeNs(), sequence, event.setType(TrackEvent.Type.TYPE_INSTANT).build()));
                } else {
                    event.addDebugAnnotations(DebugAnnotation.newBuilder().setName("value").setIntValue(record.value()));
                    events.add(new Timed(record.timeNs(), sequence, event.setType(TrackEvent.Type.TYPE_INSTANT).build()));
                }
            }
        }
        // Stable: an END and the next BEGIN at the same nanosecond on one core stay in that order.
        events.sort(Comparator.comparingLong(Timed::timeNs));
        for (Timed event : events) {
            trace.addPacket(TracePacket.newBuilder().setTimestamp(event.timeNs()).setTrustedPacketSequenceId(event.sequence())
                .setTrackEvent(event.event()));
        }
        return trace.build();
    }

    /**
     * Pairs every delivered word with its send: per (sender, receiver, word), sends in time order,
     * each delivery taking the latest send before it not taken yet (the same word is sent again
     * only after many others, e.g. a sequence number's reuse). Returns each paired record's flow id
     * (by identity: two records may be equal).
     */
    static Map<TraceRecord, Long> wordFlows(List<TraceRing.Snapshot> kernels) {
        Map<List<Long>, ArrayDeque<TraceRecord>> sends = new HashMap<>();
        List<long[]> receivedAt = new ArrayList<>();
        List<TraceRecord> received = new ArrayList<>();
        for (TraceRing.Snapshot kernel : kernels) {
            for (TraceRecord record : kernel.records()) {
                if (record.event() == TraceEvent.WORD_SENT) {
                    sends.computeIfAbsent(List.of((long) kernel.kernelId(), (long) record.subject(), record.value()),
                        k -> new ArrayDeque<>()).add(record);
                } else if (record.event() == TraceEvent.WORD_RECEIVED) {
                    received.add(record);
                    receivedAt.add(new long[] {record.subject(), kernel.kernelId()});
                }
            }
        }
        sends.values().forEach(queue -> {
            List<TraceRecord> sorted = new ArrayList<>(queue);
            sorted.sort(Comparator.comparingLong(TraceRecord::timeNs));
            queue.clear();
            queue.addAll(sorted);
        });
        Integer[] order = new Integer[received.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> received.get(i).timeNs()));
        Map<TraceRecord, Long> flows = new IdentityHashMap<>();
        long next = 1;
        for (int i : order) {
            TraceRecord delivery = received.get(i);
            ArrayDeque<TraceRecord> pending = sends.get(List.of(receivedAt.get(i)[0], receivedAt.get(i)[1], delivery.value()));
            if (pending == null || pending.isEmpty() || pending.peekFirst().timeNs() > delivery.timeNs()) {
                continue; // its send is older than the sender's ring holds
            }
            // sends of this word before the latest one sent before this delivery lost their deliveries (older than the
            // receiver's ring holds): the mailbox delivers a pair's words in order, so they can no longer be matched
            while (pending.size() > 1 && pending.stream().skip(1).findFirst().get().timeNs() <= delivery.timeNs()) {
                pending.pollFirst();
            }
            long flow = next++;
            flows.put(pending.pollFirst(), flow);
            flows.put(delivery, flow);
        }
        return flows;
    }

    /**
     * Joins every migrated thread's first step at its destination to its stop at the source: the
     * latest MIGRATION_STOP of that thread on another kernel at or before the first step (its value
     * says how long before), and, between the two, the source's hand-over of the thread's pages
     * (the earliest after the stop) and the destination's adoption (the latest before the first
     * step), so that one arrow runs stop, hand-over, adoption, first step. Flow ids from
     * {@code firstId} on, by identity as in {@link #wordFlows}.
     */
    static Map<TraceRecord, Long> migrationFlows(List<TraceRing.Snapshot> kernels, long firstId) {
        List<Object[]> stops = new ArrayList<>();
        List<Object[]> firstSteps = new ArrayList<>();
        Map<List<Integer>, List<TraceRecord>> handOvers = new HashMap<>();
        Map<List<Integer>, List<TraceRecord>> adoptions = new HashMap<>();
        for (TraceRing.Snapshot kernel : kernels) {
            for (TraceRecord record : kernel.records()) {
                switch (record.event()) {
                    case MIGRATION_STOP -> stops.add(new Object[] {record, kernel.kernelId()});
                    case MIGRATION_FIRST_STEP -> firstSteps.add(new Object[] {record, kernel.kernelId()});
                    case MIGRATION_HAND_OVER -> handOvers.computeIfAbsent(List.of(kernel.kernelId(), record.subject()), k -> new ArrayList<>())
                        .add(record);
                    case MIGRATION_ADOPTION -> adoptions.computeIfAbsent(List.of(kernel.kernelId(), record.subject()), k -> new ArrayList<>())
                        .add(record);
                    default -> { }
                }
            }
        }
        Map<TraceRecord, Long> flows = new IdentityHashMap<>();
        long next = firstId;
        for (Object[] entry : firstSteps) {
            TraceRecord first = (TraceRecord) entry[0];
            int destination = (int) entry[1];
            TraceRecord best = null;
            int source = -1;
            for (Object[] stop : stops) {
                TraceRecord candidate = (TraceRecord) stop[0];
                if (candidate.subject() == first.subject() && candidate.value() == destination
                    && candidate.timeNs() <= first.timeNs() && (best == null || candidate.timeNs() > best.timeNs())) {
                    best = candidate;
                    source = (int) stop[1];
                }
            }
            if (best != null && !flows.containsKey(best)) {
                long flow = next++;
                flows.put(best, flow);
                TraceRecord stop = best;
                handOvers.getOrDefault(List.of(source, first.subject()), List.of()).stream()
                    .filter(h -> h.timeNs() >= stop.timeNs() && h.timeNs() <= first.timeNs() && !flows.containsKey(h))
                    .min(Comparator.comparingLong(TraceRecord::timeNs)).ifPresent(h -> flows.put(h, flow));
                adoptions.getOrDefault(List.of(destination, first.subject()), List.of()).stream()
                    .filter(a -> a.timeNs() >= stop.timeNs() && a.timeNs() <= first.timeNs() && !flows.containsKey(a))
                    .max(Comparator.comparingLong(TraceRecord::timeNs)).ifPresent(a -> flows.put(a, flow));
                flows.put(first, flow);
            }
        }
        return flows;
    }

    /**
     * Joins each interrupt the coordinator routed to its taking on the kernel it chose: per (kernel,
     * line), in order, as {@link #wordFlows} pairs words (the IRQ word travels the coordinator's
     * mailbox queue to that kernel, FIFO). Flow ids from {@code firstId} on.
     */
    static Map<TraceRecord, Long> irqFlows(List<TraceRing.Snapshot> kernels, long firstId) {
        Map<List<Long>, List<TraceRecord>> routed = new HashMap<>();
        Map<List<Long>, List<TraceRecord>> taken = new HashMap<>();
        // a kernel whose ring overwrote records lost the interrupts it took before its oldest record left
        Map<Long, Long> oldestKept = new HashMap<>();
        for (TraceRing.Snapshot kernel : kernels) {
            if (kernel.lost() > 0) {
                kernel.records().stream().mapToLong(TraceRecord::timeNs).min()
                    .ifPresent(oldest -> oldestKept.put((long) kernel.kernelId(), oldest));
            }
        }
        for (TraceRing.Snapshot kernel : kernels) {
            for (TraceRecord record : kernel.records()) {
                if (record.event() == TraceEvent.IRQ_ROUTED) {
                    IrqDecision decision = IrqDecision.unpack(record.value());
                    if (decision.delivered() && record.timeNs() >= oldestKept.getOrDefault((long) decision.kernel(), Long.MIN_VALUE)) {
                        routed.computeIfAbsent(List.of((long) decision.kernel(), (long) record.subject()), k -> new ArrayList<>()).add(record);
                    }
                } else if (record.event() == TraceEvent.IRQ && record.value() == 1) {
                    taken.computeIfAbsent(List.of((long) kernel.kernelId(), (long) record.subject()), k -> new ArrayList<>()).add(record);
                }
            }
        }
        return pairInOrder(routed, taken, firstId);
    }

    /**
     * Joins a DSM fault to the holder's hand-over of its page and to the page's arrival: for each
     * DSM_PAGE_RECEIVED from a holder, the holder's latest DSM_HAND_OVER of that frame that began
     * before it and went to this requester by the same GET_EXCLUSIVE (its DSM_HANDED_TO names the
     * requester and the sequence number the arrival echoes; a hand-over recorded without it is
     * matched by time alone), and the requester's DSM_FAULT of that frame that contains it; a
     * DSM_PAGE_RECOVERED ends its fault's arrow likewise, with no hand-over. Flow ids from
     * {@code firstId} on.
     */
    static Map<TraceRecord, Long> dsmFlows(List<TraceRing.Snapshot> kernels, long firstId) {
        Map<List<Integer>, List<TraceRecord>> handOvers = new HashMap<>();
        Map<List<Integer>, List<TraceRecord>> faults = new HashMap<>();
        // per (holder, frame, start): whom its hand-over went to
        Map<List<Long>, DsmExchange> handedTo = new HashMap<>();
        List<Object[]> arrivals = new ArrayList<>();
        for (TraceRing.Snapshot kernel : kernels) {
            for (TraceRecord record : kernel.records()) {
                switch (record.event()) {
                    case DSM_HAND_OVER -> handOvers.computeIfAbsent(List.of(kernel.kernelId(), record.subject()), k -> new ArrayList<>())
                        .add(record);
                    case DSM_HANDED_TO -> handedTo.put(List.of((long) kernel.kernelId(), (long) record.subject(), record.timeNs()),
                        DsmExchange.unpack(record.value()));
                    case DSM_FAULT -> faults.computeIfAbsent(List.of(kernel.kernelId(), record.subject()), k -> new ArrayList<>()).add(record);
                    case DSM_PAGE_RECEIVED, DSM_PAGE_RECOVERED -> arrivals.add(new Object[] {record, kernel.kernelId()});
                    default -> { }
                }
            }
        }
        handOvers.values().forEach(list -> list.sort(Comparator.comparingLong(TraceRecord::timeNs)));
        faults.values().forEach(list -> list.sort(Comparator.comparingLong(TraceRecord::timeNs)));
        arrivals.sort(Comparator.comparingLong(a -> ((TraceRecord) a[0]).timeNs()));
        Map<TraceRecord, Long> flows = new IdentityHashMap<>();
        long next = firstId;
        for (Object[] arrival : arrivals) {
            TraceRecord received = (TraceRecord) arrival[0];
            int requester = (int) arrival[1];
            DsmExchange from = received.event() == TraceEvent.DSM_PAGE_RECOVERED ? null : DsmExchange.unpack(received.value());
            TraceRecord handOver = from == null || from.peer() == DsmExchange.GLOBAL_MEMORY ? null
                : handOverFor(handOvers.get(List.of(from.peer(), received.subject())), handedTo, from, requester, received, flows);
            TraceRecord fault = latestAtOrBefore(faults.get(List.of(requester, received.subject())), received.timeNs());
            if (fault != null && fault.timeNs() + fault.value() < received.timeNs()) {
                fault = null; // an earlier fault of that page, over before this arrival
            }
            if (fault == null && handOver == null || fault != null && flows.containsKey(fault)) {
                continue;
            }
            long flow = next++;
            if (fault != null) {
                flows.put(fault, flow);
            }
            if (handOver != null) {
                flows.put(handOver, flow);
            }
            flows.put(received, flow);
        }
        return flows;
    }

    /**
     * The holder's hand-over that answered an arrival: the latest one of the frame at or before it,
     * not joined yet, that went to this requester by the GET_EXCLUSIVE the arrival echoes (either
     * side recorded without the sequence number matches on the requester, or on time alone).
     */
    private static TraceRecord handOverFor(List<TraceRecord> sorted, Map<List<Long>, DsmExchange> handedTo, DsmExchange from,
                                           int requester, TraceRecord received, Map<TraceRecord, Long> flows) {
        if (sorted == null) {
            return null;
        }
        boolean latest = true;
        for (int i = sorted.size() - 1; i >= 0; i--) {
            TraceRecord candidate = sorted.get(i);
            if (candidate.timeNs() > received.timeNs()) {
                continue;
            }
            DsmExchange to = handedTo.get(List.of((long) from.peer(), (long) candidate.subject(), candidate.timeNs()));
            if (to == null) {
                // recorded without whom it went to: only the latest hand-over before the arrival can be the one
                return latest && !flows.containsKey(candidate) ? candidate : null;
            }
            latest = false;
            if (!flows.containsKey(candidate) && to.peer() == requester
                && (!to.hasSequence() || !from.hasSequence() || to.sequence() == from.sequence())) {
                return candidate;
            }
        }
        return null;
    }

    /** A DSM page's other end under {@code peerName} (-1: global memory), and the GET_EXCLUSIVE's sequence number as {@code request}. */
    private static void describeExchange(TrackEvent.Builder event, String peerName, DsmExchange exchange) {
        event.addDebugAnnotations(DebugAnnotation.newBuilder().setName(peerName).setIntValue(exchange.peer()));
        if (exchange.hasSequence()) {
            event.addDebugAnnotations(DebugAnnotation.newBuilder().setName("request").setIntValue(exchange.sequence()));
        }
    }

    private static TraceRecord latestAtOrBefore(List<TraceRecord> sorted, long timeNs) {
        if (sorted == null) {
            return null;
        }
        int low = 0;
        int high = sorted.size() - 1;
        TraceRecord found = null;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            if (sorted.get(middle).timeNs() <= timeNs) {
                found = sorted.get(middle);
                low = middle + 1;
            } else {
                high = middle - 1;
            }
        }
        return found;
    }

    /**
     * Pairs, per key, each {@code to} record with the oldest {@code from} record before it not taken
     * yet (what one FIFO queue delivers, in order: two interrupts routed before the first was taken
     * are taken one after the other); a {@code to} with no {@code from} before it stays unpaired. The
     * caller leaves out the {@code from} records whose other end a ring overwrote.
     */
    private static Map<TraceRecord, Long> pairInOrder(Map<List<Long>, List<TraceRecord>> from, Map<List<Long>, List<TraceRecord>> to,
                                                      long firstId) {
        Map<TraceRecord, Long> flows = new IdentityHashMap<>();
        long next = firstId;
        for (Map.Entry<List<Long>, List<TraceRecord>> entry : to.entrySet()) {
            List<TraceRecord> sources = new ArrayList<>(from.getOrDefault(entry.getKey(), List.of()));
            sources.sort(Comparator.comparingLong(TraceRecord::timeNs));
            ArrayDeque<TraceRecord> pending = new ArrayDeque<>(sources);
            List<TraceRecord> ends = new ArrayList<>(entry.getValue());
            ends.sort(Comparator.comparingLong(TraceRecord::timeNs));
            for (TraceRecord end : ends) {
                if (pending.isEmpty() || pending.peekFirst().timeNs() > end.timeNs()) {
                    continue;
                }
                long flow = next++;
                flows.put(pending.pollFirst(), flow);
                flows.put(end, flow);
            }
        }
        return flows;
    }

    private static long nextFlowId(Map<TraceRecord, Long> flows) {
        return flows.values().stream().mapToLong(Long::longValue).max().orElse(0) + 1;
    }

    /** Names a routing decision after the kernel it chose, with the rule's inputs as annotations. */
    private static void describeRouting(TrackEvent.Builder event, TraceRecord record, Map<Integer, String> names) {
        IrqDecision decision = IrqDecision.unpack(record.value());
        String to = decision.delivered() ? names.getOrDefault(decision.kernel(), "kernel " + decision.kernel()) : "nobody";
        event.setName(record.event().label() + ": irq " + record.subject() + " -> " + to)
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("kernel").setIntValue(decision.delivered() ? decision.kernel() : -1))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("rule").setStringValue(decision.rule().description()))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("strong kernels").setIntValue(decision.strongKernels()))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("strong asleep").setIntValue(decision.strongAsleep()))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("weak kernels").setIntValue(decision.weakKernels()))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("strong threads wait").setIntValue(decision.strongThreadsWait() ? 1 : 0))
            .addDebugAnnotations(DebugAnnotation.newBuilder().setName("strong wake-up avoided")
                .setIntValue(decision.avoidedStrongWakeup() ? 1 : 0));
    }

    /** One snapshot per kernel: the records of a kernel's rings (its events, its words) together, its losses summed. */
    public static List<TraceRing.Snapshot> byKernel(List<TraceRing.Snapshot> rings) {
        Map<Integer, TraceRing.Snapshot> kernels = new java.util.LinkedHashMap<>();
        for (TraceRing.Snapshot ring : rings) {
            kernels.merge(ring.kernelId(), ring, (a, b) -> {
                List<TraceRecord> records = new ArrayList<>(a.records());
                records.addAll(b.records());
                return new TraceRing.Snapshot(a.kernelId(), a.kernelName(), a.pid(), records, a.lost() + b.lost());
            });
        }
        return new ArrayList<>(kernels.values());
    }

    /** The uuid of a kernel's process track. */
    public static long kernelTrack(int kernelId) {
        return 0x4B00_0000_0000L | ((long) kernelId << 16);
    }

    /** The uuid of lane {@code lane} of a kernel's slices of one kind. */
    public static long laneTrack(int kernelId, TraceEvent event, int lane) {
        return kernelTrack(kernelId) | 0x8000L | ((long) event.id() << 8) | (lane & 0xFF);
    }

    /** The uuid of a kernel's interrupt context track (the coordinator's: its devices raising and routing interrupts). */
    public static long interruptTrack(int kernelId) {
        return kernelTrack(kernelId) | 0x7FFFL;
    }

    /** The uuid of the counter track of one emulated core's virtual clock. */
    public static long virtualClockTrack(int kernelId, int core) {
        return coreTrack(kernelId, core) | 1L << 56;
    }

    /** The uuid of a kernel's counter track of one kind ({@link TraceEvent.Shape#COUNTER}: pages held, free pages, energy). */
    public static long counterTrack(int kernelId, TraceEvent counter) {
        return kernelTrack(kernelId) | 2L << 56 | counter.id();
    }

    /** A counter track's name: the event's label, with its unit where the track does not say it. */
    public static String counterName(TraceEvent counter) {
        return counter == TraceEvent.ENERGY ? "energy (mJ)" : counter.label();
    }

    /** The uuid of one emulated core's track. */
    public static long coreTrack(int kernelId, int core) {
        return kernelTrack(kernelId) | (core + 1L);
    }

    private record Timed(long timeNs, int sequence, TrackEvent event) {
    }
}
