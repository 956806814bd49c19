package io.archipelago.kernel;

import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.MemoryCounters;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.util.function.LongSupplier;

/**
 * Puts the kernel's gauges on its timeline as counter tracks: the DSM pages it holds (VALID here,
 * counted by the DSM when asked), its page allocator's free pages and its energy (microjoules),
 * the last two read from the kernel's counters area, where their services publish them. Sampled by
 * a chore that runs anyway (the energy meter's publisher): so the services themselves record
 * nothing, and a reading is recorded only when it changed and at most
 * every {@value #PERIOD_MS} ms, about 100 records a second per counter on a busy kernel, a few
 * seconds' worth of the ring's 32,768 records a minute.
 */
public final class TimelineCounters {

    /** The shortest time between two records of one counter. */
    public static final int PERIOD_MS = 10;

    private static final long PERIOD_NS = PERIOD_MS * 1_000_000L;
    private static final TraceEvent[] EVENTS = {TraceEvent.PAGES_HELD, TraceEvent.FREE_PAGES, TraceEvent.ENERGY};

    private final TraceRing trace;
    private final LongSupplier nanoTime;
    private final LongSupplier[] gauges;
    private final long[] recorded = {-1, -1, -1};
    private long lastNs;
    private boolean sampled;

    /** @param pagesHeld how many DSM pages the kernel holds now */
    public TimelineCounters(TraceRing trace, KernelCountersArea counters, LongSupplier pagesHeld) {
        this(trace, counters, pagesHeld, System::nanoTime);
    }

    /** With the host clock {@code nanoTime} (a test's). */
    TimelineCounters(TraceRing trace, KernelCountersArea counters, LongSupplier pagesHeld, LongSupplier nanoTime) {
        this.trace = trace;
        this.nanoTime = nanoTime;
        KernelCountersArea.Counter freePages = counters.counter(MemoryCounters.FREE_PAGES);
        KernelCountersArea.Counter energy = counters.counter(KernelCounter.ENERGY_UJ);
        this.gauges = new LongSupplier[] {pagesHeld, freePages::get, energy::get};
    }

    /** Records the gauges that changed since they were last recorded, unless that was under {@value #PERIOD_MS} ms ago. */
    public void sample() {
        long now = nanoTime.getAsLong();
        if (sampled && now - lastNs < PERIOD_NS) {
            return;
        }
        sampled = true;
        lastNs = now;
        for (int i = 0; i < gauges.length; i++) {
            long value = gauges[i].getAsLong();
            if (value != recorded[i]) {
                recorded[i] = value;
                trace.instantAt(EVENTS[i], TraceRing.KERNEL_TRACK, 0, now, value);
            }
        }
    }
}
