package io.archipelago.directory;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.directory.proto.Island;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class DomainsTest {

    @Test
    void aDeadOrBootingStrongKernelKeepsTheWeakOneWeak() {
        KernelRecord weak = record(1, 0.25, KernelState.RUNNING);
        for (KernelState strongState : new KernelState[] {KernelState.BOOTING, KernelState.DEAD, KernelState.RUNNING}) {
            double strong = Domains.strongSpeed(List.of(record(0, 1.0, strongState), weak));
            assertThat(strong).as(strongState.name()).isEqualTo(1.0);
            assertThat(Domains.weak(weak, strong)).as(strongState.name()).isTrue();
        }
    }

    @Test
    void oneIslandHasNoWeakKernelAndNoKernelsNoStrongDomain() {
        KernelRecord a = record(0, 1.0, KernelState.RUNNING);
        KernelRecord b = record(1, 1.0, KernelState.RUNNING);
        double strong = Domains.strongSpeed(List.of(a, b));
        assertThat(Domains.weak(a, strong)).isFalse();
        assertThat(Domains.weak(b, strong)).isFalse();
        assertThat(Domains.strongSpeed(List.of())).isZero();
    }

    private static KernelRecord record(int id, double speed, KernelState state) {
        return KernelRecord.newBuilder().setKernelId(id).setState(state).setIsland(Island.newBuilder().setSpeed(speed)).build();
    }
}
