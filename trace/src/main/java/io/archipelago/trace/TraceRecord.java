package io.archipelago.trace;

/**
 * One event read back from a {@link TraceRing}.
 *
 * @param track   the emulated core, or {@link TraceRing#KERNEL_TRACK}
 * @param subject what the event is about ({@link TraceEvent#subject()})
 * @param timeNs  host time ({@link System#nanoTime()}); a slice's start
 * @param value   a slice's duration in ns; an instant's value
 */
public record TraceRecord(TraceEvent event, int track, int subject, long timeNs, long value) {
}
