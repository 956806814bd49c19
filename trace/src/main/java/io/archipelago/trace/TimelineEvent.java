package io.archipelago.trace;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * Every event a kernel puts on the cluster's timeline, also as a JDK Flight Recorder event
 * ({@code archipelago.Timeline}), so JFR's tools (JDK Mission Control, {@code jfr print}, event
 * streaming) see what the trace rings see, beside the JVM's own events (GC, safepoints, thread
 * parks). Off unless a recording enables it, e.g. a kernel started with
 * {@code -XX:StartFlightRecording:filename=k.jfr,settings=profile} in the cluster YAML's
 * {@code kernel_jvm_options}; then {@code jfr print --events archipelago.Timeline k.jfr}. No stack
 * trace: the event is about the emulated platform, and a stack would cost microseconds.
 */
@Name("archipelago.Timeline")
@Label("Archipelago timeline event")
@Category({"Archipelago", "Timeline"})
@Description("An event of the emulated platform, as recorded in the kernel's trace ring: a step, a DSM fault, a migration, an "
    + "interrupt, a mailbox word")
@StackTrace(false)
public final class TimelineEvent extends jdk.jfr.Event {

    @Label("Kernel")
    @Description("The kernel id")
    public int kernel;

    @Label("Event")
    @Description("What happened, as named on the timeline")
    public String event;

    @Label("Track")
    @Description("The emulated core, -1 for the kernel's own track, -2 for its interrupt context")
    public int track;

    @Label("Subject")
    @Description("What it is about: a thread id, a page frame, an interrupt line or a peer kernel (see TraceEvent)")
    public int subject;

    @Label("Value")
    @Description("An instant's value (e.g. a mailbox word); a slice's duration in nanoseconds")
    public long value;

    @Label("Start")
    @Description("When it started, in nanoseconds of the host's monotonic clock (System.nanoTime), as in the trace ring")
    public long startNs;

    @Label("Duration")
    @Timespan(Timespan.NANOSECONDS)
    public long durationNs;
}
