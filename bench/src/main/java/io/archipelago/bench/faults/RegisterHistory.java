package io.archipelago.bench.faults;

import io.archipelago.bench.faults.RegisterLinearizability.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The history of a DSM register workload under faults, ready for {@link RegisterLinearizability}.
 * <p>
 * A thread of the workload records an operation only once it completed; when one fails (the page
 * could not be obtained in time) the thread stops there, and a failed write may or may not have
 * taken effect. Such a write is added as <em>pending</em> (invoked when the thread's previous
 * operation completed, never completed) when, and only when, some read returned its value: the
 * checker may then place it anywhere after its invocation. A value read that no write, recorded or
 * failed, can explain stays unexplained and fails the check.
 * <p>
 * Values are those of the kernels' register workload: {@code (kernel + 1) << 40 | thread << 24 | seq + 1},
 * and the process of an operation is {@code kernel * 1000 + thread}.
 */
public final class RegisterHistory {

    private final List<Operation> operations = new ArrayList<>();
    private final Set<Integer> failedKernels = new HashSet<>();

    /** Adds the operations one kernel's workload completed; {@code failed}: one of its threads stopped at an error. */
    public void add(int kernel, List<Operation> completed, boolean failed) {
        operations.addAll(completed);
        if (failed) {
            failedKernels.add(kernel);
        }
    }

    public int size() {
        return operations.size();
    }

    public boolean hasWrites() {
        return operations.stream().anyMatch(Operation::write);
    }

    /** The history with the pending writes the reads imply. */
    public List<Operation> withPendingWrites() {
        Set<Long> written = new HashSet<>();
        Map<Integer, Integer> countByProcess = new HashMap<>();
        Map<Integer, Long> lastCompleted = new HashMap<>();
        long firstInvoked = Long.MAX_VALUE;
        for (Operation op : operations) {
            if (op.write()) {
                written.add(op.value());
            }
            countByProcess.merge(op.process(), 1, Integer::sum);
            lastCompleted.merge(op.process(), op.completed(), Math::max);
            firstInvoked = Math.min(firstInvoked, op.invoked());
        }
        List<Operation> all = new ArrayList<>(operations);
        Set<Long> pending = new HashSet<>();
        for (Operation op : operations) {
            if (op.write() || written.contains(op.value()) || pending.contains(op.value()) || op.value() == 0) {
                continue;
            }
            long value = op.value();
            int kernel = (int) (value >>> 40) - 1;
            int thread = (int) ((value >>> 24) & 0xFFFF);
            int seq = (int) (value & 0xFFFFFF);
            int process = kernel * 1000 + thread;
            // the failed operation is the one after the last its thread recorded
            if (failedKernels.contains(kernel) && countByProcess.getOrDefault(process, 0) == seq - 1) {
                long invoked = lastCompleted.getOrDefault(process, firstInvoked);
                all.add(new Operation(process, true, value, invoked, Long.MAX_VALUE));
                pending.add(value);
            }
        }
        return all;
    }

    /** Empty when linearizable; otherwise why not. */
    public Optional<String> check(long initialValue) {
        return RegisterLinearizability.check(withPendingWrites(), initialValue);
    }
}
