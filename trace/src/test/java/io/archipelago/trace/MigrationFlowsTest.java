package io.archipelago.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MigrationFlowsTest {

    private static TraceRecord stop(int tid, long timeNs, int destination) {
        return new TraceRecord(TraceEvent.MIGRATION_STOP, TraceRing.KERNEL_TRACK, tid, timeNs, destination);
    }

    private static TraceRecord firstStep(int tid, long timeNs, long sinceStop) {
        return new TraceRecord(TraceEvent.MIGRATION_FIRST_STEP, TraceRing.KERNEL_TRACK, tid, timeNs, sinceStop);
    }

    @Test
    void aFirstStepIsJoinedToTheLatestStopOfItsThreadTowardsItsKernel() {
        TraceRecord oldStop = stop(7, 100, 1);
        TraceRecord stop = stop(7, 1_000, 1);
        TraceRecord otherThread = stop(8, 1_100, 1);
        TraceRecord elsewhere = stop(7, 1_200, 2); // towards another kernel
        TraceRecord first = firstStep(7, 3_000, 2_000);
        TraceRecord unmatched = firstStep(9, 3_500, 10);
        List<TraceRing.Snapshot> kernels = List.of(
            new TraceRing.Snapshot(0, "a", 10, List.of(oldStop, stop, otherThread, elsewhere), 0),
            new TraceRing.Snapshot(1, "b", 11, List.of(first, unmatched), 0));

        Map<TraceRecord, Long> flows = PerfettoTrace.migrationFlows(kernels, 5);

        assertThat(flows).hasSize(2);
        assertThat(flows.get(stop)).isEqualTo(5L);
        assertThat(flows.get(first)).isEqualTo(5L);
        assertThat(flows).doesNotContainKeys(oldStop, otherThread, elsewhere, unmatched);
    }
}
