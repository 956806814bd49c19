package io.archipelago.interconnect.mailbox;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a mailbox counts what it does: words sent and received per type, drops, full-FIFO
 * waits, authentication failures... A kernel implements it over its counters area in global
 * memory (so {@code archipelago status} shows the counts without asking the kernel); tests use
 * {@link #inMemory()}.
 * <p>
 * Labels: {@code mailbox.sent.<TYPE>}, {@code mailbox.received.<TYPE>}, {@code mailbox.drops},
 * {@code mailbox.fifo_full_waits}, {@code mailbox.auth_failures}... (see {@link MailboxCounter}). A counter is asked for
 * once and then updated from any thread.
 */
@FunctionalInterface
public interface MailboxCounters {

    Counter counter(String label);

    /** A 64-bit counter updated atomically from any thread. */
    interface Counter {
        void add(long delta);

        default void increment() {
            add(1);
        }

        long get();
    }

    /** Counters in this process's heap, with a snapshot for tests and tools. */
    static InMemory inMemory() {
        return new InMemory();
    }

    /** Counters held in {@link AtomicLong}s. */
    final class InMemory implements MailboxCounters {
        private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

        @Override
        public Counter counter(String label) {
            AtomicLong value = values.computeIfAbsent(label, l -> new AtomicLong());
            return new Counter() {
                @Override
                public void add(long delta) {
                    value.addAndGet(delta);
                }

                @Override
                public long get() {
                    return value.get();
                }
            };
        }

        /** The value of a label, 0 when it was never counted. */
        public long get(String label) {
            AtomicLong value = values.get(label);
            return value == null ? 0 : value.get();
        }

        public Map<String, Long> snapshot() {
            Map<String, Long> snapshot = new TreeMap<>();
            values.forEach((label, value) -> snapshot.put(label, value.get()));
            return snapshot;
        }

        @Override
        public String toString() {
            return snapshot().toString();
        }
    }
}
