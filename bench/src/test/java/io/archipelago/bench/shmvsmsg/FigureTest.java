package io.archipelago.bench.shmvsmsg;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.archipelago.bench.LatencySummary;
import org.junit.jupiter.api.Test;

/** How a URPC figure reports the two ends' waiting: per operation, summed over the kernels' runs; absent for the other ways. */
class FigureTest {

    @Test
    void urpcWaitsAreSummedOverRunsAndReportedPerOperation() {
        Measured measured = new Measured();
        measured.addNanos(new long[] {1_000, 1_000, 1_000, 1_000});
        measured.addUrpcWaits(new Figure.UrpcWaits(1, 2, 3, 0, 4));
        measured.addUrpcWaits(new Figure.UrpcWaits(1, 0, 1, 2, 0));
        JsonNode waits = measured.figure().json().get("urpc_waits_per_op");
        assertThat(waits.get("requester_parks").asDouble()).isEqualTo(0.5);
        assertThat(waits.get("owner_parks").asDouble()).isEqualTo(0.5);
        assertThat(waits.get("doorbells_to_owner").asDouble()).isEqualTo(1.0);
        assertThat(waits.get("doorbells_to_requester").asDouble()).isEqualTo(0.5);
        assertThat(waits.get("full_waits").asDouble()).isEqualTo(1.0);
    }

    @Test
    void aFigureOfAnotherWayHasNoUrpcWaits() {
        Figure figure = new Figure(new LatencySummary(1000, 5, 7, 9, 11, 13, 6), 1, 1000, 0, 0);
        assertThat(figure.json().has("urpc_waits_per_op")).isFalse();
    }
}
