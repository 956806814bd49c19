package io.archipelago.trace;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.trace.perfetto.DebugAnnotation;
import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackDescriptor;
import io.archipelago.trace.perfetto.TrackEvent;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The export of the interrupt routing decision, the steps' virtual time, the DSM fault's phases
 * and the migration's phases: each on its track, joined by flows where one thing caused another.
 */
@Timeout(10)
class TimelineExportTest {

    private static final int COORDINATOR = 0xFFFF;

    private static TraceRecord record(TraceEvent event, int track, int subject, long timeNs, long value) {
        return new TraceRecord(event, track, subject, timeNs, value);
    }

    private static List<TrackEvent> events(Trace trace) {
        return trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent).toList();
    }

    private static Optional<Long> annotation(TrackEvent event, String name) {
        return event.getDebugAnnotationsList().stream().filter(a -> a.getName().equals(name)).map(DebugAnnotation::getIntValue).findFirst();
    }

    @Test
    void interruptsRoutedBeforeTheFirstWasTakenAreJoinedInTheirOrder() {
        IrqDecision toWeak = new IrqDecision(1, IrqDecision.Rule.STRONG_ASLEEP, 1, 1, 1, false, true);
        // three timer interrupts routed to weak-1 before its interrupt context took the first (its FIFO held them)
        TraceRecord first = record(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, 1, 1_000, toWeak.packed());
        TraceRecord second = record(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, 1, 1_100, toWeak.packed());
        TraceRecord third = record(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, 1, 1_200, toWeak.packed());
        TraceRecord takenFirst = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 1_500, 1);
        TraceRecord takenSecond = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 1_510, 1);
        TraceRecord takenThird = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 1_520, 1);
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(COORDINATOR, "coordinator", 1, List.of(first, second, third), 0),
            new TraceRing.Snapshot(1, "weak-1", 11, List.of(takenFirst, takenSecond, takenThird), 0));
        Map<TraceRecord, Long> flows = PerfettoTrace.irqFlows(kernels, 1);
        assertThat(flows).hasSize(6);
        assertThat(flows.get(first)).isEqualTo(flows.get(takenFirst));
        assertThat(flows.get(second)).isEqualTo(flows.get(takenSecond));
        assertThat(flows.get(third)).isEqualTo(flows.get(takenThird));

        // weak-1's ring overwrote its records before 1_150: whether it took the first two before then is unknown, so they stay
        // unpaired rather than paired with an interrupt taken for a later decision
        TraceRecord oldestKept = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 2, 1_150, 0);
        Map<TraceRecord, Long> afterOverwrite = PerfettoTrace.irqFlows(List.of(
            new TraceRing.Snapshot(COORDINATOR, "coordinator", 1, List.of(first, second, third), 0),
            new TraceRing.Snapshot(1, "weak-1", 11, List.of(oldestKept, takenThird), 40)), 1);
        assertThat(afterOverwrite).doesNotContainKeys(first, second, oldestKept);
        assertThat(afterOverwrite.get(third)).isNotNull().isEqualTo(afterOverwrite.get(takenThird));
    }

    @Test
    void aRoutingDecisionIsOnTheCoordinatorsInterruptTrackWithItsInputsAndAFlowToTheKernelThatTookIt() throws Exception {
        IrqDecision toWeak = new IrqDecision(1, IrqDecision.Rule.STRONG_ASLEEP, 1, 1, 1, false, true);
        IrqDecision toStrong = new IrqDecision(0, IrqDecision.Rule.STRONG_AWAKE, 1, 0, 1, false, false);
        assertThat(IrqDecision.unpack(toWeak.packed())).isEqualTo(toWeak);
        assertThat(IrqDecision.unpack(new IrqDecision(IrqDecision.NONE, IrqDecision.Rule.NO_KERNEL, 300, 2, 0, true, false).packed()))
            .as("counts saturate").isEqualTo(new IrqDecision(IrqDecision.NONE, IrqDecision.Rule.NO_KERNEL, 255, 2, 0, true, false));

        TraceRecord raised = record(TraceEvent.IRQ_RAISED, TraceRing.INTERRUPT_TRACK, 1, 1_000, 0);
        TraceRecord routedWeak = record(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, 1, 1_001, toWeak.packed());
        TraceRecord routedStrong = record(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, 1, 2_001, toStrong.packed());
        TraceRecord takenWeak = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 1_500, 1);
        TraceRecord takenStrong = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 2_500, 1);
        TraceRecord forwarded = record(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, 1, 1_600, 0); // from weak-1: no routing of its own
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(COORDINATOR, "coordinator", 1, List.of(raised, routedWeak, routedStrong), 0),
            new TraceRing.Snapshot(0, "strong-0", 10, List.of(forwarded, takenStrong), 0),
            new TraceRing.Snapshot(1, "weak-1", 11, List.of(takenWeak), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.irqFlows(kernels, 1);
        assertThat(flows).hasSize(4).doesNotContainKeys(raised, forwarded);
        assertThat(flows.get(routedWeak)).isEqualTo(flows.get(takenWeak));
        assertThat(flows.get(routedStrong)).isEqualTo(flows.get(takenStrong)).isNotEqualTo(flows.get(takenWeak));

        Trace trace = Trace.parseFrom(PerfettoTrace.of(kernels).toByteArray());
        List<TrackEvent> routed = events(trace).stream().filter(e -> e.getName().startsWith("irq routed")).toList();
        assertThat(routed).extracting(TrackEvent::getName).containsExactly("irq routed: irq 1 -> weak-1", "irq routed: irq 1 -> strong-0");
        assertThat(routed).allSatisfy(e -> assertThat(e.getTrackUuid()).isEqualTo(PerfettoTrace.interruptTrack(COORDINATOR)));
        assertThat(annotation(routed.get(0), "strong asleep")).contains(1L);
        assertThat(annotation(routed.get(0), "strong wake-up avoided")).contains(1L);
        assertThat(routed.get(0).getDebugAnnotationsList()).anySatisfy(a -> assertThat(a.getStringValue()).contains("strong domain sleeps"));
        List<TrackEvent> taken = events(trace).stream().filter(e -> e.getName().equals("irq") && annotation(e, "value").orElse(0L) == 1)
            .toList();
        assertThat(taken).extracting(TrackEvent::getTrackUuid).containsExactly(PerfettoTrace.interruptTrack(1), PerfettoTrace.interruptTrack(0));
        assertThat(taken.get(0).getFlowIdsList()).isEqualTo(routed.get(0).getFlowIdsList()).hasSize(1);
        assertThat(trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
            .filter(d -> d.getName().equals("interrupts")).map(TrackDescriptor::getParentUuid))
            .containsExactlyInAnyOrder(PerfettoTrace.kernelTrack(COORDINATOR), PerfettoTrace.kernelTrack(0), PerfettoTrace.kernelTrack(1));
    }

    @Test
    void eachStepCarriesItsCoresVirtualTimeAndEachCoreHasAVirtualClockCounter() throws Exception {
        List<TraceRecord> records = List.of(
            record(TraceEvent.STEP, 0, 7, 1_000, 100), record(TraceEvent.STEP_VIRTUAL_TIME, 0, 40, 1_000, 5_000),
            record(TraceEvent.STEP, 1, 8, 1_050, 100), record(TraceEvent.STEP_VIRTUAL_TIME, 1, 30, 1_050, 9_000),
            record(TraceEvent.STEP, 0, 7, 1_200, 100), record(TraceEvent.STEP_VIRTUAL_TIME, 0, 40, 1_200, 5_100),
            record(TraceEvent.STEP, 0, 7, 1_400, 10)); // its virtual time was lost: no annotation, no counter value
        Trace trace = Trace.parseFrom(PerfettoTrace.of(List.of(new TraceRing.Snapshot(0, "k", 1, records, 0))).toByteArray());

        List<TrackEvent> steps = events(trace).stream().filter(e -> e.getType() == TrackEvent.Type.TYPE_SLICE_BEGIN).toList();
        assertThat(steps).hasSize(4);
        assertThat(annotation(steps.get(0), "virtual start ns")).contains(5_000L);
        assertThat(annotation(steps.get(0), "virtual end ns")).contains(5_040L);
        assertThat(annotation(steps.get(2), "virtual start ns")).contains(5_100L);
        assertThat(annotation(steps.get(3), "virtual start ns")).isEmpty();
        assertThat(events(trace)).noneMatch(e -> e.getName().equals(TraceEvent.STEP_VIRTUAL_TIME.label()));

        List<TracePacket> counters = trace.getPacketList().stream().filter(p -> p.hasTrackEvent()
            && p.getTrackEvent().getType() == TrackEvent.Type.TYPE_COUNTER).toList();
        assertThat(counters.stream().filter(p -> p.getTrackEvent().getTrackUuid() == PerfettoTrace.virtualClockTrack(0, 0))
            .map(p -> p.getTimestamp() + "=" + p.getTrackEvent().getCounterValue())).containsExactly("1000=5000", "1100=5040", "1200=5100",
            "1300=5140");
        assertThat(counters.stream().filter(p -> p.getTrackEvent().getTrackUuid() == PerfettoTrace.virtualClockTrack(0, 1))
            .map(p -> p.getTrackEvent().getCounterValue())).containsExactly(9_000L, 9_030L);
        assertThat(trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor).map(TracePacket::getTrackDescriptor)
            .filter(TrackDescriptor::hasCounter).map(TrackDescriptor::getName)).containsExactly("core 0 virtual time", "core 1 virtual time");
    }

    @Test
    void aDsmFaultIsJoinedToTheHoldersHandOverAndToThePagesArrival() {
        TraceRecord fault = record(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, 42, 1_000, 900);
        TraceRecord sent = record(TraceEvent.DSM_GET_SENT, TraceRing.KERNEL_TRACK, 42, 1_010, 1);
        TraceRecord received = record(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, 42, 1_700, 1);
        TraceRecord usable = record(TraceEvent.DSM_PAGE_USABLE, TraceRing.KERNEL_TRACK, 42, 1_850, 850);
        TraceRecord oldHandOver = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 42, 200, 100);
        TraceRecord handOver = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 42, 1_300, 300);
        TraceRecord otherPage = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 43, 1_400, 100);
        TraceRecord fromMemory = record(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, 44, 3_000, -1);
        TraceRecord memoryFault = record(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, 44, 2_990, 50);
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(0, "requester", 1, List.of(fault, sent, received, usable, memoryFault, fromMemory), 0),
            new TraceRing.Snapshot(1, "holder", 2, List.of(oldHandOver, handOver, otherPage), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.dsmFlows(kernels, 9);
        assertThat(flows.get(fault)).isEqualTo(9L);
        assertThat(flows.get(handOver)).isEqualTo(9L);
        assertThat(flows.get(received)).isEqualTo(9L);
        assertThat(flows.get(memoryFault)).as("a page from global memory: its fault to its arrival").isEqualTo(10L);
        assertThat(flows.get(fromMemory)).isEqualTo(10L);
        assertThat(flows).hasSize(5).doesNotContainKeys(sent, usable, oldHandOver, otherPage);
    }

    @Test
    void twoInterleavedFaultsOnOnePageAreEachJoinedToTheHandOverThatAnsweredThem() {
        int holder = 1;
        // kernel 2 asked first (GET #5) and was answered first, but its arrival is recorded late (its thread was descheduled);
        // meanwhile the holder handed the page to kernel 3 (GET #7): by time alone, kernel 2's arrival would take that hand-over
        TraceRecord firstHandOver = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 42, 1_000, 100);
        TraceRecord firstTo = record(TraceEvent.DSM_HANDED_TO, TraceRing.KERNEL_TRACK, 42, 1_000, new DsmExchange(2, 5).pack());
        TraceRecord secondHandOver = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 42, 1_500, 100);
        TraceRecord secondTo = record(TraceEvent.DSM_HANDED_TO, TraceRing.KERNEL_TRACK, 42, 1_500, new DsmExchange(3, 7).pack());
        TraceRecord faultOf2 = record(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, 42, 900, 1_100);
        TraceRecord arrivalAt2 = record(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, 42, 1_900, new DsmExchange(holder, 5).pack());
        TraceRecord faultOf3 = record(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, 42, 1_050, 700);
        TraceRecord arrivalAt3 = record(TraceEvent.DSM_PAGE_RECEIVED, TraceRing.KERNEL_TRACK, 42, 1_600, new DsmExchange(holder, 7).pack());
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(holder, "holder", 1, List.of(firstHandOver, firstTo, secondHandOver, secondTo), 0),
            new TraceRing.Snapshot(2, "first", 2, List.of(faultOf2, arrivalAt2), 0),
            new TraceRing.Snapshot(3, "second", 3, List.of(faultOf3, arrivalAt3), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.dsmFlows(kernels, 1);

        assertThat(flows.get(arrivalAt2)).isNotNull().isEqualTo(flows.get(faultOf2)).isEqualTo(flows.get(firstHandOver));
        assertThat(flows.get(arrivalAt3)).isNotNull().isEqualTo(flows.get(faultOf3)).isEqualTo(flows.get(secondHandOver))
            .isNotEqualTo(flows.get(arrivalAt2));
        assertThat(flows).doesNotContainKeys(firstTo, secondTo);

        // the hand-over's slice names whom it went to and by which request; the arrival, whence and by which request
        List<TrackEvent> events = events(PerfettoTrace.of(kernels));
        TrackEvent handOver = events.stream().filter(e -> e.getName().equals("dsm hand-over") && annotation(e, "to kernel").orElse(-9L) == 3)
            .findFirst().orElseThrow();
        assertThat(annotation(handOver, "request")).contains(7L);
        assertThat(events.stream().filter(e -> e.getName().equals("dsm page received")).map(e -> annotation(e, "value").orElseThrow() + "#"
            + annotation(e, "request").orElseThrow())).containsExactlyInAnyOrder("1#5", "1#7");
        assertThat(events).noneMatch(e -> e.getName().equals("dsm handed to"));
    }

    @Test
    void aFaultWhosePageWasRecoveredFromGlobalMemoryEndsAtTheRecovery() {
        TraceRecord fault = record(TraceEvent.DSM_FAULT, TraceRing.KERNEL_TRACK, 42, 1_000, 900);
        TraceRecord sent = record(TraceEvent.DSM_GET_SENT, TraceRing.KERNEL_TRACK, 42, 1_010, 1);
        TraceRecord recovered = record(TraceEvent.DSM_PAGE_RECOVERED, TraceRing.KERNEL_TRACK, 42, 1_700, 1);
        // the gone holder's last hand-over of that page, long before: not this fault's
        TraceRecord staleHandOver = record(TraceEvent.DSM_HAND_OVER, TraceRing.KERNEL_TRACK, 42, 200, 100);
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(0, "requester", 1, List.of(fault, sent, recovered), 0),
            new TraceRing.Snapshot(1, "gone", 2, List.of(staleHandOver), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.dsmFlows(kernels, 3);

        assertThat(flows.get(fault)).isEqualTo(3L);
        assertThat(flows.get(recovered)).isEqualTo(3L);
        assertThat(flows).hasSize(2);
    }

    @Test
    void aDsmExchangePacksThePeerAndTheSequenceNumberAndReadsTheOlderPeerAlone() {
        assertThat(DsmExchange.unpack(new DsmExchange(3, 15).pack())).isEqualTo(new DsmExchange(3, 15));
        assertThat(DsmExchange.unpack(new DsmExchange(DsmExchange.GLOBAL_MEMORY, DsmExchange.NO_SEQUENCE).pack()))
            .isEqualTo(new DsmExchange(-1, -1));
        assertThat(DsmExchange.unpack(-1)).isEqualTo(new DsmExchange(-1, -1));
        assertThat(DsmExchange.unpack(2)).isEqualTo(new DsmExchange(2, -1));
    }

    @Test
    void aMigrationsArrowRunsFromItsStopThroughTheHandOverAndTheAdoptionToItsFirstStep() {
        TraceRecord stop = record(TraceEvent.MIGRATION_STOP, TraceRing.KERNEL_TRACK, 7, 1_000, 1);
        TraceRecord handOver = record(TraceEvent.MIGRATION_HAND_OVER, TraceRing.KERNEL_TRACK, 7, 1_010, 100);
        TraceRecord earlierHandOver = record(TraceEvent.MIGRATION_HAND_OVER, TraceRing.KERNEL_TRACK, 7, 500, 100);
        TraceRecord adoption = record(TraceEvent.MIGRATION_ADOPTION, TraceRing.KERNEL_TRACK, 7, 1_200, 100);
        TraceRecord otherThread = record(TraceEvent.MIGRATION_ADOPTION, TraceRing.KERNEL_TRACK, 8, 1_250, 100);
        TraceRecord first = record(TraceEvent.MIGRATION_FIRST_STEP, TraceRing.KERNEL_TRACK, 7, 1_500, 500);
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(0, "a", 1, List.of(earlierHandOver, stop, handOver), 0),
            new TraceRing.Snapshot(1, "b", 2, List.of(adoption, otherThread, first), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.migrationFlows(kernels, 3);
        assertThat(flows).hasSize(4).doesNotContainKeys(earlierHandOver, otherThread);
        assertThat(List.of(stop, handOver, adoption, first)).allSatisfy(r -> assertThat(flows.get(r)).isEqualTo(3L));
    }

    @Test
    void pagesHeldFreePagesAndEnergyAreCounterTracksOfTheirKernel() throws Exception {
        List<TraceRecord> records = List.of(
            record(TraceEvent.PAGES_HELD, TraceRing.KERNEL_TRACK, 0, 1_000, 3), record(TraceEvent.FREE_PAGES, TraceRing.KERNEL_TRACK, 0, 1_000, 500),
            record(TraceEvent.ENERGY, TraceRing.KERNEL_TRACK, 0, 1_000, 2_500), record(TraceEvent.PAGES_HELD, TraceRing.KERNEL_TRACK, 0, 2_000, 7),
            record(TraceEvent.ENERGY, TraceRing.KERNEL_TRACK, 0, 2_000, 4_000));
        Trace trace = Trace.parseFrom(PerfettoTrace.of(List.of(new TraceRing.Snapshot(2, "weak-2", 12, records, 0))).toByteArray());

        List<TrackDescriptor> counters = trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor)
            .map(TracePacket::getTrackDescriptor).filter(TrackDescriptor::hasCounter).toList();
        assertThat(counters).extracting(TrackDescriptor::getName).containsExactlyInAnyOrder("pages held", "free pages", "energy (mJ)");
        assertThat(counters).allSatisfy(d -> assertThat(d.getParentUuid()).isEqualTo(PerfettoTrace.kernelTrack(2)));
        assertThat(counters).filteredOn(d -> d.getName().startsWith("energy")).singleElement()
            .satisfies(d -> assertThat(d.getCounter().getUnitName()).isEqualTo("mJ"));
        List<TrackEvent> held = events(trace).stream()
            .filter(e -> e.getTrackUuid() == PerfettoTrace.counterTrack(2, TraceEvent.PAGES_HELD)).toList();
        assertThat(held).allSatisfy(e -> assertThat(e.getType()).isEqualTo(TrackEvent.Type.TYPE_COUNTER))
            .extracting(TrackEvent::getCounterValue).containsExactly(3L, 7L);
        assertThat(events(trace).stream().filter(e -> e.getTrackUuid() == PerfettoTrace.counterTrack(2, TraceEvent.ENERGY))
            .map(TrackEvent::getDoubleCounterValue)).as("recorded in uJ, exported in mJ").containsExactly(2.5, 4.0);
        assertThat(events(trace)).noneSatisfy(e -> assertThat(e.getName()).isIn("pages held", "free pages", "energy"));
    }
}
