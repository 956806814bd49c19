package io.archipelago.trace;

import io.archipelago.trace.perfetto.DebugAnnotation;
import io.archipelago.trace.perfetto.ProcessDescriptor;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Every kernel's ring merged into one Perfetto trace: a process track per kernel (named after it,
 * with its host process id), a child track per emulated core, the kernel's events on those tracks,
 * in host time. Written as Perfetto's own TrackEvent protobufs, as its maintainers recommend for
 * tools that are not Perfetto's SDK; ui.perfetto.dev opens the file as it is.
 */
public final class PerfettoTrace {

    private PerfettoTrace() {
    }

    /** The trace of these rings' snapshots. */
    public static Trace of(List<TraceRing.Snapshot> kernels) {
        Trace.Builder trace = Trace.newBuilder();
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
