package io.archipelago.interconnect.mailbox;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * Faults injected on purpose into the words a member receives on its links: each word from a
 * peer with a rule is dropped, delayed, duplicated or held back to come after the peer's next word
 * (reordered), at the rule's rates. Applied where a word arrives, before it completes a request or
 * raises an interrupt, so it covers both carriers (socket and ring) and every way a peer sends; a
 * fault "on the link A to B" is a rule on B for words from A. Draws come from one random sequence
 * seeded by the caller and consumed on the interrupt context only, so the same words in the same
 * order meet the same faults. A "cut" is a rule that drops every word.
 */
public final class LinkFaults {

    /** Every peer: the rule {@link #setAll} sets. */
    public static final int ALL_PEERS = -1;
    /** How long a word held back for reordering waits for the peer's next word before it is delivered anyway. */
    private static final long REORDER_WINDOW_MS = 50;

    /**
     * What happens to words from a peer: each is dropped with probability {@code drop}, else held back behind the next
     * one with {@code reorder}, else delivered {@code delayMs} late (when positive), and then delivered twice with
     * {@code duplicate}.
     */
    public record Rule(double drop, double duplicate, double reorder, long delayMs) {
        public Rule {
            check("drop", drop);
            check("duplicate", duplicate);
            check("reorder", reorder);
            if (delayMs < 0 || delayMs > 60_000) {
                throw new IllegalArgumentException("link fault delay: expected 0 to 60000 ms, found " + delayMs);
            }
        }

        /** A rule that drops every word: the link is cut (in this direction). */
        public static Rule cut() {
            return new Rule(1, 0, 0, 0);
        }

        public boolean none() {
            return drop == 0 && duplicate == 0 && reorder == 0 && delayMs == 0;
        }

        private static void check(String what, double rate) {
            if (!(rate >= 0 && rate <= 1)) {
                throw new IllegalArgumentException("link fault " + what + " rate: expected 0 to 1, found " + rate);
            }
        }

        @Override
        public String toString() {
            return drop == 1 ? "cut" : "drop " + drop + ", duplicate " + duplicate + ", reorder " + reorder + ", delay " + delayMs + " ms";
        }
    }

    /** Words met by each kind of fault so far. */
    public record Injected(long dropped, long duplicated, long reordered, long delayed) {
        public long total() {
            return dropped + duplicated + reordered + delayed;
        }
    }

    private final Map<Integer, Rule> rules = new ConcurrentHashMap<>();
    private volatile Rule all;
    private volatile SplittableRandom random = new SplittableRandom(0);
    private volatile long seed;
    /** Per peer, a word held back (interrupt context only), or absent. */
    private final Map<Integer, Integer> held = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private final AtomicLong reordered = new AtomicLong();
    private final AtomicLong delayed = new AtomicLong();

    /** Restarts the random sequence the faults are drawn from. */
    public void seed(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    public long seedValue() {
        return seed;
    }

    /** Sets the rule for words from {@code peer} (a rule with no fault removes it). */
    public void set(int peer, Rule rule) {
        if (rule.none()) {
            rules.remove(peer);
        } else {
            rules.put(peer, rule);
        }
    }

    /** Sets the rule for words from every peer without a rule of its own (null or a rule with no fault: none). */
    public void setAll(Rule rule) {
        all = rule == null || rule.none() ? null : rule;
    }

    /** Removes every rule; words held back are delivered with the next word from their peer, or within 50 ms. */
    public void clear() {
        rules.clear();
        all = null;
    }

    /** The rules in force, by peer ({@link #ALL_PEERS} for the rule of every other peer). */
    public Map<Integer, Rule> rules() {
        Map<Integer, Rule> now = new TreeMap<>(rules);
        Rule every = all;
        if (every != null) {
            now.put(ALL_PEERS, every);
        }
        return now;
    }

    public Injected injected() {
        return new Injected(dropped.get(), duplicated.get(), reordered.get(), delayed.get());
    }

    /** Whether words from {@code peer} meet any fault now (or one is held back). Cheap: the mailbox asks it per word. */
    public boolean active(int peer) {
        if (all == null && rules.isEmpty() && held.isEmpty()) {
            return false;
        }
        return all != null || rules.containsKey(peer) || held.containsKey(peer);
    }

    /**
     * (interrupt context) Applies the rule for {@code peer} to a word that arrived from it: {@code deliver} is called
     * zero, one or two times, now or later on {@code loop} (the interrupt context's executor).
     */
    public void apply(int peer, int word, IntConsumer deliver, ScheduledExecutorService loop) {
        Rule rule = rules.getOrDefault(peer, all);
        Integer before = held.remove(peer);
        if (rule == null) {
            deliver.accept(word);
            if (before != null) {
                deliver.accept(before);
            }
            return;
        }
        SplittableRandom draws = random;
        if (draws.nextDouble() < rule.drop()) {
            dropped.incrementAndGet();
        } else if (before == null && draws.nextDouble() < rule.reorder()) {
            reordered.incrementAndGet();
            held.put(peer, word);
            loop.schedule(() -> {
                Integer late = held.remove(peer);
                if (late != null) {
                    deliver.accept(late);
                }
            }, REORDER_WINDOW_MS, TimeUnit.MILLISECONDS);
        } else {
            boolean twice = draws.nextDouble() < rule.duplicate();
            if (twice) {
                duplicated.incrementAndGet();
            }
            if (rule.delayMs() > 0) {
                delayed.incrementAndGet();
                loop.schedule(() -> {
                    deliver.accept(word);
                    if (twice) {
                        deliver.accept(word);
                    }
                }, rule.delayMs(), TimeUnit.MILLISECONDS);
            } else {
                deliver.accept(word);
                if (twice) {
                    deliver.accept(word);
                }
            }
        }
        if (before != null) {
            deliver.accept(before); // the word held back comes after this one: the two are swapped
        }
    }
}
