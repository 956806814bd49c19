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
}
