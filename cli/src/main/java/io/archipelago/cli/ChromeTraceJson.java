package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

    /**
     * Trace-event JSON as written by {@link #of} read back into a Perfetto trace, as far as
     * {@code trace render} draws it: a process track per {@code pid} (named by its {@code
     * process_name}), a child track per {@code tid} (by its {@code thread_name}; tid 0 is the
     * process's own), a counter track per {@code pid} and {@code C} event name; {@code X} events as
     * slices ({@code dur 0}: an instant), {@code i} as instants, {@code C} as counter values, and
     * each flow ({@code s}/{@code t}/{@code f}) bound to the event of its pid, tid and time.
     *
     * @throws CliException naming {@code where} when it is not such JSON
     */
    static Trace read(JsonNode root, String where) {
        JsonNode list = root.isArray() ? root : root.get("traceEvents");
        if (list == null || !list.isArray()) {
            throw new CliException(where + ": expected Chrome trace-event JSON ({\"traceEvents\": [...]} or an array of events), found "
                + (root.isObject() ? "an object without traceEvents" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
        Map<Integer, String> processNames = new LinkedHashMap<>();
        Map<List<Integer>, String> threadNames = new LinkedHashMap<>();
        Map<List<Long>, List<Long>> flowsAt = new HashMap<>();
        for (JsonNode event : list) {
            String phase = event.path("ph").asText();
            int pid = event.path("pid").asInt();
            int tid = event.path("tid").asInt();
            switch (phase) {
                case "M" -> {
                    if (event.path("name").asText().equals("process_name")) {
                        processNames.put(pid, event.path("args").path("name").asText("kernel " + pid));
                    } else if (event.path("name").asText().equals("thread_name")) {
                        threadNames.put(List.of(pid, tid), event.path("args").path("name").asText("track " + tid));
                    }
                }
                case "s", "t", "f" -> flowsAt.computeIfAbsent(List.of((long) pid, (long) tid, nanos(event.path("ts"))), k -> new ArrayList<>())
                    .add(event.path("id").asLong());
                default -> { }
            }
        }
        Trace.Builder trace = Trace.newBuilder();
        Map<Integer, Long> processTracks = new LinkedHashMap<>();
        Map<List<Integer>, Long> threadTracks = new HashMap<>();
        Map<List<Object>, Long> counterTracks = new HashMap<>();
        long[] nextUuid = {1};
        java.util.function.IntFunction<Long> process = pid -> processTracks.computeIfAbsent(pid, p -> {
            long uuid = nextUuid[0]++;
            trace.addPacket(TracePacket.newBuilder().setTrackDescriptor(TrackDescriptor.newBuilder().setUuid(uuid)
                .setName(processNames.getOrDefault(p, "process " + p))));
            return uuid;
        });
        processNames.keySet().forEach(process::apply);
        threadNames.forEach((key, name) -> {
            long parent = process.apply(key.get(0));
            long uuid = nextUuid[0]++;
            threadTracks.put(key, uuid);
            trace.addPacket(TracePacket.newBuilder().setTrackDescriptor(TrackDescriptor.newBuilder().setUuid(uuid).setParentUuid(parent)
                .setName(name)));
        });
        // events in time order, an end before a begin at the same time (a slice ending where the next one begins)
        record Timed(long timeNs, int order, TrackEvent event) {
        }
        List<Timed> timed = new ArrayList<>();
        for (JsonNode event : list) {
            String phase = event.path("ph").asText();
            if (!phase.equals("X") && !phase.equals("i") && !phase.equals("I") && !phase.equals("C")) {
                continue;
            }
            int pid = event.path("pid").asInt();
            int tid = event.path("tid").asInt();
            long time = nanos(event.path("ts"));
            String name = event.path("name").asText();
            if (phase.equals("C")) {
                long counter = counterTracks.computeIfAbsent(List.of(pid, name), k -> {
                    long uuid = nextUuid[0]++;
                    trace.addPacket(TracePacket.newBuilder().setTrackDescriptor(TrackDescriptor.newBuilder().setUuid(uuid)
                        .setParentUuid(process.apply(pid)).setName(name).setCounter(io.archipelago.trace.perfetto.CounterDescriptor.newBuilder())));
                    return uuid;
                });
                JsonNode value = event.path("args").path("value");
                TrackEvent.Builder reading = TrackEvent.newBuilder().setTrackUuid(counter).setType(TrackEvent.Type.TYPE_COUNTER);
                if (value.isIntegralNumber()) {
                    reading.setCounterValue(value.asLong());
                } else {
                    reading.setDoubleCounterValue(value.asDouble());
                }
                timed.add(new Timed(time, 1, reading.build()));
                continue;
            }
            long track = tid == 0 || !threadTracks.containsKey(List.of(pid, tid)) ? process.apply(pid) : threadTracks.get(List.of(pid, tid));
            TrackEvent.Builder built = TrackEvent.newBuilder().setTrackUuid(track).setName(name)
                .addAllFlowIds(flowsAt.getOrDefault(List.of((long) pid, (long) tid, time), List.of()));
            long duration = phase.equals("X") ? nanos(event.path("dur")) : 0;
            if (duration > 0) {
                timed.add(new Timed(time, 1, built.setType(TrackEvent.Type.TYPE_SLICE_BEGIN).build()));
                timed.add(new Timed(time + duration, 0, TrackEvent.newBuilder().setTrackUuid(track).setType(TrackEvent.Type.TYPE_SLICE_END)
                    .build()));
            } else {
                timed.add(new Timed(time, 1, built.setType(TrackEvent.Type.TYPE_INSTANT).build()));
            }
        }
        timed.sort(java.util.Comparator.comparingLong(Timed::timeNs).thenComparingInt(Timed::order));
        for (Timed event : timed) {
            trace.addPacket(TracePacket.newBuilder().setTimestamp(event.timeNs()).setTrackEvent(event.event()));
        }
        return trace.build();
    }

    /** Microseconds with nanosecond decimals, as {@link #of} writes them, back to nanoseconds. */
    private static long nanos(JsonNode micros) {
        return Math.round(micros.asDouble() * 1000.0);
    }
}
