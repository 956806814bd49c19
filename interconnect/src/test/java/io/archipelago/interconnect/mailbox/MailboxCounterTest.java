package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class MailboxCounterTest {

    @Test
    void everyLabelIsTheMailboxsAndNamesOneCounter() {
        Set<String> labels = new HashSet<>();
        for (MailboxCounter counter : MailboxCounter.values()) {
            assertThat(counter.label()).as(counter.name()).startsWith(MailboxCounter.PREFIX).hasSizeGreaterThan(MailboxCounter.PREFIX.length());
            assertThat(counter.description()).as(counter.name()).isNotBlank();
            assertThat(labels.add(counter.label())).as("label %s defined once", counter.label()).isTrue();
        }
        for (MailboxType type : MailboxType.values()) {
            assertThat(labels.add(MailboxCounter.sent(type))).as(MailboxCounter.sent(type)).isTrue();
            assertThat(labels.add(MailboxCounter.received(type))).as(MailboxCounter.received(type)).isTrue();
        }
    }

    @Test
    void labelsAreTheOnesReadersAlreadyKnow() {
        // status, the CLI and recorded results name counters by these labels: a rename is a format change
        assertThat(MailboxCounter.DROPS.label()).isEqualTo("mailbox.drops");
        assertThat(MailboxCounter.MISMATCHED_REPLIES.label()).isEqualTo("mailbox.drops.mismatched_replies");
        assertThat(MailboxCounter.FIFO_FULL_PARKS.label()).isEqualTo("mailbox.fifo_full_parks");
        assertThat(MailboxCounter.sent(MailboxType.PING)).isEqualTo("mailbox.sent.PING");
    }
}
