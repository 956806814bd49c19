package io.archipelago.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.trace.perfetto.Trace;
import io.archipelago.trace.perfetto.TracePacket;
import io.archipelago.trace.perfetto.TrackEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TraceRingTest {

    @TempDir
    Path dir;

    @Test
    void aReaderInAnotherMappingSeesEveryRecordWithItsFields() {
        Path file = TraceRing.fileFor(dir, 3);
        try (TraceRing writer = TraceRing.create(file, 3, "weak-3", 4242, 64); TraceRing reader = TraceRing.open(file)) {
            writer.slice(TraceEvent.STEP, 1, 17, 1_000, 250);
            writer.instant(TraceEvent.KERNEL_RUNNING, TraceRing.KERNEL_TRACK, 3, 9);
            TraceRing.Snapshot snapshot = reader.snapshot();
            assertThat(snapshot.kernelId()).isEqualTo(3);
            assertThat(snapshot.kernelName()).isEqualTo("weak-3");
            assertThat(snapshot.pid()).isEqualTo(4242);
            assertThat(snapshot.lost()).isZero();
            assertThat(snapshot.records()).hasSize(2);
            assertThat(snapshot.records().getFirst()).isEqualTo(new TraceRecord(TraceEvent.STEP, 1, 17, 1_000, 250));
            assertThat(snapshot.records().get(1).event()).isEqualTo(TraceEvent.KERNEL_RUNNING);
            assertThat(snapshot.records().get(1).track()).isEqualTo(TraceRing.KERNEL_TRACK);
        }
    }

    @Test
    void aFullRingKeepsTheNewestRecordsAndCountsTheLost() {
        try (TraceRing ring = TraceRing.create(TraceRing.fileFor(dir, 0), 0, "strong-0", 1, 16)) {
            for (int i = 0; i < 40; i++) {
                ring.slice(TraceEvent.STEP, 0, i, i * 10L, 5);
            }
            TraceRing.Snapshot snapshot = ring.snapshot();
            assertThat(snapshot.records()).extracting(TraceRecord::subject).containsExactlyElementsOf(range(24, 40));
            assertThat(snapshot.lost()).isEqualTo(24);
        }
    }

    @Test
    void aStoppedRingRecordsNothingUntilStartedAgain() {
        try (TraceRing ring = TraceRing.create(TraceRing.fileFor(dir, 0), 0, "strong-0", 1, 16)) {
            ring.recording(false);
            ring.slice(TraceEvent.STEP, 0, 1, 0, 1);
            assertThat(ring.snapshot().records()).isEmpty();
            ring.recording(true);
            ring.slice(TraceEvent.STEP, 0, 2, 0, 1);
            assertThat(ring.snapshot().records()).extracting(TraceRecord::subject).containsExactly(2);
        }
    }

    @Test
    void concurrentWritersLoseNothingThatFits() throws Exception {
        int threads = 4;
        int each = 5_000;
        try (TraceRing ring = TraceRing.create(TraceRing.fileFor(dir, 1), 1, "k", 1, 1 << 15)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int track = t;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (int i = 0; i < each; i++) {
                        ring.slice(TraceEvent.STEP, track, i, i, 1);
                    }
                }));
            }
            start.countDown();
            for (Thread writer : writers) {
                writer.join();
            }
            TraceRing.Snapshot snapshot = ring.snapshot();
            assertThat(snapshot.lost()).isZero();
            Set<Long> seen = new HashSet<>();
            for (TraceRecord record : snapshot.records()) {
                assertThat(record.timeNs()).as("a record's fields belong together").isEqualTo(record.subject());
                seen.add(((long) record.track() << 32) | record.subject());
            }
            assertThat(seen).hasSize(threads * each);
        }
    }

    @Test
    void aFileThatIsNotARingIsRefusedSayingWhatWasFound() throws Exception {
        Path file = dir.resolve("junk.ring");
        Files.write(file, new byte[4096]);
        assertThatThrownBy(() -> TraceRing.open(file)).isInstanceOf(TraceFormatException.class)
            .hasMessageContaining("is not a trace ring of version 1").hasMessageContaining("magic 0x0");
        Files.write(file, new byte[10]);
        assertThatThrownBy(() -> TraceRing.open(file)).isInstanceOf(TraceFormatException.class).hasMessageContaining("a file of 10");
    }

    @Test
    void theRingIsTheOwnersOnly() throws Exception {
        Path file = TraceRing.fileFor(dir, 5);
        try (TraceRing ring = TraceRing.create(file, 5, "k", 1, 16)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        }
    }

    @Test
    void aWordsSendAndItsDeliveryAreJoinedByAFlowAndWordsWithoutTheirOtherEndAreNot() throws Exception {
        try (TraceRing strongEvents = TraceRing.create(TraceRing.fileFor(dir, 0), 0, "strong-0", 100, 64);
             TraceRing strong = TraceRing.create(TraceRing.wordsFileFor(dir, 0), 0, "strong-0", 100, 64);
             TraceRing weak = TraceRing.create(TraceRing.fileFor(dir, 1), 1, "weak-1", 200, 64)) {
            strongEvents.instant(TraceEvent.KERNEL_RUNNING, TraceRing.KERNEL_TRACK, 0, 0);
            strong.instant(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, 0x1000_0005);     // its delivery was lost
            strong.instant(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, 0x1000_0005);     // the same word again: delivered
            weak.instant(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, 0, 0x1000_0005);
            weak.instant(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 0, 0x2000_0005);       // the answer
            strong.instant(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, 1, 0x2000_0005);
            weak.instant(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, 0, 0x3000_0000);   // its send is not in the rings
            Trace trace = Trace.parseFrom(PerfettoTrace.of(List.of(strongEvents.snapshot(), strong.snapshot(), weak.snapshot()),
                word -> "w" + Integer.toHexString(word)).toByteArray());
            assertThat(trace.getPacketList().stream().filter(p -> p.hasTrackDescriptor() && p.getTrackDescriptor().hasProcess())
                .map(p -> p.getTrackDescriptor().getProcess().getProcessName())).as("a kernel's two rings, one process")
                .containsExactly("strong-0", "weak-1");

            List<TrackEvent> words = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).map(TracePacket::getTrackEvent)
                .filter(e -> e.getName().startsWith("word")).toList();
            assertThat(words).extracting(TrackEvent::getName).containsExactly("word sent: w10000005", "word sent: w10000005",
                "word received: w10000005", "word sent: w20000005", "word received: w20000005", "word received: w30000000");
            assertThat(words.get(0).getFlowIdsList()).as("a send whose delivery is gone").isEmpty();
            assertThat(words.get(1).getFlowIdsList()).hasSize(1).isEqualTo(words.get(2).getFlowIdsList());
            assertThat(words.get(3).getFlowIdsList()).hasSize(1).isEqualTo(words.get(4).getFlowIdsList())
                .isNotEqualTo(words.get(1).getFlowIdsList());
            assertThat(words.get(5).getFlowIdsList()).as("a delivery whose send is gone").isEmpty();
        }
    }

    @Test
    void perfettoTraceHasATrackPerKernelAndCoreAndNestedSlicesInTimeOrder() throws Exception {
        try (TraceRing strong = TraceRing.create(TraceRing.fileFor(dir, 0), 0, "strong-0", 100, 64);
             TraceRing weak = TraceRing.create(TraceRing.fileFor(dir, 1), 1, "weak-1", 200, 64)) {
            strong.slice(TraceEvent.STEP, 0, 7, 1_000, 100);
            strong.slice(TraceEvent.STEP, 0, 7, 1_100, 50);
            weak.slice(TraceEvent.NIGHTWATCH_STEP, 0, 9, 1_050, 500);
            Trace trace = Trace.parseFrom(PerfettoTrace.of(List.of(strong.snapshot(), weak.snapshot())).toByteArray());

            List<String> tracks = trace.getPacketList().stream().filter(TracePacket::hasTrackDescriptor)
                .map(p -> p.getTrackDescriptor().getName()).toList();
            assertThat(tracks).containsExactly("strong-0", "core 0", "weak-1", "core 0");
            List<TracePacket> events = trace.getPacketList().stream().filter(TracePacket::hasTrackEvent).toList();
            assertThat(events).extracting(TracePacket::getTimestamp).isSorted().containsExactly(1_000L, 1_050L, 1_100L, 1_100L, 1_150L, 1_550L);
            TracePacket end = events.get(2);
            TracePacket begin = events.get(3);
            assertThat(end.getTrackEvent().getType()).as("an end and a begin at the same ns stay in order").isEqualTo(TrackEvent.Type.TYPE_SLICE_END);
            assertThat(begin.getTrackEvent().getType()).isEqualTo(TrackEvent.Type.TYPE_SLICE_BEGIN);
            assertThat(begin.getTrackEvent().getTrackUuid()).isEqualTo(PerfettoTrace.coreTrack(0, 0));
            assertThat(events.get(1).getTrackEvent().getName()).isEqualTo("nightwatch step");
            assertThat(events.get(1).getTrackEvent().getDebugAnnotations(0).getIntValue()).isEqualTo(9);
        }
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> list = new ArrayList<>();
        for (int i = from; i < to; i++) {
            list.add(i);
        }
        return list;
    }
}
