package io.archipelago.interconnect.mailbox.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.ReplyCheck;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The sequence numbers of one queue: a number whose request gave up is not reused before its late reply could still come. */
@Timeout(10)
class PeerQueueTest {

    private static final int PUT_OR_NACK = 1 << MailboxType.PUT_EXCLUSIVE.code() | 1 << MailboxType.NACK.code();
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final PeerQueue queue = new PeerQueue(1);

    private static PendingRequest request() {
        return new PendingRequest(PUT_OR_NACK, ReplyCheck.ANY, SECOND);
    }

    @Test
    void aNumberWhoseRequestGaveUpIsNotReusedUntilItsLateReplyArrives() {
        long now = 0;
        PendingRequest timedOut = request();
        int held = queue.register(timedOut, now);
        assertThat(queue.abandon(timedOut, now)).isTrue();

        // 15 requests outstanding at once take every other number; a 16th finds none free
        Set<Integer> used = new HashSet<>();
        PendingRequest[] outstanding = new PendingRequest[15];
        for (int i = 0; i < 15; i++) {
            outstanding[i] = request();
            used.add(queue.register(outstanding[i], now));
        }
        assertThat(used).hasSize(15).doesNotContain(held).doesNotContain(-1);
        assertThat(queue.register(request(), now)).as("no number is free: the 16th is quarantined").isEqualTo(-1);
        assertThat(queue.quarantinedCount(now)).isEqualTo(1);

        // requests that come and go reuse the free numbers, never the quarantined one
        for (PendingRequest answered : outstanding) {
            queue.unregister(answered);
        }
        for (int i = 0; i < 64; i++) {
            PendingRequest next = request();
            assertThat(queue.register(next, now)).isNotEqualTo(held);
            queue.unregister(next);
        }

        // a word of another type with that number is not the late reply; one of an accepted type is, once
        assertThat(queue.lateReply(held, MailboxType.NW_ACK.code())).isFalse();
        assertThat(queue.lateReply(held, MailboxType.PUT_EXCLUSIVE.code())).isTrue();
        assertThat(queue.lateReply(held, MailboxType.PUT_EXCLUSIVE.code())).as("a duplicate is not taken for it").isFalse();
        Set<Integer> again = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            PendingRequest next = request();
            again.add(queue.register(next, now));
            queue.unregister(next);
        }
        assertThat(again).contains(held);
    }

    @Test
    void theQuarantineEndsLongAfterTheTimeoutEvenWithoutAReply() {
        long now = 1_000;
        PendingRequest slow = new PendingRequest(PUT_OR_NACK, ReplyCheck.ANY, 20 * SECOND);
        int held = queue.register(slow, now);
        queue.abandon(slow, now);
        long bound = Math.max(PeerQueue.QUARANTINE_MIN_NANOS, PeerQueue.QUARANTINE_TIMEOUTS * 20 * SECOND);
        assertThat(bound).as("long after the request's own timeout").isGreaterThanOrEqualTo(4 * 20 * SECOND);
        assertThat(registeredNumbers(now + bound - 1)).doesNotContain(held);
        assertThat(registeredNumbers(now + bound)).contains(held);
        assertThat(queue.quarantinedCount(now + bound)).isZero();
    }

    @Test
    void aRestartedPeerCannotAnswerItsPredecessorsRequests() {
        queue.boundTo(7);
        PendingRequest timedOut = request();
        int held = queue.register(timedOut, 0);
        queue.abandon(timedOut, 0);
        queue.boundTo(7); // the same incarnation over a new link may still answer: still held
        assertThat(registeredNumbers(0)).doesNotContain(held);
        queue.boundTo(8);
        assertThat(registeredNumbers(0)).contains(held);
    }

    @Test
    void requestsFailedByALostLinkAreQuarantinedTooAndAnAnsweredOneIsNot() {
        PendingRequest answered = request();
        int free = queue.register(answered, 0);
        queue.unregister(answered); // its reply came: free at once
        PendingRequest waiting = request();
        int held = queue.register(waiting, 0);
        queue.failPending(new MailboxException(MailboxException.Reason.DISCONNECTED, 1, "link closed"));
        assertThat(waiting.done()).isTrue();
        Set<Integer> numbers = registeredNumbers(0);
        assertThat(numbers).contains(free).doesNotContain(held);
        assertThat(queue.abandon(waiting, 0)).as("already given up").isFalse();
    }

    /** The numbers 16 requests registered one after another (each freed at once) get. */
    private Set<Integer> registeredNumbers(long now) {
        Set<Integer> numbers = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            PendingRequest next = request();
            numbers.add(queue.register(next, now));
            queue.unregister(next);
        }
        return numbers;
    }
}
