package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every behaviour of {@link MailboxTest} with the words of kernel pairs in rings in shared memory
 * (one area mapped by every member of this JVM, as kernels map global memory), and what only the
 * rings do: the pair's carrier, doorbells, and the fallback to the link for a member without rings.
 */
@Timeout(60)
class MailboxShmTest extends MailboxTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    @Override
    TestMembers newMembers() {
        return new TestMembers(MailboxTransport.SHM, MailboxContext.Io.AUTO);
    }

    @Test
    void kernelsOfOneMemoryCarryTheirWordsInItsRingsBothWays() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        assertThat(a.endpoint()).get().extracting(MailboxEndpoint::transport).isEqualTo(MailboxTransport.TCP);
        for (int i = 0; i < 500; i++) {
            assertThat(a.ping(1, SECOND)).isPositive();
            assertThat(b.ping(0, SECOND)).isPositive();
        }
        assertThat(a.carrier(1)).contains(MailboxTransport.SHM);
        assertThat(b.carrier(0)).contains(MailboxTransport.SHM);
        assertThat(members.count(0, MailboxCounter.sent(MailboxType.PING))).isEqualTo(500);
        assertThat(members.count(1, MailboxCounter.received(MailboxType.PING))).isEqualTo(500);
        assertThat(members.count(0, MailboxCounter.received(MailboxType.PONG))).isEqualTo(500);
        assertThat(members.count(0, MailboxCounter.LINKS.label())).isEqualTo(1);
        assertThat(members.count(0, MailboxCounter.DROPS.label()) + members.count(1, MailboxCounter.DROPS.label())).isZero();
    }

    @Test
    void aMemberOutsideTheRingsFallsBackToItsLinkWhileKernelsUseTheRings() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        Mailbox outsider = members.start(TestMembers.RING_KERNELS + 3);
        for (int i = 0; i < 50; i++) {
            a.ping(1, SECOND);
            outsider.ping(0, SECOND);
            a.ping(TestMembers.RING_KERNELS + 3, SECOND);
        }
        assertThat(a.carrier(1)).contains(MailboxTransport.SHM);
        assertThat(a.carrier(TestMembers.RING_KERNELS + 3)).contains(MailboxTransport.TCP);
        assertThat(outsider.carrier(0)).contains(MailboxTransport.TCP);
        assertThat(members.count(0, MailboxCounter.DROPS.label())
            + members.count(TestMembers.RING_KERNELS + 3, MailboxCounter.DROPS.label())).isZero();
    }

    /**
     * A kernel thread streams NOP words one way through a FIFO of depth 4 in a ring, as the
     * benchmark's throughput does, between two members of this JVM (each with its interrupt
     * context): every word arrives in order; the rate and what the receiver's loop and the sender
     * did meanwhile (sleeps, doorbells, parks) are printed for comparison across changes, not
     * asserted (a shared machine's noise).
     */
    @Test
    void aStreamOneWayThroughAFifoOfDepthFourArrivesInOrder() {
        // the link's first handshake may wait for a core on a busy machine: this test is about the words after it
        Mailbox a = members.start(members.context(0).connectTimeout(Duration.ofSeconds(20)));
        Mailbox b = members.start(members.context(1).connectTimeout(Duration.ofSeconds(20)));
        int words = Integer.getInteger("mailbox.stream.words", 200_000);
        a.stream(1, words, SECOND, Duration.ofSeconds(30));
        StringBuilder line = new StringBuilder();
        for (int round = 0; round < Integer.getInteger("mailbox.stream.rounds", 3); round++) {
            long sleeps = members.count(1, MailboxCounter.LOOP_SLEEPS.label());
            long doorbells = members.count(0, MailboxCounter.DOORBELLS.label());
            long parks = members.count(0, MailboxCounter.FIFO_FULL_PARKS.label());
            Mailbox.StreamResult result = a.stream(1, words, SECOND, Duration.ofSeconds(30));
            line.append(String.format(java.util.Locale.ROOT, " %,.0f words/s (receiver sleeps %d, doorbells %d, sender parks %d);",
                result.wordsPerSecond(), members.count(1, MailboxCounter.LOOP_SLEEPS.label()) - sleeps,
                members.count(0, MailboxCounter.DOORBELLS.label()) - doorbells,
                members.count(0, MailboxCounter.FIFO_FULL_PARKS.label()) - parks));
        }
        System.out.println("mailbox stream over a ring, " + words + " words, depth 4:" + line);
        assertThat(members.count(1, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
        assertThat(members.count(0, MailboxCounter.DROPS.label()) + members.count(1, MailboxCounter.DROPS.label())).isZero();
        assertThat(b.carrier(0)).contains(MailboxTransport.SHM);
    }
}
