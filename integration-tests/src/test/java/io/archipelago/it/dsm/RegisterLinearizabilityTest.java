package io.archipelago.it.dsm;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.it.dsm.RegisterLinearizability.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checker itself: it accepts what is linearizable and rejects what is not. */
@Timeout(60)
class RegisterLinearizabilityTest {

    @Test
    void acceptsOverlappingOperationsThatCanBeOrdered() {
        List<Operation> history = List.of(
            new Operation(1, true, 5, 0, 10),
            new Operation(2, false, 5, 5, 15),     // overlaps the write: may see it
            new Operation(3, false, 0, 1, 3),      // overlaps the write: may see the initial value
            new Operation(2, true, 7, 20, 30),
            new Operation(1, false, 7, 31, 40));
        assertThat(RegisterLinearizability.check(history, 0)).isEmpty();
    }

    @Test
    void rejectsAStaleReadAfterACompletedWrite() {
        List<Operation> history = List.of(
            new Operation(1, true, 5, 0, 10),
            new Operation(2, false, 0, 11, 12));   // the write completed before this read began
        assertThat(RegisterLinearizability.check(history, 0)).hasValueSatisfying(why -> assertThat(why).contains("no linearization"));
    }

    @Test
    void rejectsAReadOfAValueNeverWritten() {
        List<Operation> history = List.of(new Operation(1, true, 5, 0, 10), new Operation(2, false, 6, 0, 10));
        assertThat(RegisterLinearizability.check(history, 0)).isPresent();
    }

    @Test
    void rejectsALostUpdateSeenAsReadsGoingBackInTime() {
        List<Operation> history = List.of(
            new Operation(1, true, 1, 0, 1),
            new Operation(2, true, 2, 2, 3),
            new Operation(3, false, 2, 4, 5),
            new Operation(3, false, 1, 6, 7));     // went back to an older value
        assertThat(RegisterLinearizability.check(history, 0)).isPresent();
    }

    @Test
    void handlesAThousandOperationsOfASequentiallyConsistentRun() {
        // A real register driven by 6 processes with random overlaps: linearizable by construction.
        Random random = new Random(1);
        List<Operation> history = new ArrayList<>();
        long value = 0;
        long time = 0;
        for (int i = 0; i < 1200; i++) {
            int process = random.nextInt(6);
            boolean write = random.nextBoolean();
            long invoked = time;
            time += 1 + random.nextInt(3);
            long linearizedAt = time;
            if (write) {
                value = i + 1;
            }
            time += 1 + random.nextInt(3);
            history.add(new Operation(process, write, value, invoked, time));
            assertThat(linearizedAt).isLessThan(time);
        }
        assertThat(RegisterLinearizability.check(history, 0)).isEmpty();
    }
}
