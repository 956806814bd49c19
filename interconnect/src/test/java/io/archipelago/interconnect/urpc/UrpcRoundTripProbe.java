package io.archipelago.interconnect.urpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.interconnect.mailbox.MailboxContext.LoopPoll;
import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.internal.CoreGate;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A probe, not a test of behaviour (run by hand: {@code -Durpc.probe=true}): URPC round trips
 * between two endpoints of one process over an mmap'd file, an earlier waiting and splitting
 * against the current defaults, in interleaved rounds so that the host's load hits both alike:
 * {@code -Durpc.probe.against=mailbox} (the defaults with the doorbell through the stand-in
 * interrupt context instead of the wake line's futex), {@code unexpecting} (the default: {@link UrpcEndpoint.Tuning#UNEXPECTING},
 * the owner's dispatcher parking once its spin window or the free core ends) or {@code previous}
 * ({@link UrpcEndpoint.Tuning#PREVIOUS}, as before the longer watches, the half-ring fragments
 * and the full-ring spin). {@code -Durpc.probe.think-ns=N}: the requester works N ns between a
 * reply and its next request (a bench operation decodes and records; 0 by default). The spin gate is the mailbox's ({@link CoreGate}, the machine's runnable count),
 * the spin window the mailbox's default 50 µs, and a doorbell through the mailbox goes through a third thread per
 * kernel (its interrupt context) as a mailbox word does, which then polls for
 * {@code urpc.probe.irq-working-ns} (10 µs, the interrupt context's working window). Prints per tuning and message size the
 * round trip's p50/p90/p99 and, per round trip, the requester's parks, the owner dispatcher's
 * parks, the doorbells each side rang and the senders' waits on a full ring.
 */
@EnabledIfSystemProperty(named = "urpc.probe", matches = "true")
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class UrpcRoundTripProbe {

    private static final Duration SPIN = Duration.ofNanos(50_000);
    private static final int ROUNDS = Integer.getInteger("urpc.probe.rounds", 8);
    private static final int CALLS = Integer.getInteger("urpc.probe.calls", 2_000);
    private static final long THINK_NANOS = Long.getLong("urpc.probe.think-ns", 0);
    private static final String AGAINST = System.getProperty("urpc.probe.against", "unexpecting");
    /** How long the stand-in interrupt context polls after it delivered a doorbell, as the mailbox's does for its working window. */
    private static final long IRQ_WORKING_NANOS = Long.getLong("urpc.probe.irq-working-ns", 10_000);

    @TempDir
    Path dir;

    /** One pair of kernels (requester 0, owner 1) with its own channels and its own tuning. */
    private static final class Pair implements AutoCloseable {
        final String name;
        final Arena arena = Arena.ofShared();
        final UrpcEndpoint[] endpoints = new UrpcEndpoint[2];
        final InterruptContext[] interrupts = new InterruptContext[2];
        final CoreGate gate = CoreGate.of(SPIN.toNanos(), LoopPoll.IDLE_CORE, Runtime.getRuntime().availableProcessors());

        Pair(String name, Path file, UrpcEndpoint.Tuning tuning, int replyBytes) throws Exception {
            this.name = name;
            MemorySegment area;
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                area = channel.map(FileChannel.MapMode.READ_WRITE, 0, UrpcChannels.bytes(2), arena);
            }
            UrpcChannels channels = new UrpcChannels(area, 2);
            byte[] reply = new byte[replyBytes];
            for (int kernel = 0; kernel < 2; kernel++) {
                interrupts[kernel] = new InterruptContext(name + "-k" + kernel);
            }
            for (int kernel = 0; kernel < 2; kernel++) {
                endpoints[kernel] = UrpcEndpoint.start(channels, kernel, 100 + kernel, name + "-k" + kernel, (sender, body, offset, length) -> reply,
                    peer -> interrupts[peer].raise(), gate::coreToSpare, SPIN, MailboxCounters.inMemory(), tuning);
                interrupts[kernel].serve(endpoints[kernel]);
            }
        }

        @Override
        public void close() {
            for (UrpcEndpoint endpoint : endpoints) {
                endpoint.close();
            }
            for (InterruptContext interrupt : interrupts) {
                interrupt.close();
            }
            gate.close();
            arena.close();
        }
    }

    /** A kernel's interrupt context as far as the doorbell goes: a thread woken by the word, which wakes the dispatcher. */
    private static final class InterruptContext implements AutoCloseable {
        private final AtomicBoolean raised = new AtomicBoolean();
        private volatile boolean closed;
        private volatile UrpcEndpoint endpoint;
        private final Thread thread;

        InterruptContext(String name) {
            thread = Thread.ofPlatform().daemon().name("irq-" + name).start(() -> {
                while (!closed) {
                    if (raised.getAndSet(false)) {
                        UrpcEndpoint served = endpoint;
                        if (served != null) {
                            served.doorbell();
                        }
                        // the mailbox's interrupt context goes on polling its rings after a word it delivered
                        for (long until = System.nanoTime() + IRQ_WORKING_NANOS; System.nanoTime() - until < 0 && !raised.get(); ) {
                            Thread.onSpinWait();
                        }
                    } else {
                        LockSupport.park(this);
                    }
                }
            });
        }

        void serve(UrpcEndpoint endpoint) {
            this.endpoint = endpoint;
        }

        void raise() {
            raised.set(true);
            LockSupport.unpark(thread);
        }

        @Override
        public void close() {
            closed = true;
            LockSupport.unpark(thread);
        }
    }

    private record Figures(long[] nanos, long calls, long requesterParks, long ownerParks, long requesterDoorbells, long ownerDoorbells,
                           long fullWaits) {
    }

    private static long[] round(Pair pair, byte[] request, List<Long> into) {
        UrpcEndpoint requester = pair.endpoints[0];
        UrpcEndpoint owner = pair.endpoints[1];
        long[] before = {requester.requesterParks.get(), owner.parks.get(), requester.doorbellsRung.get(), owner.doorbellsRung.get(),
            requester.fullWaits.get() + owner.fullWaits.get()};
        try (UrpcEndpoint.Stream stream = requester.open(1, 101, pair.name + "-k1", Duration.ofSeconds(10))) {
            for (int i = 0; i < CALLS; i++) {
                long start = System.nanoTime();
                stream.call(request);
                into.add(System.nanoTime() - start);
                for (long until = System.nanoTime() + THINK_NANOS; System.nanoTime() - until < 0; ) {
                    Thread.onSpinWait();
                }
            }
        }
        return new long[] {requester.requesterParks.get() - before[0], owner.parks.get() - before[1], requester.doorbellsRung.get() - before[2],
            owner.doorbellsRung.get() - before[3], requester.fullWaits.get() + owner.fullWaits.get() - before[4]};
    }

    @Test
    void previousAgainstCurrent() throws Exception {
        UrpcEndpoint.Tuning previous = switch (AGAINST) {
            case "previous" -> UrpcEndpoint.Tuning.PREVIOUS;
            case "unexpecting" -> UrpcEndpoint.Tuning.UNEXPECTING;
            case "mailbox" -> UrpcEndpoint.Tuning.DEFAULT.mailboxDoorbell();
            default -> throw new IllegalArgumentException("urpc.probe.against: expected previous, unexpecting or mailbox, found " + AGAINST);
        };
        byte[] request = new byte[12];
        for (int replyBytes : new int[] {16, 4_200, 70_000}) {
            try (Pair old = new Pair("previous", dir.resolve("previous-" + replyBytes), previous, replyBytes);
                 Pair now = new Pair("current", dir.resolve("current-" + replyBytes), UrpcEndpoint.Tuning.DEFAULT, replyBytes)) {
                double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                List<Long> oldNanos = new ArrayList<>();
                List<Long> nowNanos = new ArrayList<>();
                long[] oldCounts = new long[5];
                long[] nowCounts = new long[5];
                round(old, request, new ArrayList<>());
                round(now, request, new ArrayList<>());
                for (int r = 0; r < ROUNDS; r++) {
                    add(oldCounts, round(old, request, oldNanos));
                    add(nowCounts, round(now, request, nowNanos));
                }
                double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                for (var entry : List.of(new Object[] {"previous", oldNanos, oldCounts}, new Object[] {"current", nowNanos, nowCounts})) {
                    @SuppressWarnings("unchecked")
                    List<Long> nanos = (List<Long>) entry[1];
                    long[] counts = (long[]) entry[2];
                    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
                    double calls = sorted.length;
                    System.out.println(String.format(Locale.ROOT,
                        "URPC-PROBE reply=%dB think=%dns tuning=%s calls=%d p50=%.2fus p90=%.2fus p99=%.2fus | per call: requester parks %.3f, "
                            + "owner parks %.3f, doorbells req->own %.3f own->req %.3f, full waits %.3f | load %.2f -> %.2f",
                        replyBytes, THINK_NANOS, entry[0].equals("previous") ? AGAINST : entry[0], sorted.length, at(sorted, 0.5), at(sorted, 0.9), at(sorted, 0.99), counts[0] / calls,
                        counts[1] / calls, counts[2] / calls, counts[3] / calls, counts[4] / calls, loadBefore, loadAfter));
                    assertThat(sorted).hasSize(ROUNDS * CALLS);
                }
            }
        }
    }

    private static void add(long[] sum, long[] more) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += more[i];
        }
    }

    private static double at(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * quantile))] / 1_000.0;
    }
}
