package io.archipelago.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TimelineEventTest {

    @TempDir
    Path dir;

    @Test
    void whatTheRingRecordsAFlightRecordingSeesToo() throws Exception {
        Path jfr = dir.resolve("k.jfr");
        try (TraceRing ring = TraceRing.create(TraceRing.fileFor(dir, 3), 3, "strong-3", 100, 64)) {
            ring.instant(TraceEvent.IRQ, TraceRing.KERNEL_TRACK, 5, 1); // before the recording: not in it
            try (Recording recording = new Recording()) {
                recording.enable("archipelago.Timeline");
                recording.start();
                ring.slice(TraceEvent.STEP, 1, 42, 1_000, 250);
                ring.instant(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, 1, 0x1000_0005);
                recording.stop();
                recording.dump(jfr);
            }
            ring.instant(TraceEvent.IRQ, TraceRing.KERNEL_TRACK, 6, 1); // after it: not in it either
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr).stream()
            .filter(e -> e.getEventType().getName().equals("archipelago.Timeline")).toList();
        assertThat(events).hasSize(2);
        RecordedEvent step = events.stream().filter(e -> e.getString("event").equals("step")).findFirst().orElseThrow();
        assertThat(step.getInt("kernel")).isEqualTo(3);
        assertThat(step.getInt("track")).isEqualTo(1);
        assertThat(step.getInt("subject")).isEqualTo(42);
        assertThat(step.getLong("startNs")).isEqualTo(1_000);
        assertThat(step.getLong("durationNs")).isEqualTo(250);
        RecordedEvent word = events.stream().filter(e -> e.getString("event").equals("word sent")).findFirst().orElseThrow();
        assertThat(word.getInt("track")).as("the kernel's own track").isEqualTo(-1);
        assertThat(word.getLong("value")).isEqualTo(0x1000_0005);
        assertThat(word.getLong("durationNs")).isZero();
    }
}
