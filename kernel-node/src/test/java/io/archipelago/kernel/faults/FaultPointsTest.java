package io.archipelago.kernel.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.kernel.faults.FaultPoints.Action;
import io.archipelago.kernel.faults.FaultPoints.Fault;
import io.archipelago.kernel.faults.FaultPoints.Point;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class FaultPointsTest {

    @Test
    void pointsActionsAndDelaysParse() {
        assertThat(FaultPoints.parse(" migration.marked=crash@3000 , dsm.before-write-back=stop")).isEqualTo(Map.of(
            Point.MIGRATION_MARKED, new Fault(Action.CRASH, 3000), Point.DSM_BEFORE_WRITE_BACK, new Fault(Action.STOP, 0)));
        assertThat(FaultPoints.parse("")).isEmpty();
    }

    @Test
    void badInputIsOneClearError() {
        assertThatThrownBy(() -> FaultPoints.parse("dsm.nowhere=crash")).hasMessageContaining("no fault point 'dsm.nowhere'")
            .hasMessageContaining("migration.marked");
        assertThatThrownBy(() -> FaultPoints.parse("migration.marked=explode")).hasMessageContaining("expected action crash or stop")
            .hasMessageContaining("'explode'");
        assertThatThrownBy(() -> FaultPoints.parse("migration.marked=crash@-1")).hasMessageContaining("a delay >= 0");
        assertThatThrownBy(() -> FaultPoints.parse("migration.marked")).hasMessageContaining("expected point=action");
    }

    @Test
    void aPointNotArmedDoesNothing() {
        FaultPoints.reached(Point.BALLOON_MID_INFLATE); // returns: this JVM has no fault armed
        assertThat(FaultPoints.armed()).doesNotContainKey("balloon.mid-inflate");
    }
}
