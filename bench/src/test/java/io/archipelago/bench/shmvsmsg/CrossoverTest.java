package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrossoverTest {

    private static ContentionRow row(int kernels, int threads, double shmOps, double msgOps) {
        return new ContentionRow("update_struct", "same", kernels, threads, Map.of(
            ShmVsMsgReport.SHM, Fixtures.throughput(50, shmOps), ShmVsMsgReport.MSG, Fixtures.throughput(20_000, msgOps)));
    }

    @Test
    void messagesOvertakeWhereTheirThroughputFirstReachesTheOthers() {
        List<Crossover> found = Crossover.find(List.of(row(1, 1, 10_000, 1_000), row(1, 2, 4_000, 1_000), row(2, 1, 2_000, 1_000),
            row(2, 2, 800, 1_000)));
        assertThat(found).hasSize(1);
        Crossover crossover = found.getFirst();
        assertThat(crossover.versus()).isEqualTo("shm");
        assertThat(crossover.crosses()).isTrue();
        assertThat(crossover.crossingAt()).isEqualTo("2x2");
        assertThat(crossover.firstAdvantage()).isEqualTo(10.0);
        assertThat(crossover.lastAdvantage()).isEqualTo(0.8);
        assertThat(crossover.summary()).contains("overtake").contains("2 x 2");
    }

    @Test
    void pointsAreOrderedByTotalThreadsWhateverTheOrderMeasured() {
        List<Crossover> found = Crossover.find(List.of(row(2, 2, 800, 1_000), row(1, 1, 10_000, 1_000), row(1, 2, 4_000, 1_000)));
        assertThat(found.getFirst().crossingAt()).isEqualTo("2x2");
        assertThat(found.getFirst().firstAdvantage()).isEqualTo(10.0);
    }

    @Test
    void noCrossingWhenSharedMemoryStaysAheadAndNoneWhenMessagesLeadFromTheStart() {
        Crossover never = Crossover.find(List.of(row(1, 1, 10_000, 1_000), row(2, 2, 5_000, 1_000))).getFirst();
        assertThat(never.crosses()).isFalse();
        assertThat(never.summary()).startsWith("no crossing");
        Crossover ahead = Crossover.find(List.of(row(1, 1, 500, 1_000), row(2, 2, 400, 1_000))).getFirst();
        assertThat(ahead.crosses()).isFalse();
        assertThat(ahead.summary()).startsWith("messages ahead");
    }

    @Test
    void eachSeriesAndSharedWayIsJudgedApart() {
        assertThat(Crossover.find(Fixtures.report().contention())).hasSize(4)
            .extracting(c -> c.objects() + "/" + c.versus() + "/" + c.crossingAt())
            .containsExactly("same/shm/2x2", "same/dsm/null", "disjoint/shm/null", "disjoint/dsm/null");
    }
}
