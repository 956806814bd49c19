package io.archipelago.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RoundRatiosTest {

    @Test
    void theMedianIgnoresTheRoundsABurstOfLoadFellInto() {
        RoundRatios ratios = new RoundRatios(new double[] {1.02, 0.98, 1.60, 1.01, 0.40, 1.03, 0.99});

        assertThat(ratios.median()).isEqualTo(1.01);
        assertThat(ratios.percentile(10)).isEqualTo(0.40);
        assertThat(ratios.percentile(90)).isEqualTo(1.60);
        assertThat(ratios.json().get("rounds")).hasSize(7);
        assertThat(ratios.json().get("rounds").get(2).asDouble()).isEqualTo(1.6);
    }

    @Test
    void keepsItsOwnCopyOfTheRounds() {
        double[] measured = {1.0, 2.0, 3.0};
        RoundRatios ratios = new RoundRatios(measured);
        measured[1] = 9.0;

        assertThat(ratios.median()).isEqualTo(2.0);
    }

    @Test
    void refusesNoRoundsWithAMessage() {
        assertThatThrownBy(() -> new RoundRatios(new double[0])).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("at least one round");
    }
}
