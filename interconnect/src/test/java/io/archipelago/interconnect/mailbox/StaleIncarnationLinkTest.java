package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A kernel's older incarnation that still runs (declared DEAD but not killed: stopped, then
 * resumed) must not take over the link of the incarnation membership shows as live.
 */
@Timeout(60)
class StaleIncarnationLinkTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void aLinkFromAnIncarnationMembershipDoesNotShowIsRefusedAndTheLiveLinkStays() {
        try (TestMembers members = new TestMembers()) {
            Mailbox zombie = members.start(1);
            Mailbox live = members.start(members.context(1)); // the same id restarted: the directory now shows this incarnation
            Mailbox peer = members.start(0);
            AtomicInteger fromLive = new AtomicInteger();
            AtomicInteger fromZombie = new AtomicInteger();
            peer.onInterrupt(MailboxType.IRQ, irq -> (irq.payload() == 1 ? fromLive : fromZombie).incrementAndGet());
            assertThat(peer.ping(1, SECOND)).isPositive();

            assertThatThrownBy(() -> zombie.ping(0, SECOND)).isInstanceOf(MailboxException.class);
            live.send(0, MailboxType.IRQ, 1);
            assertThat(peer.ping(1, SECOND)).as("still linked with the live incarnation").isPositive();
            assertThat(live.ping(0, SECOND)).isPositive();
            assertThat(fromLive.get()).isEqualTo(1);
            assertThat(members.count(0, MailboxCounter.LINK_LOSSES.label())).as("the live link was never replaced").isZero();
        }
    }
}
