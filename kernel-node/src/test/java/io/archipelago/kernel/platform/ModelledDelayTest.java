package io.archipelago.kernel.platform;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ModelledDelayTest {

    @Test
    void aCostIsNeverPaidShort() {
        for (long nanos : new long[] {1_000, 4_000, 200_000, 3_000_000}) {
            long start = System.nanoTime();
            ModelledDelay.pay(nanos);
            assertThat(System.nanoTime() - start).as(nanos + " ns").isGreaterThanOrEqualTo(nanos);
        }
    }

    @Test
    void aCostAlreadyPaidByTheHostAddsNothing() {
        long since = System.nanoTime() - 10_000_000;
        long start = System.nanoTime();
        ModelledDelay.until(since, 1_000_000);
        // returns at once: the wait began 10 ms ago; the bound only rules out a wait of the whole cost again
        assertThat(System.nanoTime() - start).isLessThan(1_000_000);
        ModelledDelay.pay(0);
    }
}
