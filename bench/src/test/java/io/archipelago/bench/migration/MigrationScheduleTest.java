package io.archipelago.bench.migration;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.bench.migration.MigrationSchedule.Direction;
import io.archipelago.bench.migration.MigrationSchedule.Mode;
import io.archipelago.bench.migration.MigrationSchedule.Move;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MigrationScheduleTest {

    @Test
    void directionsAlternateFromKernelAAndTheBlockEndsWhereItStarted() {
        List<Move> block = MigrationSchedule.block();
        for (int i = 0; i < block.size(); i++) {
            assertThat(block.get(i).direction()).as("move %d", i).isEqualTo(i % 2 == 0 ? Direction.A_TO_B : Direction.B_TO_A);
        }
        assertThat(block.getLast().direction()).isEqualTo(Direction.B_TO_A);
    }

    @Test
    void eachModeGoesEachWayEquallyOften() {
        Map<String, Integer> counts = new HashMap<>();
        for (Move move : MigrationSchedule.block()) {
            if (move.measured()) {
                counts.merge(move.mode() + " " + move.direction(), 1, Integer::sum);
            }
        }
        assertThat(counts).hasSize(4).allSatisfy((kind, n) -> assertThat(n).as(kind).isEqualTo(MigrationSchedule.PER_MODE_PER_BLOCK / 2));
    }

    @Test
    void eachMeasuredKindFollowsEachModeOnce() {
        List<Move> block = MigrationSchedule.block();
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 1; i < block.size(); i++) {
            if (block.get(i).measured()) {
                counts.merge(block.get(i).mode() + " " + block.get(i).direction() + " after " + block.get(i - 1).mode(), 1, Integer::sum);
            }
        }
        assertThat(counts).hasSize(8).allSatisfy((kind, n) -> assertThat(n).as(kind).isEqualTo(1));
        // the first measured move follows the priming one the way it follows the block's last move when blocks repeat
        assertThat(block.get(1).mode()).isEqualTo(block.getLast().mode());
        assertThat(block.stream().filter(m -> !m.measured()).count()).isEqualTo(2);
        assertThat(block.get(0).measured()).isFalse();
        assertThat(block.get(0).mode()).isEqualTo(Mode.MESSAGES);
    }

    @Test
    void blocksCoverTheAskedCountAndSizesRotate() {
        assertThat(MigrationSchedule.blocksFor(40)).isEqualTo(10);
        assertThat(MigrationSchedule.blocksFor(41)).isEqualTo(11);
        assertThat(MigrationSchedule.blocksFor(1)).isEqualTo(1);
        assertThat(MigrationSchedule.blocksFor(0)).isZero();
        assertThat(MigrationSchedule.sizeOrder(0, 3)).containsExactly(0, 1, 2);
        assertThat(MigrationSchedule.sizeOrder(1, 3)).containsExactly(1, 2, 0);
        assertThat(MigrationSchedule.sizeOrder(5, 3)).containsExactly(2, 0, 1);
    }
}
