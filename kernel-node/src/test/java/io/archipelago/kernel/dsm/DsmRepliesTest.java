package io.archipelago.kernel.dsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxCounters;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.PeerAddress;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The answers to GET_EXCLUSIVE name the page frame they answer for, and the requester's check
 * (the one {@link DsmService} passes to the mailbox) refuses an answer about another page: a
 * late PUT_EXCLUSIVE or NACK(NOT_HOLDER) for page A offered to a GET_EXCLUSIVE for page B would
 * otherwise make the requester load or claim B while its holder still has it VALID.
 */
@Timeout(30)
class DsmRepliesTest {

    private static final int PAGE_A = 70;
    private static final int PAGE_B = 71;

    private final ClusterSecret secret = ClusterSecret.generate();
    private final Map<Integer, PeerAddress> directory = new ConcurrentHashMap<>();
    private final Map<Integer, MailboxCounters.InMemory> counters = new ConcurrentHashMap<>();
    private final Map<Integer, Mailbox> started = new ConcurrentHashMap<>();

    @AfterEach
    void close() {
        started.values().forEach(Mailbox::close);
    }

    private Mailbox start(int id) {
        MailboxCounters.InMemory sink = MailboxCounters.inMemory();
        counters.put(id, sink);
        MailboxContext context = new MailboxContext().memberId(id).memberName("kernel-" + id).incarnation(100 + id).secret(secret)
            .port(0).directory(peer -> Optional.ofNullable(directory.get(peer))).counters(sink)
            .connectTimeout(Duration.ofSeconds(2)).fifoFullTimeout(Duration.ofSeconds(2));
        Mailbox mailbox = Mailboxes.start(context);
        started.put(id, mailbox);
        directory.put(id, PeerAddress.alive(id, "kernel-" + id, 100 + id, mailbox.endpoint().orElseThrow()));
        return mailbox;
    }

    private long count(int id, String label) {
        return counters.get(id).get(label);
    }

    @Test
    void answersNameTheirPageFrame() {
        int busy = DsmReplies.nack(DsmReplies.Refusal.BUSY, PAGE_B);
        int notHolder = DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, DsmReplies.MAX_FRAME);
        assertThat(DsmReplies.refusal(busy)).isEqualTo(DsmReplies.Refusal.BUSY);
        assertThat(DsmReplies.frame(busy)).isEqualTo(PAGE_B);
        assertThat(DsmReplies.refusal(notHolder)).isEqualTo(DsmReplies.Refusal.NOT_HOLDER);
        assertThat(DsmReplies.frame(notHolder)).isEqualTo(DsmReplies.MAX_FRAME);
        assertThat(busy).isLessThanOrEqualTo(MailboxWord.MAX_PAYLOAD);
        assertThatThrownBy(() -> DsmReplies.nack(DsmReplies.Refusal.BUSY, DsmReplies.MAX_FRAME + 1L))
            .hasMessageContaining("page frames 0 to " + DsmReplies.MAX_FRAME);

        ReplyCheck forB = DsmReplies.answers(PAGE_B);
        assertThat(forB.answers(MailboxType.PUT_EXCLUSIVE, PAGE_B)).isTrue();
        assertThat(forB.answers(MailboxType.NACK, busy)).isTrue();
        assertThat(forB.answers(MailboxType.PUT_EXCLUSIVE, PAGE_A)).isFalse();
        assertThat(forB.answers(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, PAGE_A))).isFalse();
    }

    @Test
    void aLateAnswerAboutAnotherPageIsDroppedAndTheRequesterGetsItsOwn() {
        Mailbox requester = start(0);
        Mailbox holder = start(1);
        // the holder's answers for page A come late, with the sequence number the GET for page B now uses
        holder.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> {
            irq.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.NOT_HOLDER, PAGE_A));
            irq.reply(MailboxType.PUT_EXCLUSIVE, PAGE_A);
            irq.reply(MailboxType.NACK, DsmReplies.nack(DsmReplies.Refusal.BUSY, irq.payload()));
        });
        MailboxWord reply = requester.request(1, MailboxType.GET_EXCLUSIVE, PAGE_B, Duration.ofSeconds(5), DsmReplies.answers(PAGE_B),
            MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
        assertThat(reply.type()).isEqualTo(MailboxType.NACK);
        assertThat(DsmReplies.refusal(reply.payload())).as("its own answer: BUSY for B, not NOT_HOLDER for A").isEqualTo(
            DsmReplies.Refusal.BUSY);
        assertThat(DsmReplies.frame(reply.payload())).isEqualTo(PAGE_B);
        assertThat(count(0, MailboxCounter.MISMATCHED_REPLIES.label())).isEqualTo(2);

        // and when only the answers about page A come, the GET for B gets none: it times out, it never takes A's
        holder.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> irq.reply(MailboxType.PUT_EXCLUSIVE, PAGE_A));
        assertThatThrownBy(() -> requester.request(1, MailboxType.GET_EXCLUSIVE, PAGE_B, Duration.ofMillis(300),
            DsmReplies.answers(PAGE_B), MailboxType.PUT_EXCLUSIVE, MailboxType.NACK)).isInstanceOf(MailboxException.class)
            .hasMessageContaining("no PUT_EXCLUSIVE or NACK");
        assertThat(count(0, MailboxCounter.MISMATCHED_REPLIES.label())).isEqualTo(3);
    }
}
