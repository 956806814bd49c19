package io.archipelago.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class GrowthTest {

    private static final List<Integer> N = List.of(2, 4, 8, 16);

    @Test
    void aConstantIsFlat() {
        Growth growth = Growth.of(N, List.of(5.0, 5.2, 4.9, 5.1));
        assertThat(growth.name()).isEqualTo("flat");
        assertThat(growth.exponent()).isCloseTo(0, within(0.05));
    }

    @Test
    void proportionalToNIsLinear() {
        Growth growth = Growth.of(N, List.of(2.0, 4.0, 8.0, 16.0));
        assertThat(growth.name()).isEqualTo("linear");
        assertThat(growth.exponent()).isCloseTo(1, within(1e-9));
    }

    @Test
    void allPairsIsQuadratic() {
        assertThat(Growth.of(N, List.of(2.0, 12.0, 56.0, 240.0)).name()).isEqualTo("quadratic");
    }

    @Test
    void aFigureThatShrinksIsFalling() {
        assertThat(Growth.of(N, List.of(16.0, 8.0, 4.0, 2.0)).name()).isEqualTo("falling");
    }

    @Test
    void oneNOrZeroFiguresCannotBeNamed() {
        assertThat(Growth.of(List.of(4), List.of(3.0)).name()).isEqualTo("unknown");
        assertThat(Growth.of(List.of(2, 4), List.of(0.0, 0.0)).name()).isEqualTo("unknown");
    }
}
