package io.archipelago.kernel.mailbox;

import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.memory.KernelCountersArea;

/**
 * The interconnect's counters (the mailbox's, the URPC channels') in the kernel's counters area
 * of global memory, so that {@code archipelago status} shows them live without asking the kernel.
 */
public final class CountersAreaSink implements MailboxCounters {

    private final KernelCountersArea area;

    public CountersAreaSink(KernelCountersArea area) {
        this.area = area;
    }

    @Override
    public Counter counter(String label) {
        KernelCountersArea.Counter counter = area.counter(label);
        return new Counter() {
            @Override
            public void add(long delta) {
                counter.add(delta);
            }

            @Override
            public long get() {
                return counter.get();
            }
        };
    }
}
