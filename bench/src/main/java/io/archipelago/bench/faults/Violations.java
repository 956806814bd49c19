package io.archipelago.bench.faults;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invariants a fault campaign checks, and what broke each. Every invariant is listed, with 0
 * when it held, so that a report always says what was checked.
 */
public final class Violations {

    /** One invariant: its name in the JSON report and what it promises. */
    public enum Invariant {
        /** Every increment a kernel acknowledged is in the counter at the end, and none was applied twice. */
        NO_ACKNOWLEDGED_UPDATE_LOST("no_acknowledged_update_lost"),
        /** The register's history of reads and writes is linearizable. */
        REGISTER_LINEARIZABLE("register_linearizable"),
        /** No block is in two kernels' allocators, nor in one the ownership table does not name (nor owned by a dead kernel). */
        NO_BLOCK_OWNED_TWICE("no_block_owned_twice"),
        /** Every thread started is alive on a live kernel or EXITED with a known code, and none stays marked migrating. */
        NO_THREAD_LOST("no_thread_lost"),
        /** Every wait (a workload, a migration, a restart, a round trip after a heal) ended within its deadline. */
        WAITS_WITHIN_DEADLINE("waits_within_deadline"),
        /** A kernel declared DEAD does not keep running: its process is gone within the deadline. */
        DEAD_KERNELS_FENCED("dead_kernels_fenced");

        private final String label;

        Invariant(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Map<Invariant, List<String>> found = new LinkedHashMap<>();

    public Violations() {
        for (Invariant invariant : Invariant.values()) {
            found.put(invariant, new ArrayList<>());
        }
    }

    /** Records that {@code invariant} broke, and how (one sentence naming the round, the kernel, what was expected and found). */
    public void add(Invariant invariant, String what) {
        found.get(invariant).add(what);
    }

    public void addAll(Invariant invariant, List<String> what) {
        what.forEach(w -> add(invariant, w));
    }

    public int total() {
        return found.values().stream().mapToInt(List::size).sum();
    }

    /** Violations by invariant label, every invariant listed. */
    public Map<String, Integer> counts() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        found.forEach((invariant, list) -> counts.put(invariant.label(), list.size()));
        return counts;
    }

    /** Every violation as {@code invariant: what}, in the order found within each invariant. */
    public List<String> described() {
        List<String> all = new ArrayList<>();
        found.forEach((invariant, list) -> list.forEach(w -> all.add(invariant.label() + ": " + w)));
        return Collections.unmodifiableList(all);
    }
}
