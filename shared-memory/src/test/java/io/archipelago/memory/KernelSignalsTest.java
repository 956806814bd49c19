package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class KernelSignalsTest {

    @TempDir
    Path dir;

    @Test
    void signalsWrittenThroughOneMappingAreReadThroughAnotherAndAreNotCounters() {
        Path file = dir.resolve("memory.img");
        MemoryGeometry geometry = new MemoryGeometry(16L << 20, 4096, 1 << 20, 8);
        try (GlobalMemory writer = GlobalMemory.create(file, "k2", geometry, 2);
             GlobalMemory reader = GlobalMemory.attach(file, "k2")) {
            KernelCountersArea mine = writer.countersArea(1);
            mine.reset(1234, 7, 1000);
            mine.signals().asleep(true);
            mine.signals().irqWaiters(DeviceMemory.NIC_LINE, 3);
            mine.signals().irqWaiters(KernelSignals.DEVICE_LINES, 9); // no device raises it: not published

            KernelSignals theirs = reader.countersArea(1).signals();
            assertThat(theirs.asleep()).isTrue();
            assertThat(theirs.irqWaiters(DeviceMemory.NIC_LINE)).isEqualTo(3);
            assertThat(theirs.irqWaiters()).containsExactly(0, 3, 0, 0);
            assertThat(theirs.irqWaiters(KernelSignals.DEVICE_LINES)).isZero();
            assertThat(reader.countersArea(1).read()).as("signals take no counter slot").isEmpty();
            assertThat(reader.countersArea(0).signals().asleep()).as("another kernel's signals").isFalse();
            assertThat(DeviceMemory.DMA_LINE).as("every device line is published").isLessThan(KernelSignals.DEVICE_LINES);

            mine.signals().asleep(false);
            assertThat(theirs.asleep()).isFalse();
            mine.reset(5678, 8, 2000);
            assertThat(theirs.irqWaiters()).as("a new incarnation starts with no waiters").containsExactly(0, 0, 0, 0);
            assertThat(reader.countersArea(1).heartbeats()).as("the signals end before the slots and leave the header's fields").isZero();
            assertThat(reader.countersArea(1).pid()).isEqualTo(5678);
        }
    }

    @Test
    void theSignalsFitTheCountersAreaHeaderAfterTheHeartbeat() {
        assertThat(KernelSignals.ASLEEP_OFFSET).isGreaterThanOrEqualTo(KernelCountersArea.HEARTBEAT_OFFSET + Long.BYTES);
        assertThat(KernelSignals.END_OFFSET).isLessThanOrEqualTo(KernelCountersArea.HEADER_BYTES);
    }
}
