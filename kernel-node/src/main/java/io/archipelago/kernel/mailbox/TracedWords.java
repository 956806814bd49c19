package io.archipelago.kernel.mailbox;

import io.archipelago.interconnect.mailbox.WordObserver;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;

/**
 * Puts every mailbox word this kernel sends or receives on the cluster's timeline, on the kernel's
 * own track, stamped with the clock reading the mailbox hands over (it reads no clock itself).
 */
final class TracedWords implements WordObserver {

    private final TraceRing trace;

    TracedWords(TraceRing trace) {
        this.trace = trace;
    }

    @Override
    public boolean recording() {
        return trace.wanted();
    }

    @Override
    public void sent(int peer, int word, long timeNs) {
        trace.instantAt(TraceEvent.WORD_SENT, TraceRing.KERNEL_TRACK, peer, timeNs, word & 0xFFFF_FFFFL);
    }

    @Override
    public void received(int peer, int word, long timeNs) {
        trace.instantAt(TraceEvent.WORD_RECEIVED, TraceRing.KERNEL_TRACK, peer, timeNs, word & 0xFFFF_FFFFL);
    }
}
