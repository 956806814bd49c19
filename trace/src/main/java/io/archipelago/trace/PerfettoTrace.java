package io.archipelago.trace;

import io.archipelago.trace.perfetto.DebugAnnotation;
import io.archipelago.trace.perfetto.ProcessDescriptor;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
            for (TraceRecord record : kernel.records()) {
                long track = record.track() == TraceRing.KERNEL_TRACK ? process : coreTrack(kernel.kernelId(), record.track());
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

    /** The uuid of one emulated core's track. */
    public static long coreTrack(int kernelId, int core) {
        return kernelTrack(kernelId) | (core + 1L);
    }

    private record Timed(long timeNs, int sequence, TrackEvent event) {
    }
}
