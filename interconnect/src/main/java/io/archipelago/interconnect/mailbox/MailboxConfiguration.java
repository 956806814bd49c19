package io.archipelago.interconnect.mailbox;

import java.time.Duration;

/**
 * Every mailbox setting's system property, default and valid range, defined here once (after
 * Aeron's {@code Configuration}). {@link MailboxContext} starts from these defaults, read through
 * the properties, and checks its values against these ranges in {@link MailboxContext#conclude()};
 * the kernel's context, the coordinator and the cluster YAML use the same constants.
 */
public final class MailboxConfiguration {

    /** Words carried as: shm, tcp or unix. */
    public static final String TRANSPORT_PROP = "archipelago.mailbox.transport";
    /** A member that maps no global memory (the coordinator, a tool) carries its words on TCP links. */
    public static final String TRANSPORT_DEFAULT = "tcp";

    public static final String FIFO_DEPTH_PROP = "archipelago.mailbox.fifo-depth";
    /** OMAP4's mailbox FIFO holds four 32-bit messages per direction. */
    public static final int FIFO_DEPTH_DEFAULT = 4;
    public static final int FIFO_DEPTH_MIN = 1;
    public static final int FIFO_DEPTH_MAX = 1024;

    /** Netty's I/O: auto (epoll when its native library loads), epoll or nio. */
    public static final String IO_PROP = "archipelago.mailbox.io";
    public static final String IO_DEFAULT = "auto";

    public static final String FIFO_FULL_TIMEOUT_PROP = "archipelago.mailbox.fifo-full-timeout-ms";
    public static final Duration FIFO_FULL_TIMEOUT_DEFAULT = Duration.ofSeconds(2);

    public static final String CONNECT_TIMEOUT_PROP = "archipelago.mailbox.connect-timeout-ms";
    /**
     * Generous: a process's first link runs cold code on both sides (class loading, interpreter),
     * measured at up to 2 s on a 2-core machine under heavy load; later links take milliseconds.
     */
    public static final Duration CONNECT_TIMEOUT_DEFAULT = Duration.ofSeconds(10);

    public static final String HANDSHAKE_TIMEOUT_PROP = "archipelago.mailbox.handshake-timeout-ms";
    public static final Duration HANDSHAKE_TIMEOUT_DEFAULT = Duration.ofSeconds(5);

    /** Generous on purpose: on two shared cores a handler is often preempted for milliseconds without blocking. */
    public static final Duration SLOW_HANDLER_DEFAULT = Duration.ofMillis(10);

    /** Microseconds a waiting thread spins before it parks. */
    public static final String SPIN_PROP = "archipelago.mailbox.spin-us";
    /**
     * No spinning by default: measured on a 2-core machine shared by several kernels, spinning
     * (10 or 50 us) made round trips and throughput worse, as the spinner takes the core the
     * interrupt contexts need to produce the answer (see README, "Mailbox").
     */
    public static final long SPIN_US_DEFAULT = 0;
    public static final long SPIN_US_MAX = 10_000;

    /** Microseconds the interrupt context polls after its last work before it blocks. */
    public static final String LOOP_SPIN_PROP = "archipelago.mailbox.loop-spin-us";
    /**
     * The interrupt context polls its sockets for up to 50 us after its last work, while a core is
     * left for everybody else ({@code idle-core}): on a quiet virtual machine that saves each word a
     * halt exit, on busy cores the gate makes it block at once (README, "The mailbox").
     */
    public static final int LOOP_SPIN_US_DEFAULT = 50;
    public static final int LOOP_SPIN_US_MAX = 1000;

    /** When the interrupt context may poll: idle-core or always. */
    public static final String LOOP_POLL_PROP = "archipelago.mailbox.loop-poll";
    public static final String LOOP_POLL_DEFAULT = "idle-core";

