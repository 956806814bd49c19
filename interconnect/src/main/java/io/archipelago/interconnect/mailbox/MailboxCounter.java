package io.archipelago.interconnect.mailbox;

/**
 * Every counter a mailbox publishes through its {@link MailboxCounters} sink, defined once (after
 * Aeron's {@code SystemCounterDescriptor}, as a kernel's own counters are): each constant holds the
 * counter's label, spelled out here and nowhere else, and what it counts. The mailbox counts
 * through these constants, and every reader (status, the CLI, benchmarks, tests) finds a counter by
 * the same constant's {@link #label()}. The words sent and received are counted per type, under
 * labels made from the type ({@link #sent(MailboxType)}, {@link #received(MailboxType)}).
 */
public enum MailboxCounter {

    DROPS("mailbox.drops", "words or frames dropped, all causes (the drops below, and lost words)"),
    MALFORMED("mailbox.drops.malformed", "frames that could not be decoded, from authenticated members"),
    UNKNOWN_TYPE("mailbox.drops.unknown_type", "words whose type code is unassigned"),
    UNHANDLED("mailbox.drops.unhandled", "words no handler or waiting request wanted"),
    LATE_REPLIES("mailbox.drops.late_replies", "replies that came after their request gave up (their sequence number was quarantined)"),
    MISMATCHED_REPLIES("mailbox.drops.mismatched_replies", "replies with a waiting request's sequence number that answer another request"),
    STALE_WORDS("mailbox.drops.stale_words", "words of a previous link found in a ring in global memory (dropped)"),
    LOST_WORDS("mailbox.lost_words", "words queued for a peer whose link closed before they left"),
    FIFO_FULL_WAITS("mailbox.fifo_full_waits", "sends that found the peer's FIFO full and waited"),
    BACKLOGGED("mailbox.backlogged", "words the interrupt context queued behind a full FIFO"),
    AUTH_FAILURES("mailbox.auth_failures", "connections dropped: strangers, garbage, wrong secrets, silence"),
    LINKS("mailbox.links", "links established (both directions)"),
    LINK_LOSSES("mailbox.link_losses", "links lost (peer died, restarted, or closed)"),
    REQUEST_TIMEOUTS("mailbox.request_timeouts", "requests that got no reply before their deadline"),
    HANDLER_ERRORS("mailbox.handler_errors", "interrupt handlers that threw"),
    SLOW_HANDLERS("mailbox.slow_handlers", "interrupt handlers that ran longer than the threshold"),
    NOP_OUT_OF_ORDER("mailbox.nop_out_of_order", "NOP words whose running count was not the expected one"),
    POLL_HITS("mailbox.poll_hits", "words or hand-offs that found the interrupt context polling (no wake-up)"),
    POLL_YIELDS("mailbox.poll_yields", "polls cut short because a thread of the machine waited for a core"),
    DOORBELLS("mailbox.doorbells", "doorbells rung: words put in a ring whose receiver nobody watched"),
    REPLY_SELF_TAKES("mailbox.reply_self_takes", "replies a waiting thread took from the ring itself (no hand-over)"),
    LOOP_SLEEPS("mailbox.loop_sleeps", "times the interrupt context blocked: a word for it then needs a doorbell (a wake-up) or a timer"),
    FIFO_FULL_PARKS("mailbox.fifo_full_parks", "sends on a full ring that parked until the receiver's credit (a FIFO_FULL notice and a wake-up each)");

    /** What every mailbox counter's label starts with. */
    public static final String PREFIX = "mailbox.";

    private final String label;
    private final String description;

    MailboxCounter(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** The label in the sink (and in a kernel's counters area): {@code mailbox.<name>}. */
    public String label() {
        return label;
    }

    /** What the counter counts. */
    public String description() {
        return description;
    }

    /** The label of the words of {@code type} sent. */
    public static String sent(MailboxType type) {
        return PREFIX + "sent." + type.name();
    }

    /** The label of the words of {@code type} received (consumed from the FIFO). */
    public static String received(MailboxType type) {
        return PREFIX + "received." + type.name();
    }
}
