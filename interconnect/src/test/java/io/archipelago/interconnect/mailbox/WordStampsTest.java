package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stamps the mailbox hands its {@link WordObserver}, over the rings in shared memory and
 * between two real mailboxes: every word recorded once sent and once received, never received
 * before it was sent, and a word answered by an interrupt handler stamped with the handling's
 * start, in kernel threads' round trips and in round trips chained on the interrupt contexts.
 */
@Timeout(60)
class WordStampsTest {

    /** Generous: the first link of a fresh JVM (class loading, the handshake's keys) may take seconds on a loaded host. */
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestMembers members = new TestMembers(MailboxTransport.SHM, MailboxContext.Io.AUTO);

    /** One record the observer got. */
    record Stamped(boolean sent, int member, int peer, int word, long timeNs) {
    }

    /** Records every call, in order. */
    static final class Recorder implements WordObserver {
        final int member;
        final List<Stamped> records;

        Recorder(int member, List<Stamped> records) {
            this.member = member;
            this.records = records;
        }

        @Override
        public boolean recording() {
            return true;
        }

        @Override
        public void sent(int peer, int word, long timeNs) {
            synchronized (records) {
                records.add(new Stamped(true, member, peer, word, timeNs));
            }
        }

        @Override
        public void received(int peer, int word, long timeNs) {
            synchronized (records) {
                records.add(new Stamped(false, member, peer, word, timeNs));
            }
        }
    }

    @AfterEach
    void close() {
        members.close();
    }

    @Test
    void everyWordIsDeliveredNoEarlierThanItWasSentAndAHandlersAnswerCarriesTheHandlingsStamp() {
        List<Stamped> records = new ArrayList<>();
        Mailbox a = members.start(members.context(0).wordObserver(new Recorder(0, records)).connectTimeout(WAIT));
        Mailbox b = members.start(members.context(1).wordObserver(new Recorder(1, records)).connectTimeout(WAIT));
        for (int i = 0; i < 300; i++) {
            a.ping(1, WAIT);
        }
        a.pingFromInterruptContext(1, 300, WAIT);
        b.pingFromInterruptContext(0, 300, WAIT);
        assertThat(a.carrier(1)).contains(MailboxTransport.SHM);

        // the answering side records a PING's delivery and its PONG after the PONG has left, so the last round trip's
        // records may still be on their way when the requester has its answer: wait (bounded) for every word's two
        int expected = 2 * 2 * (300 + 300 + 300);
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Stamped> all;
        while (true) {
            synchronized (records) {
                all = List.copyOf(records);
            }
            if (all.size() >= expected || System.nanoTime() - deadline > 0) {
                break;
            }
            LockSupport.parkNanos(1_000_000);
        }
        assertThat(all).as("records of every word sent and received, within %s", WAIT).hasSize(expected);
        // per sender, receiver and word, the k-th send is the k-th delivery (a pair's words arrive in order)
        Map<List<Integer>, List<Stamped>> sends = new HashMap<>();
        Map<List<Integer>, List<Stamped>> deliveries = new HashMap<>();
        for (Stamped record : all) {
            if (record.sent()) {
                sends.computeIfAbsent(List.of(record.member(), record.peer(), record.word()), k -> new ArrayList<>()).add(record);
            } else {
                deliveries.computeIfAbsent(List.of(record.peer(), record.member(), record.word()), k -> new ArrayList<>()).add(record);
            }
        }
        assertThat(deliveries.keySet()).isEqualTo(sends.keySet());
        int words = 0;
        for (Map.Entry<List<Integer>, List<Stamped>> entry : sends.entrySet()) {
            List<Stamped> delivered = deliveries.get(entry.getKey());
            assertThat(delivered).as("deliveries of %s", entry.getKey()).hasSameSizeAs(entry.getValue());
            for (int k = 0; k < delivered.size(); k++) {
                assertThat(delivered.get(k).timeNs()).as("word %s delivered no earlier than sent", entry.getKey())
                    .isGreaterThanOrEqualTo(entry.getValue().get(k).timeNs());
                words++;
            }
        }
        assertThat(words).isEqualTo(2 * (300 + 300 + 300));
        // a PONG sent by the PING's handler on the interrupt context carries the stamp of that PING's delivery
        for (int member : new int[] {0, 1}) {
            List<Stamped> own = all.stream().filter(r -> r.member() == member).toList();
            long answered = 0;
            for (int i = 1; i < own.size(); i++) {
                Stamped pong = own.get(i);
                if (pong.sent() && MailboxWord.typeCode(pong.word()) == MailboxType.PONG.code()) {
                    Stamped ping = own.get(i - 1);
                    assertThat(ping.sent()).as("the PING delivered just before its PONG went").isFalse();
                    assertThat(MailboxWord.payload(ping.word())).isEqualTo(MailboxWord.payload(pong.word()));
                    assertThat(pong.timeNs()).isEqualTo(ping.timeNs());
                    answered++;
                }
            }
            assertThat(answered).as("PONGs member %d answered", member).isEqualTo(member == 1 ? 600 : 300);
        }
    }
}