    public static final String LINK_LIVENESS_PROP = "archipelago.mailbox.link-liveness-ms";
    /**
     * How long a TCP link may go without any sign of its peer's host (an ACK of our data, or an
     * answer to a keepalive probe) before it is declared lost. TCP alone never notices a peer cut
     * off the network, so a link would stay bound to it for the retransmission timeout (about
     * 15 minutes) and everything sent after the network healed would wait behind it. The host's
     * TCP stack answers for a stopped process, so a kernel paused by a debugger or SIGSTOP keeps its
     * links: only a silent host or network loses them.
     */
    public static final Duration LINK_LIVENESS_DEFAULT = Duration.ofSeconds(5);
    /** TCP keepalive counts in whole seconds, with at least one probe before the deadline. */
    public static final Duration LINK_LIVENESS_MIN = Duration.ofSeconds(2);

    public static final int BACKLOG_LIMIT_DEFAULT = 1024;

    private MailboxConfiguration() {
    }

    /** The transport id named by {@link #TRANSPORT_PROP}, or {@link #TRANSPORT_DEFAULT}. */
    public static String transport() {
        return System.getProperty(TRANSPORT_PROP, TRANSPORT_DEFAULT);
    }

    public static int fifoDepth() {
        return Integer.getInteger(FIFO_DEPTH_PROP, FIFO_DEPTH_DEFAULT);
    }

    public static String io() {
        return System.getProperty(IO_PROP, IO_DEFAULT);
    }

    public static Duration fifoFullTimeout() {
        return Duration.ofMillis(Long.getLong(FIFO_FULL_TIMEOUT_PROP, FIFO_FULL_TIMEOUT_DEFAULT.toMillis()));
    }

    public static Duration connectTimeout() {
        return Duration.ofMillis(Long.getLong(CONNECT_TIMEOUT_PROP, CONNECT_TIMEOUT_DEFAULT.toMillis()));
    }

    public static Duration handshakeTimeout() {
        return Duration.ofMillis(Long.getLong(HANDSHAKE_TIMEOUT_PROP, HANDSHAKE_TIMEOUT_DEFAULT.toMillis()));
    }

    public static Duration linkLiveness() {
        return Duration.ofMillis(Long.getLong(LINK_LIVENESS_PROP, LINK_LIVENESS_DEFAULT.toMillis()));
    }

    public static Duration spin() {
        return Duration.ofNanos(Long.getLong(SPIN_PROP, SPIN_US_DEFAULT) * 1000);
    }

    public static Duration loopSpin() {
        return Duration.ofNanos(Long.getLong(LOOP_SPIN_PROP, LOOP_SPIN_US_DEFAULT) * 1000);
    }

    public static String loopPoll() {
        return System.getProperty(LOOP_POLL_PROP, LOOP_POLL_DEFAULT);
    }

    /** The problem with a FIFO depth, or null when it is in range. */
    public static String fifoDepthProblem(int depth) {
        return depth < FIFO_DEPTH_MIN || depth > FIFO_DEPTH_MAX
            ? "FIFO depth: expected " + FIFO_DEPTH_MIN + " to " + FIFO_DEPTH_MAX + " words, found " + depth + " (" + FIFO_DEPTH_PROP + ")"
            : null;
    }

    /** The problem with a loop-spin window in microseconds, or null when it is in range. */
    public static String loopSpinProblem(long micros) {
        return micros < 0 || micros > LOOP_SPIN_US_MAX
            ? "loop spin: expected 0 to " + LOOP_SPIN_US_MAX + " us of polling before the interrupt context blocks, found " + micros
                + " us (" + LOOP_SPIN_PROP + ")"
            : null;
    }

    /** The problem with a loop-poll rule, or null when it is one of {@link MailboxContext.LoopPoll#IDS}. */
    public static String loopPollProblem(String rule) {
        return rule == null || !MailboxContext.LoopPoll.IDS.contains(rule)
            ? "loop poll: expected " + String.join(" or ", MailboxContext.LoopPoll.IDS) + ", found '" + rule + "' (" + LOOP_POLL_PROP + ")"
            : null;
    }

    /** The problem with a transport id, or null when it is one of {@link MailboxTransport#IDS}. */
    public static String transportProblem(String id) {
        return id == null || !MailboxTransport.IDS.contains(id)
            ? "transport: expected 'shm', 'tcp' or 'unix', found '" + id + "' (" + TRANSPORT_PROP + ")"
            : null;
    }
}
