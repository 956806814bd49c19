package io.archipelago.bench.energy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SameWorkTest {

    @Test
    void smallCountsMayDifferByTwoSyncs() {
        assertThat(new SameWork(20, 18).agrees()).isTrue();
        assertThat(new SameWork(20, 17).agrees()).isFalse();
        assertThat(new SameWork(20, 17).disagreement()).contains("strong 20 syncs, nightwatch 17").contains("tolerance of 2");
    }

    @Test
    void largeCountsMayDifferByFivePercent() {
        assertThat(new SameWork(600, 570).tolerance()).isEqualTo(30);
        assertThat(new SameWork(600, 570).agrees()).isTrue();
        assertThat(new SameWork(569, 600).agrees()).isFalse();
        assertThat(new SameWork(600, 569).disagreement()).contains("differ by 31, more than the tolerance of 30");
    }

    @Test
    void aCaseWithoutWorkNeverAgrees() {
        assertThat(new SameWork(0, 0).agrees()).isFalse();
        assertThat(new SameWork(0, 1).disagreement()).contains("did no work");
        assertThat(new SameWork(5, 5).disagreement()).isEmpty();
    }

    @Test
    void energyPerSync() {
        assertThat(SameWork.microjoulesPerSync(12.5, 25)).isEqualTo(500.0);
        assertThat(SameWork.microjoulesPerSync(12.5, 0)).isZero();
    }
}
