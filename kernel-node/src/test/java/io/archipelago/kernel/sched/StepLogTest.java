package io.archipelago.kernel.sched;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.trace.TraceRing;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class StepLogTest {

    @TempDir
    Path dir;

    @Test
    void eachStepIsASliceOnItsCoreWithItsVirtualTimeBesideIt() {
        try (TraceRing ring = TraceRing.create(TraceRing.fileFor(dir, 0), 0, "k", 1, 64)) {
            StepLog steps = new StepLog(16, ring);
            steps.add(7, 3, false, 1, 1_000, 1_400, 50_000, 50_250, 1_000);
            steps.add(8, 3, true, 0, 2_000, 2_100, 9_000_000_000L, 9_000_000_000L + (5L << 32), 1_000); // a virtual length past 32 bits

            List<TraceRecord> records = ring.snapshot().records();
            assertThat(records).containsExactly(
                new TraceRecord(TraceEvent.STEP, 1, 7, 1_000, 400),
                new TraceRecord(TraceEvent.STEP_VIRTUAL_TIME, 1, 250, 1_000, 50_000),
                new TraceRecord(TraceEvent.NIGHTWATCH_STEP, 0, 8, 2_000, 100),
                new TraceRecord(TraceEvent.STEP_VIRTUAL_TIME, 0, (int) 0xFFFF_FFFFL, 2_000, 9_000_000_000L));
            assertThat(steps.since(0, 10).records()).extracting(StepRecord::virtualStartNs).containsExactly(50_000L, 9_000_000_000L);
        }
    }
}
