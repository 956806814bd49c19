package io.archipelago.trace;

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
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every kernel's ring merged into one Perfetto trace: a process track per kernel (named after it,
 * with its host process id), a child track per emulated core, the kernel's events on those tracks,
 * in host time. Written as Perfetto's own TrackEvent protobufs, as its maintainers recommend for
 * tools that are not Perfetto's SDK; ui.perfetto.dev opens the file as it is. A mailbox word's
 * send and its delivery on the other kernel are joined by a flow arrow (see {@link #wordFlows}); a
 * word whose other end the rings no longer hold has none.
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
        flows.putAll(migrationFlows(kernels, flows.size() + 1L));
        List<Timed> events = new ArrayList<>();
        for (TraceRing.Snapshot kernel : kernels) {
            int sequence = kernel.kernelId() + 1;
            long process = kernelTrack(kernel.kernelId());
            trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(TrackDescriptor.newBuilder()
                .setUuid(process).setName(kernel.kernelName())
                .setProcess(ProcessDescriptor.newBuilder().setPid((int) kernel.pid()).setProcessName(kernel.kernelName()))));
            TreeSet<Integer> cores = new TreeSet<>();
            kernel.records().stream().filter(r -> r.track() != TraceRing.KERNEL_TRACK).forEach(r -> cores.add(r.track()));
            for (int core : cores) {
                trace.addPacket(TracePacket.newBuilder().setTrustedPacketSequenceId(sequence).setTrackDescriptor(TrackDescriptor.newBuilder()
                    .setUuid(coreTrack(kernel.kernelId(), core)).setParentUuid(process).setName("core " + core)));
            }
            // Slices of the kernel itself (DSM faults, migrations) come from several of its threads and may overlap:
            // each kind gets lanes, child tracks on which no two slices overlap, as Perfetto's nesting requires.
            Map<TraceEvent, List<Long>> laneEnds = new EnumMap<>(TraceEvent.class);
            List<TraceRecord> ordered = new ArrayList<>(kernel.records());
            ordered.sort(Comparator.comparingLong(TraceRecord::timeNs));
            for (TraceRecord record : ordered) {
                long track;
                if (record.track() != TraceRing.KERNEL_TRACK) {
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
                Long flow = flows.get(record);
                if (flow != null) {
                    event.addFlowIds(flow);
                }
                if (record.event().shape() == TraceEvent.Shape.SLICE) {
                    events.add(new Timed(record.timeNs(), sequence, event.clone().setType(TrackEvent.Type.TYPE_SLICE_BEGIN).build()));
                    events.add(new Timed(record.timeNs() + Math.max(0, record.value()), sequence, TrackEvent.newBuilder()
                        .setTrackUuid(track).setType(TrackEvent.Type.TYPE_SLICE_END).build()));
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
     * says how long before). Flow ids from {@code firstId} on, by identity as in {@link #wordFlows}.
     */
    static Map<TraceRecord, Long> migrationFlows(List<TraceRing.Snapshot> kernels, long firstId) {
        List<TraceRecord[]> stops = new ArrayList<>();
        List<Object[]> firstSteps = new ArrayList<>();
        for (TraceRing.Snapshot kernel : kernels) {
            for (TraceRecord record : kernel.records()) {
                if (record.event() == TraceEvent.MIGRATION_STOP) {
                    stops.add(new TraceRecord[] {record});
                } else if (record.event() == TraceEvent.MIGRATION_FIRST_STEP) {
                    firstSteps.add(new Object[] {record, kernel.kernelId()});
                }
            }
        }
        Map<TraceRecord, Long> flows = new IdentityHashMap<>();
        long next = firstId;
        for (Object[] entry : firstSteps) {
            TraceRecord first = (TraceRecord) entry[0];
            TraceRecord best = null;
            for (TraceRecord[] stop : stops) {
                TraceRecord candidate = stop[0];
                if (candidate != null && candidate.subject() == first.subject() && candidate.value() == (int) entry[1]
                    && candidate.timeNs() <= first.timeNs() && (best == null || candidate.timeNs() > best.timeNs())) {
                    best = candidate;
                }
            }
            if (best != null && !flows.containsKey(best)) {
                long flow = next++;
                flows.put(best, flow);
                flows.put(first, flow);
            }
        }
        return flows;
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

    /** The uuid of one emulated core's track. */
    public static long coreTrack(int kernelId, int core) {
        return kernelTrack(kernelId) | (core + 1L);
    }

    private record Timed(long timeNs, int sequence, TrackEvent event) {
    }
}
