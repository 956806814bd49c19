package io.archipelago.bench.faults;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that a history of reads and writes of one register is linearizable (Wing and Gong's
 * search, with Lowe's memoisation of visited states): there is a total order of the operations,
 * consistent with real time (an operation that completed before another was invoked comes first),
 * in which every read returns the value of the latest write before it (or the initial value).
 */
public final class RegisterLinearizability {

    /** One operation: {@code value} is the value written, or the value the read returned. */
    public record Operation(int process, boolean write, long value, long invoked, long completed) {
    }

    private RegisterLinearizability() {
    }

    /**
     * @return empty when linearizable, otherwise why not (the point where every order failed)
     */
    public static Optional<String> check(List<Operation> history, long initialValue) {
        List<Operation> ops = new ArrayList<>(history);
        ops.sort(Comparator.comparingLong(Operation::invoked));
        int n = ops.size();
        for (Operation op : ops) {
            if (op.completed() < op.invoked()) {
                return Optional.of("operation " + op + " completed before it was invoked");
            }
        }
        record State(BitSet done, long value) {
        }
        Set<State> seen = new HashSet<>();
        Deque<State> stack = new ArrayDeque<>();
        stack.push(new State(new BitSet(n), initialValue));
        int deepest = 0;
        State deepestState = stack.peek();
        while (!stack.isEmpty()) {
            State state = stack.pop();
            int doneCount = state.done().cardinality();
            if (doneCount == n) {
                return Optional.empty();
            }
            if (!seen.add(state)) {
                continue;
            }
            if (doneCount > deepest) {
                deepest = doneCount;
                deepestState = state;
            }
            // Candidates: operations not yet placed that were invoked before every pending operation completed.
            long horizon = Long.MAX_VALUE;
            for (int i = state.done().nextClearBit(0); i < n; i = state.done().nextClearBit(i + 1)) {
                horizon = Math.min(horizon, ops.get(i).completed());
            }
            for (int i = state.done().nextClearBit(0); i < n; i = state.done().nextClearBit(i + 1)) {
                Operation op = ops.get(i);
                if (op.invoked() > horizon) {
                    break; // sorted by invocation: none after this one can come next
                }
                if (!op.write() && op.value() != state.value()) {
                    continue;
                }
                BitSet next = (BitSet) state.done().clone();
                next.set(i);
                stack.push(new State(next, op.write() ? op.value() : state.value()));
            }
        }
        StringBuilder why = new StringBuilder("no linearization: at most " + deepest + " of " + n
            + " operations could be ordered; the register then held " + deepestState.value() + " and the next candidates were:");
        int shown = 0;
        for (int i = deepestState.done().nextClearBit(0); i < n && shown < 5; i = deepestState.done().nextClearBit(i + 1), shown++) {
            why.append("\n  ").append(ops.get(i));
        }
        return Optional.of(why.toString());
    }
}
