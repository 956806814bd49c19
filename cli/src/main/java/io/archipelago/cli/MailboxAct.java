package io.archipelago.cli;

import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.coordinator.KernelChannels;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Demo scene: the emulated 32-bit mailbox. The strong kernel PINGs the weak one and back, each
 * PONG answered from the peer's interrupt context, and both kernels' mailbox counters are read
 * from global memory.
 */
final class MailboxAct implements TwoKernelAct {

    private static final int ROUND_TRIPS = 2000;

    @Override
    public String title() {
        return "the mailbox: 32-bit words between kernel processes, answered from the interrupt context";
    }

    @Override
    public void run(Coordinator cluster, KernelStatus strong, KernelStatus weak, PrintWriter out) {
        try (KernelChannels channels = new KernelChannels(cluster.secret(), "demo")) {
            MailboxPingReply first = ping(channels, strong, weak, 1, false);
            out.printf(Locale.ROOT, "%s -> %s: PING, PONG in %.1f us (the first word also set up and authenticated the link)%n",
                strong.getName(), weak.getName(), first.getRttNs(0) / 1000.0);
            MailboxPingReply back = ping(channels, weak, strong, 1, false);
            out.printf(Locale.ROOT, "%s -> %s: PING, PONG in %.1f us%n", weak.getName(), strong.getName(), back.getRttNs(0) / 1000.0);
            MailboxPingReply thread = ping(channels, strong, weak, ROUND_TRIPS, false);
            MailboxPingReply irq = ping(channels, strong, weak, ROUND_TRIPS, true);
            out.printf(Locale.ROOT, "%d more round trips %s -> %s over %s (%s I/O, FIFO depth %d): median %.1f us from a kernel thread, "
                    + "%.1f us chained on the interrupt context%n", ROUND_TRIPS, strong.getName(), weak.getName(), first.getTransport(),
                first.getIo(), first.getFifoDepth(), median(thread), median(irq));
            for (KernelStatus kernel : cluster.status().getKernelsList()) {
                if (kernel.getId() == strong.getId() || kernel.getId() == weak.getId()) {
                    StringBuilder line = new StringBuilder(kernel.getName()).append(" mailbox counters:");
                    for (Counter counter : kernel.getCountersList()) {
                        if (counter.getLabel().startsWith(MailboxCounter.PREFIX)) {
                            line.append(' ').append(counter.getLabel().substring(MailboxCounter.PREFIX.length())).append('=')
                                .append(counter.getValue());
                        }
                    }
                    out.println(line);
                }
            }
            out.println("(`archipelago bench mailbox` measures the round trip against a plain-socket baseline)");
        }
    }

    private static MailboxPingReply ping(KernelChannels channels, KernelStatus from, KernelStatus to, int count, boolean interruptContext) {
        try {
            return channels.mailbox(from.getControl()).withDeadlineAfter(60, TimeUnit.SECONDS).ping(MailboxPingRequest.newBuilder()
                .setPeer(to.getId()).setRoundTrips(count).setWarmup(interruptContext ? 200 : 0).setTimeoutMs(10_000)
                .setInterruptContext(interruptContext).build());
        } catch (io.grpc.StatusRuntimeException e) {
            throw new CliException(from.getName() + " could not ping " + to.getName() + ": " + e.getStatus().getDescription());
        }
    }

    private static double median(MailboxPingReply reply) {
        long[] samples = reply.getRttNsList().stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(samples);
        return samples[samples.length / 2] / 1000.0;
    }
}
