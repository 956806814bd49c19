package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LinkFaultsTest {

    private static final Duration SECOND = Duration.ofSeconds(1);

    @Test
    void wordsFromAPeerAreDroppedDuplicatedDelayedAndReorderedAsTheRuleSays() {
        try (TestMembers members = new TestMembers()) {
            Mailbox a = members.start(0);
            Mailbox b = members.start(1);
            List<Integer> seen = new CopyOnWriteArrayList<>();
            b.onInterrupt(MailboxType.IRQ, irq -> seen.add(irq.payload()));
            a.ping(1, SECOND);

            b.linkFaults().set(0, LinkFaults.Rule.cut());
            a.send(1, MailboxType.IRQ, 1);
            assertThatThrownBy(() -> a.ping(1, Duration.ofMillis(300))).as("the link from a is cut").isInstanceOf(MailboxException.class);
            assertThat(seen).isEmpty();

            b.linkFaults().set(0, new LinkFaults.Rule(0, 1, 0, 0));
            a.send(1, MailboxType.IRQ, 2);
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
            assertThat(seen).containsExactly(2, 2);

            b.linkFaults().set(0, new LinkFaults.Rule(0, 0, 0, 200));
            long start = System.nanoTime();
            assertThat(a.ping(1, Duration.ofSeconds(5))).isPositive();
            assertThat(System.nanoTime() - start).as("the PING waited its 200 ms").isGreaterThan(190_000_000L);

            seen.clear();
            b.linkFaults().set(0, new LinkFaults.Rule(0, 0, 1, 0));
            a.send(1, MailboxType.IRQ, 3); // held back behind the next word, or at most 50 ms
            a.send(1, MailboxType.IRQ, 4);
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
            assertThat(seen).containsExactlyInAnyOrder(3, 4); // the order is checked below, without a clock in the way
            b.linkFaults().clear();

            LinkFaults.Injected injected = b.linkFaults().injected();
            assertThat(injected.dropped()).isGreaterThanOrEqualTo(2);
            assertThat(injected.duplicated()).isEqualTo(1);
            assertThat(injected.delayed()).isEqualTo(1);
            assertThat(injected.reordered()).isGreaterThanOrEqualTo(1);
            assertThat(a.ping(1, SECOND)).as("no rule left").isPositive();
        }
    }

    @Test
    void aWordHeldBackComesAfterThePeersNextWord() {
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        // the timer's one thread is kept busy until the swap is checked: on a loaded host this thread may be descheduled for
        // longer than the reorder window, and the window's own release must not overtake the next word in the test
        java.util.concurrent.CountDownLatch swapChecked = new java.util.concurrent.CountDownLatch(1);
        timer.execute(() -> {
            try {
                swapChecked.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            LinkFaults faults = new LinkFaults();
            faults.set(7, new LinkFaults.Rule(0, 0, 1, 0));
            List<Integer> delivered = new CopyOnWriteArrayList<>();
            faults.apply(7, 1, delivered::add, timer);
            assertThat(delivered).isEmpty();
            faults.apply(7, 2, delivered::add, timer);
            assertThat(delivered).containsExactly(2, 1);
            swapChecked.countDown();
            faults.apply(7, 3, delivered::add, timer); // held back, and no word follows: delivered within the window
            await().atMost(Duration.ofSeconds(5)).until(() -> delivered.size() == 3);
            assertThat(faults.injected().reordered()).isEqualTo(2);
        } finally {
            timer.shutdownNow();
        }
    }

    @Test
    void theSameSeedGivesTheSameFaultsToTheSameWords() {
        assertThat(drops(42)).isEqualTo(drops(42)).isNotEqualTo(drops(43));
    }

    private static List<Integer> drops(long seed) {
        LinkFaults faults = new LinkFaults();
        faults.seed(seed);
        faults.set(7, new LinkFaults.Rule(0.5, 0, 0, 0));
        List<Integer> delivered = new CopyOnWriteArrayList<>();
        for (int word = 0; word < 64; word++) {
            faults.apply(7, word, delivered::add, null);
        }
        assertThat(delivered.size()).isBetween(10, 54);
        return delivered;
    }

    @Test
    void badRatesAreRefusedWithWhatWasExpected() {
        assertThatThrownBy(() -> new LinkFaults.Rule(1.5, 0, 0, 0)).hasMessageContaining("drop rate: expected 0 to 1, found 1.5");
        assertThatThrownBy(() -> new LinkFaults.Rule(0, 0, 0, -1)).hasMessageContaining("expected 0 to 60000 ms, found -1");
    }
}
