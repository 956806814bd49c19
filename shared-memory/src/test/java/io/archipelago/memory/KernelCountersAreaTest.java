package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class KernelCountersAreaTest {

    @TempDir
    Path dir;

    @Test
    void countersWrittenThroughOneMappingAreReadThroughAnother() {
        Path file = dir.resolve("memory.img");
        MemoryGeometry geometry = new MemoryGeometry(16L << 20, 4096, 1 << 20, 8);
        try (GlobalMemory writer = GlobalMemory.create(file, "k2", geometry, 2);
             GlobalMemory reader = GlobalMemory.attach(file, "k2")) {
            KernelCountersArea mine = writer.countersArea(3);
            mine.reset(1234, 99, 1000);
            KernelCountersArea.Counter sent = mine.counter("mailbox.sent.PING");
            sent.increment();
            sent.add(4);
            assertThat(mine.counter("mailbox.sent.PING").get()).as("same label, same counter").isEqualTo(5);
            mine.beat();
            mine.beat();

            KernelCountersArea theirs = reader.countersArea(3);
            assertThat(theirs.inUse()).isTrue();
            assertThat(theirs.pid()).isEqualTo(1234);
            assertThat(theirs.incarnation()).isEqualTo(99);
            assertThat(theirs.heartbeats()).isEqualTo(2);
            assertThat(theirs.read()).containsExactly(new KernelCountersArea.CounterValue("mailbox.sent.PING", 5));
            assertThat(reader.countersArea(2).inUse()).isFalse();

            mine.reset(5678, 100, 3000);
            assertThat(theirs.read()).as("a new incarnation starts with no counters").isEmpty();
        }
    }

    @Test
    void labelsAreBoundedAndSlotsRunOutClearly() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 1)) {
            KernelCountersArea area = memory.countersArea(0);
            area.reset(1, 1, 1);
            assertThatThrownBy(() -> area.counter("x".repeat(49))).hasMessageContaining("1 to 48");
            for (int i = 0; i < KernelCountersArea.SLOTS; i++) {
                area.counter("c" + i);
            }
            assertThatThrownBy(() -> area.counter("one-too-many")).hasMessageContaining("no free counter slot");
            assertThatThrownBy(() -> memory.countersArea(8)).hasMessageContaining("outside 0..7");
        }
    }
}
