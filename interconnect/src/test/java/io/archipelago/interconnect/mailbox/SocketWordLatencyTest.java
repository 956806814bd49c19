package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Words on a socket link (no rings: TCP) carry their send time and are held to the modelled latency, like ring words. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketWordLatencyTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aWordOnASocketLinkArrivesNoEarlierThanItsSendTimePlusTheModelAndInOrder() throws Exception {
        long hold = TimeUnit.MILLISECONDS.toNanos(20);
        try (TestMembers members = new TestMembers(MailboxTransport.TCP, MailboxContext.Io.AUTO)) {
            Mailbox a = members.start(members.context(0).wordLatency(peer -> hold));
            Mailbox b = members.start(members.context(1).wordLatency(peer -> hold));
            List<Integer> seen = new CopyOnWriteArrayList<>();
            b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> {
                seen.add(irq.payload());
                irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload());
            });
            a.onInterrupt(MailboxType.PUT_EXCLUSIVE, irq -> { });
            a.request(1, MailboxType.GET_EXCLUSIVE, 0, WAIT, MailboxType.PUT_EXCLUSIVE); // the link is up
            assertThat(a.carrier(1)).as("the pair's words travel on the link").contains(MailboxTransport.TCP);

            long fastest = Long.MAX_VALUE;
            for (int i = 1; i <= 5; i++) {
                long start = System.nanoTime();
                MailboxWord reply = a.request(1, MailboxType.GET_EXCLUSIVE, i, WAIT, MailboxType.PUT_EXCLUSIVE);
                fastest = Math.min(fastest, System.nanoTime() - start);
                assertThat(reply.payload()).isEqualTo(i);
            }
            assertThat(fastest).as("the fastest round trip, ns: a word each way, each held 20 ms").isGreaterThanOrEqualTo(2 * hold);

            // words sent back to back are held, and delivered in the order sent
            long sent = System.nanoTime();
            for (int i = 100; i < 104; i++) {
                a.send(1, MailboxType.GET_EXCLUSIVE, i);
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (seen.size() < 10 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(System.nanoTime() - sent).isGreaterThanOrEqualTo(hold);
            assertThat(seen).containsExactly(0, 1, 2, 3, 4, 5, 100, 101, 102, 103);
            assertThat(members.count(1, "mailbox.drops")).isZero();
        }
    }

    @Test
    void withoutAModelNothingIsHeld() throws Exception {
        try (TestMembers members = new TestMembers(MailboxTransport.TCP, MailboxContext.Io.AUTO)) {
            Mailbox a = members.start(0);
            Mailbox b = members.start(1);
            b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload()));
            long fastest = Long.MAX_VALUE;
            for (int i = 0; i < 20; i++) {
                long start = System.nanoTime();
                a.request(1, MailboxType.GET_EXCLUSIVE, i, WAIT, MailboxType.PUT_EXCLUSIVE);
                fastest = Math.min(fastest, System.nanoTime() - start);
            }
            assertThat(fastest).as("the fastest unmodelled round trip, ns").isLessThan(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
