package io.archipelago.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.trace.perfetto.DebugAnnotation;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's timeline as Chrome's trace-event JSON ({@code {"traceEvents": [...]}}, what
 * chrome://tracing, Perfetto's UI and many scripts read), translated from the Perfetto trace
 * {@link io.archipelago.trace.PerfettoTrace} merges, so both formats show the same events: a
 * process ({@code pid}) per kernel, numbered by its kernel id (the coordinator's 65535), named by a
 * {@code process_name} metadata event; a thread ({@code tid}) per track of it (each emulated core,
 * the interrupt context, each lane of the kernel's own slices; tid 0 is the kernel's own track of
 * instants), named by {@code thread_name}; slices as complete events ({@code ph "X"}, with {@code
 * dur}), instants as {@code ph "i"} (thread scope), counter tracks as {@code ph "C"} (pages held,
 * free pages, energy, each core's virtual time); the debug annotations as {@code args}. A flow
 * arrow becomes {@code ph "s"} at its first event, {@code "t"} at those between and {@code "f"}
 * ({@code bp "e"}) at its last; the viewers bind a flow event to the slice around it, so an
 * instant that carries a flow (a word's send, its delivery) is written as a slice of no length
 * ({@code ph "X"}, {@code dur 0}) instead. Times ({@code ts}, {@code dur}) in microseconds of the
 * host's monotonic clock, with nanosecond decimals.
 */
final class ChromeTraceJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChromeTraceJson() {
    }

    /** Writes {@code trace} as trace-event JSON to {@code out}. */
    static void write(Trace trace, OutputStream out) throws IOException {
        JSON.writeValue(out, of(trace));
    }

    /** {@code trace} as trace-event JSON. */
    static ObjectNode of(Trace trace) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode events = root.putArray("traceEvents");
        root.put("displayTimeUnit", "ns");
        Map<Long, TrackDescriptor> tracks = new LinkedHashMap<>();
        trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
            .forEach(d -> tracks.put(d.getUuid(), d));
        // every track's process (the kernel's track, its root) and thread (its place among the kernel's tracks)
        Map<Long, Integer> pids = new HashMap<>();
        Map<Long, Integer> tids = new HashMap<>();
        Map<Integer, Integer> nextTid = new HashMap<>();
        for (TrackDescriptor track : tracks.values()) {
            TrackDescriptor process = track;
            while (process.hasParentUuid() && tracks.containsKey(process.getParentUuid())) {
                process = tracks.get(process.getParentUuid());
            }
            int pid = pid(process);
            pids.put(track.getUuid(), pid);
            if (track == process) {
                tids.put(track.getUuid(), 0);
                events.addObject().put("ph", "M").put("name", "process_name").put("pid", pid).put("tid", 0).putObject("args")
                    .put("name", process.getName());
                events.addObject().put("ph", "M").put("name", "process_sort_index").put("pid", pid).put("tid", 0).putObject("args")
                    .put("sort_index", pid);
            } else if (!track.hasCounter()) {
                int tid = nextTid.merge(pid, 1, Integer::sum);
                tids.put(track.getUuid(), tid);
                events.addObject().put("ph", "M").put("name", "thread_name").put("pid", pid).put("tid", tid).putObject("args")
                    .put("name", track.getName());
                events.addObject().put("ph", "M").put("name", "thread_sort_index").put("pid", pid).put("tid", tid).putObject("args")
                    .put("sort_index", tid);
            }
        }
        // each flow's events in time order: its first one starts the arrow, its last one ends it
        Map<Long, List<TrackEvent>> flows = new HashMap<>();
        for (TracePacket packet : trace.getPacketList()) {
            if (packet.hasTrackEvent()) {
                packet.getTrackEvent().getFlowIdsList().forEach(id -> flows.computeIfAbsent(id, k -> new ArrayList<>()).add(packet.getTrackEvent()));
            }
        }
        Map<Long, ArrayDeque<TracePacket>> open = new HashMap<>();
        for (TracePacket packet : trace.getPacketList()) {
            if (!packet.hasTrackEvent()) {
                continue;
            }
            TrackEvent event = packet.getTrackEvent();
            long track = event.getTrackUuid();
            int pid = pids.getOrDefault(track, 0);
            int tid = tids.getOrDefault(track, 0);
            switch (event.getType()) {
                case TYPE_SLICE_BEGIN -> open.computeIfAbsent(track, k -> new ArrayDeque<>()).push(packet);
                case TYPE_SLICE_END -> {
                    ArrayDeque<TracePacket> stack = open.get(track);
                    if (stack == null || stack.isEmpty()) {
                        continue; // an end whose begin is not in the trace
                    }
                    TracePacket begin = stack.pop();
                    ObjectNode slice = event(events, "X", begin, pid, tid);
                    slice.put("dur", micros(packet.getTimestamp() - begin.getTimestamp()));
                    flows(events, begin, pid, tid, flows);
                }
                case TYPE_INSTANT -> {
                    if (event.getFlowIdsCount() > 0) {
                        event(events, "X", packet, pid, tid).put("dur", 0);
                        flows(events, packet, pid, tid, flows);
                    } else {
                        event(events, "i", packet, pid, tid).put("s", "t");
                    }
                }
                case TYPE_COUNTER -> {
                    String name = tracks.containsKey(track) ? tracks.get(track).getName() : "counter";
                    ObjectNode counter = events.addObject().put("ph", "C").put("name", name).put("pid", pid).put("tid", 0)
                        .put("ts", micros(packet.getTimestamp()));
                    if (event.hasDoubleCounterValue()) {
                        counter.putObject("args").put("value", event.getDoubleCounterValue());
                    } else {
                        counter.putObject("args").put("value", event.getCounterValue());
                    }
                }
                default -> { }
            }
        }
        return root;
    }

    /** A kernel's pid: its kernel id, from its process track's uuid ({@code PerfettoTrace.kernelTrack}). */
    private static int pid(TrackDescriptor process) {
        return (int) (process.getUuid() >>> 16 & 0xFFFF);
    }

    private static ObjectNode event(ArrayNode events, String phase, TracePacket packet, int pid, int tid) {
        TrackEvent event = packet.getTrackEvent();
        ObjectNode node = events.addObject().put("ph", phase).put("name", event.getName()).put("cat", "archipelago").put("pid", pid)
            .put("tid", tid).put("ts", micros(packet.getTimestamp()));
        if (event.getDebugAnnotationsCount() > 0) {
            ObjectNode args = node.putObject("args");
            for (DebugAnnotation annotation : event.getDebugAnnotationsList()) {
                switch (annotation.getValueCase()) {
                    case STRING_VALUE -> args.put(annotation.getName(), annotation.getStringValue());
                    case UINT_VALUE -> args.put(annotation.getName(), annotation.getUintValue());
                    default -> args.put(annotation.getName(), annotation.getIntValue());
                }
            }
        }
        return node;
    }

    /** The flow events of {@code packet}'s flows, bound to it (same pid, tid and ts). */
    private static void flows(ArrayNode events, TracePacket packet, int pid, int tid, Map<Long, List<TrackEvent>> flows) {
        TrackEvent event = packet.getTrackEvent();
        for (long id : event.getFlowIdsList()) {
            List<TrackEvent> chain = flows.get(id);
            if (chain.size() < 2) {
                continue; // its other end is not in the trace
            }
            String phase = chain.getFirst() == event ? "s" : chain.getLast() == event ? "f" : "t";
            ObjectNode flow = events.addObject().put("ph", phase).put("name", "flow").put("cat", "archipelago").put("id", id).put("pid", pid)
                .put("tid", tid).put("ts", micros(packet.getTimestamp()));
            if (phase.equals("f")) {
                flow.put("bp", "e");
            }
        }
    }

    private static double micros(long nanos) {
        return nanos / 1000.0;
    }
}
