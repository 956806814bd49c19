package io.archipelago.bench.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.bench.faults.RegisterLinearizability.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The checker itself: it accepts what is linearizable and rejects what is not, with operations that really overlap. */
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
    void acceptsTwoConcurrentWritesThatEveryReaderSeesInOneOrder() {
        // writes of 1 and 2 overlap each other and every read: either order is possible, and the readers agree on 1 then 2
        List<Operation> history = List.of(
            new Operation(1, true, 1, 0, 100),
            new Operation(2, true, 2, 0, 100),
            new Operation(3, false, 1, 10, 20), new Operation(3, false, 2, 30, 40),
            new Operation(4, false, 1, 10, 20), new Operation(4, false, 2, 30, 40));
        assertThat(RegisterLinearizability.check(history, 0)).isEmpty();
    }

    @Test
    void rejectsTwoReadersThatSeeConcurrentWritesInOppositeOrders() {
        // the same overlapping writes, but reader 3 sees 1 then 2 and reader 4 sees 2 then 1: each order alone is possible,
        // no single one explains both (both second reads follow both first reads in real time)
        List<Operation> history = List.of(
            new Operation(1, true, 1, 0, 100),
            new Operation(2, true, 2, 0, 100),
            new Operation(3, false, 1, 10, 20), new Operation(3, false, 2, 30, 40),
            new Operation(4, false, 2, 10, 20), new Operation(4, false, 1, 30, 40));
        assertThat(RegisterLinearizability.check(history, 0)).hasValueSatisfying(why -> assertThat(why).contains("no linearization"));
    }

    @Test
    void acceptsAThousandOperationsOfSixProcessesThatOverlap() {
        List<Operation> history = concurrentRun(new Random(1), 1200);
        assertThat(overlapping(history)).as("operations that overlap another one").isGreaterThan(history.size() * 3 / 4);
        assertThat(RegisterLinearizability.check(history, 0)).isEmpty();
    }

    @Test
    void rejectsOneStaleReadAmongAThousandOverlappingOperations() {
        for (long seed = 1; seed <= 5; seed++) {
            List<Operation> history = concurrentRun(new Random(seed), 1200);
            int read = staleCandidate(history);
            Operation r = history.get(read);
            // a write that completed before another write began, which itself completed before this read began
            Operation overwritten = history.stream().filter(Operation::write)
                .filter(old -> history.stream().anyMatch(w -> w.write() && old.completed() < w.invoked() && w.completed() < r.invoked()))
                .reduce((first, second) -> second).orElseThrow();
            List<Operation> stale = new ArrayList<>(history);
            stale.set(read, new Operation(r.process(), false, overwritten.value(), r.invoked(), r.completed()));
            assertThat(RegisterLinearizability.check(stale, 0)).as("seed " + seed + ": read " + r + " returning " + overwritten.value()
                + ", overwritten before it began").hasValueSatisfying(why -> assertThat(why).contains("no linearization"));
        }
    }

    @Test
    void rejectsOneReadOfAWriteThatHadNotBegunAmongAThousandOverlappingOperations() {
        List<Operation> history = concurrentRun(new Random(7), 1200);
        int read = staleCandidate(history);
        Operation r = history.get(read);
        Operation future = history.stream().filter(w -> w.write() && w.invoked() > r.completed()).findFirst().orElseThrow();
        List<Operation> fromTheFuture = new ArrayList<>(history);
        fromTheFuture.set(read, new Operation(r.process(), false, future.value(), r.invoked(), r.completed()));
        assertThat(RegisterLinearizability.check(fromTheFuture, 0)).hasValueSatisfying(why -> assertThat(why).contains("no linearization"));
    }

    /**
     * A real register used by 6 processes, each with at most one operation pending: at every tick one process, at random,
     * invokes an operation, or lets its pending one take effect on the register (its linearization point), or completes
     * it. Operations therefore overlap one another freely, and the history is linearizable by construction. Every write
     * writes a value of its own.
     */
    private static List<Operation> concurrentRun(Random random, int operations) {
        int processes = 6;
        long[] invoked = new long[processes];
        boolean[] pending = new boolean[processes];
        boolean[] takenEffect = new boolean[processes];
        boolean[] writing = new boolean[processes];
        long[] result = new long[processes];
        long register = 0;
        long nextValue = 1;
        long time = 0;
        List<Operation> history = new ArrayList<>();
        while (history.size() < operations) {
            int p = random.nextInt(processes);
            time++;
            if (!pending[p]) {
                pending[p] = true;
                takenEffect[p] = false;
                writing[p] = random.nextBoolean();
                invoked[p] = time;
            } else if (!takenEffect[p]) {
                takenEffect[p] = true;
                if (writing[p]) {
                    register = nextValue++;
                }
                result[p] = register;
            } else {
                pending[p] = false;
                history.add(new Operation(p, writing[p], result[p], invoked[p], time));
            }
        }
        return history;
    }

    private static long overlapping(List<Operation> history) {
        return history.stream().filter(a -> history.stream().anyMatch(b -> b != a && a.invoked() < b.completed() && b.invoked() < a.completed()))
            .count();
    }

    /** A read in the middle of the run that overlaps another operation. */
    private static int staleCandidate(List<Operation> history) {
        for (int i = history.size() / 2; i < history.size(); i++) {
            Operation op = history.get(i);
            if (!op.write() && history.stream().anyMatch(b -> b != op && op.invoked() < b.completed() && b.invoked() < op.completed())) {
                return i;
            }
        }
        throw new AssertionError("no overlapping read in the second half of the run");
    }
}
