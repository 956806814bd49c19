package io.archipelago.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.trace.TraceRing;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class TimelineCountersTest {

    @TempDir
    Path dir;

    @Test
    void recordsEachGaugeWhenItChangedAtMostOncePerPeriod() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "counters", new MemoryGeometry(16L << 20, 4096, 1 << 20, 4), 1);
             TraceRing ring = TraceRing.create(dir.resolve("0.ring"), 0, "k0", 1, 64)) {
            KernelCountersArea counters = memory.countersArea(0);
            AtomicLong held = new AtomicLong(3);
            TimelineCounters timeline = new TimelineCounters(ring, counters, held::get, now::get);
            counters.counter(MemoryCounters.FREE_PAGES).set(500);
            counters.counter(KernelCounter.ENERGY_UJ).set(2_500);
            timeline.sample();
            held.set(4);
            now.addAndGet(TimelineCounters.PERIOD_MS * 1_000_000L - 1);
            timeline.sample(); // within the period: nothing
            now.addAndGet(1);
            counters.counter(KernelCounter.ENERGY_UJ).set(2_600);
            timeline.sample(); // free pages unchanged: not recorded again

            assertThat(ring.snapshot().records()).extracting(TraceRecord::event, TraceRecord::value, TraceRecord::timeNs).containsExactly(
                tuple(TraceEvent.PAGES_HELD, 3L, 1_000_000_000L),
                tuple(TraceEvent.FREE_PAGES, 500L, 1_000_000_000L),
                tuple(TraceEvent.ENERGY, 2_500L, 1_000_000_000L),
                tuple(TraceEvent.PAGES_HELD, 4L, 1_010_000_000L),
                tuple(TraceEvent.ENERGY, 2_600L, 1_010_000_000L));
        }
    }
}
