package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.auth.ClusterSecret;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link Mailbox} between members inside this JVM, over real TCP and Unix sockets. */
@Timeout(60)
class MailboxTest {

    private static final Duration SECOND = Duration.ofSeconds(1);
    /** Bringing a fresh pair's link up (class loading, the handshake's keys): seconds on a loaded host, not what these tests time. */
    private static final Duration LINK_UP = Duration.ofSeconds(20);

    TestMembers members = newMembers();

    /** The members every test starts with (a subclass runs the same tests over another transport). */
    TestMembers newMembers() {
        return new TestMembers();
    }

    @AfterEach
    void closeAll() {
        members.close();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"TCP, EPOLL", "TCP, NIO", "UNIX, EPOLL", "UNIX, NIO"})
    @Timeout(30)
    void pingsBothWays(MailboxTransport transport, MailboxContext.Io io) {
        members.close();
        members = new TestMembers(transport, io);
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        assertThat(a.io()).isEqualTo(io.name().toLowerCase());
        assertThat(a.endpoint()).get().extracting(MailboxEndpoint::transport).isEqualTo(transport);
        for (int i = 0; i < 200; i++) {
            assertThat(a.ping(1, SECOND)).isPositive();
            assertThat(b.ping(0, SECOND)).isPositive();
        }
        assertThat(members.count(0, MailboxCounter.sent(MailboxType.PING))).isEqualTo(200);
        assertThat(members.count(0, MailboxCounter.received(MailboxType.PONG))).isEqualTo(200);
        assertThat(members.count(1, MailboxCounter.received(MailboxType.PING))).isEqualTo(200);
        assertThat(members.count(1, MailboxCounter.sent(MailboxType.PONG))).isEqualTo(200);
        // one link per pair, whoever spoke first
        assertThat(members.count(0, MailboxCounter.LINKS.label())).isEqualTo(1);
        assertThat(members.count(1, MailboxCounter.LINKS.label())).isEqualTo(1);
        assertThat(members.count(0, MailboxCounter.DROPS.label()) + members.count(1, MailboxCounter.DROPS.label())).isZero();
    }

    @Test
    void requestGetsTheReplyOfAnAcceptedTypeWithItsSequenceNumber() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> {
            if (irq.payload() % 2 == 0) {
                irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload());
            } else {
                irq.reply(MailboxType.NACK, 7);
            }
        });
        for (int page = 0; page < 40; page++) {
            MailboxWord reply = a.request(1, MailboxType.GET_EXCLUSIVE, page, SECOND, MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
            if (page % 2 == 0) {
                assertThat(reply.type()).isEqualTo(MailboxType.PUT_EXCLUSIVE);
                assertThat(reply.payload()).isEqualTo(page);
            } else {
                assertThat(reply).extracting(MailboxWord::type, MailboxWord::payload).containsExactly(MailboxType.NACK, 7);
            }
        }
    }

    @Test
    void aReplyThatDoesNotAnswerTheWaitingRequestIsDroppedAndCounted() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        // B answers first as if for another page (a late reply to an earlier request with the same number), then for the one asked
        b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> {
            irq.reply(MailboxType.NACK, irq.payload() + 1);
            irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload() + 1);
            irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload());
        });
        for (int page = 0; page < 20; page++) {
            int asked = page;
            MailboxWord reply = a.request(1, MailboxType.GET_EXCLUSIVE, page, SECOND, (type, payload) -> payload == asked,
                MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
            assertThat(reply).extracting(MailboxWord::type, MailboxWord::payload).containsExactly(MailboxType.PUT_EXCLUSIVE, page);
        }
        assertThat(members.count(0, MailboxCounter.MISMATCHED_REPLIES.label())).isEqualTo(40);
    }

    @Test
    void aLateReplyCannotAnswerALaterRequestBecauseItsNumberIsNotReusedMeanwhile() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        List<Integer> sequences = new CopyOnWriteArrayList<>();
        AtomicReference<Interrupt> deferred = new AtomicReference<>();
        b.onInterrupt(MailboxType.SUSPEND_NW, irq -> {
            sequences.add(irq.sequence());
            if (irq.payload() == 1) {
                deferred.set(irq); // answered much later, as a holder answers a deferred request
            } else {
                irq.reply(MailboxType.NW_ACK, irq.payload());
            }
        });
        a.ping(1, LINK_UP); // the link is up: the request below times out waiting for its answer, not for the link
        assertThatThrownBy(() -> a.request(1, MailboxType.SUSPEND_NW, 1, Duration.ofMillis(200), MailboxType.NW_ACK))
            .isInstanceOf(MailboxException.class).hasMessageContaining("no NW_ACK from member-1 (kernel 1)");
        int held = deferred.get().sequence();
        // without a payload check: only the quarantine keeps the late NW_ACK(1) from answering one of these
        for (int pid = 2; pid < 50; pid++) {
            assertThat(a.request(1, MailboxType.SUSPEND_NW, pid, SECOND, MailboxType.NW_ACK).payload()).isEqualTo(pid);
        }
        assertThat(sequences.subList(1, sequences.size())).as("sequence numbers of the later requests").doesNotContain(held);
        deferred.get().reply(MailboxType.NW_ACK, 1);
        await().atMost(Duration.ofSeconds(2)).until(() -> members.count(0, MailboxCounter.LATE_REPLIES.label()) == 1);
        int before = sequences.size();
        for (int pid = 50; pid < 66; pid++) {
            assertThat(a.request(1, MailboxType.SUSPEND_NW, pid, SECOND, MailboxType.NW_ACK).payload()).isEqualTo(pid);
        }
        assertThat(sequences.subList(before, sequences.size())).as("once its late reply came, the number is used again").contains(held);
        assertThat(members.count(0, MailboxCounter.UNHANDLED.label())).isZero();
    }

    @ParameterizedTest
    @EnumSource(MailboxContext.Io.class)
    void interruptContextsThatPollBeforeBlockingSeeWordsAndKernelThreadsWords(MailboxContext.Io loopIo) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(loopIo != MailboxContext.Io.EPOLL || io.netty.channel.epoll.Epoll.isAvailable());
        try (TestMembers polling = new TestMembers(MailboxTransport.UNIX, loopIo)) {
            Mailbox a = polling.start(polling.context(0).loopSpin(Duration.ofNanos(50_000)));
            Mailbox b = polling.start(polling.context(1).loopSpin(Duration.ofNanos(50_000)));
            b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload()));
            // words from kernel threads reach the polling loop as tasks, replies as I/O events: both end its polling
            for (int page = 0; page < 2_000; page++) {
                assertThat(a.request(1, MailboxType.GET_EXCLUSIVE, page, SECOND, MailboxType.PUT_EXCLUSIVE).payload()).isEqualTo(page);
            }
            // and after a quiet spell longer than the polling, the loops block and still wake for the next word
            long quietUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
            while (System.nanoTime() - quietUntil < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            assertThat(b.request(0, MailboxType.PING, 7, SECOND, MailboxType.PONG).payload()).isEqualTo(7);
        }
        assertThatThrownBy(() -> members.context(2).loopSpin(Duration.ofMillis(2)).conclude())
            .hasMessageContaining("loop spin: expected 0 to 1000 us");
    }

    @Test
    void concurrentRequestersEachGetTheirOwnReply() throws Exception {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> irq.reply(MailboxType.PUT_EXCLUSIVE, irq.payload()));
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread[] threads = new Thread[6];
        for (int t = 0; t < threads.length; t++) {
            int base = t * 100_000;
            threads[t] = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300; i++) {
                        MailboxWord reply = a.request(1, MailboxType.GET_EXCLUSIVE, base + i, Duration.ofSeconds(5), MailboxType.PUT_EXCLUSIVE);
                        assertThat(reply.payload()).isEqualTo(base + i);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void orderIsKeptUnderLoadInBothDirectionsAtOnce() throws Exception {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        int words = 50_000;
        AtomicReference<Mailbox.StreamResult> fromB = new AtomicReference<>();
        Thread reverse = Thread.ofPlatform().start(() -> fromB.set(b.stream(0, words, SECOND, Duration.ofSeconds(30))));
        Mailbox.StreamResult fromA = a.stream(1, words, SECOND, Duration.ofSeconds(30));
        reverse.join();
        assertThat(fromA.words()).isEqualTo(words);
        assertThat(fromB.get().words()).isEqualTo(words);
        assertThat(members.count(1, MailboxCounter.received(MailboxType.NOP))).isEqualTo(words);
        assertThat(members.count(0, MailboxCounter.received(MailboxType.NOP))).isEqualTo(words);
        assertThat(members.count(0, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
        assertThat(members.count(1, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
        assertThat(members.count(0, MailboxCounter.DROPS.label()) + members.count(1, MailboxCounter.DROPS.label())).isZero();
    }

    @Test
    void aFullFifoMakesTheSenderWaitThenProceedInOrder() throws Exception {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> received = new CopyOnWriteArrayList<>();
        // A misbehaving handler that blocks the interrupt context, as a stopped kernel would: nothing more is consumed.
        b.onInterrupt(MailboxType.IRQ, irq -> {
            received.add(irq.payload());
            if (irq.payload() == 0) {
                awaitQuietly(release);
            }
        });
        a.ping(1, LINK_UP); // link up
        long before = members.count(0, MailboxCounter.FIFO_FULL_WAITS.label());
        for (int irq = 0; irq < 4; irq++) {
            a.send(1, MailboxType.IRQ, irq); // fills the FIFO of depth 4 (word 0 is stuck in its handler)
        }
        AtomicBoolean released = new AtomicBoolean();
        AtomicReference<Boolean> sentAfterRelease = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().start(() -> {
            a.send(1, MailboxType.IRQ, 4);
            sentAfterRelease.set(released.get());
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> members.count(0, MailboxCounter.FIFO_FULL_WAITS.label()) == before + 1);
        // it keeps waiting while the FIFO stays full: still there after 200 ms (a lower bound, which load cannot break)
        assertThat(sender.join(Duration.ofMillis(200))).as("the fifth send returned while the FIFO was full").isFalse();
        released.set(true);
        release.countDown();
        assertThat(sender.join(Duration.ofSeconds(10))).as("the fifth send returned once the FIFO drained").isTrue();
        assertThat(sentAfterRelease.get()).as("the fifth send returned only after the handler let the FIFO drain").isTrue();
        await().atMost(Duration.ofSeconds(2)).until(() -> received.size() == 5);
        assertThat(received).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void aFifoThatStaysFullFailsTheSenderNamingThePeer() {
        members.close();
        members = new TestMembers();
        // a bound above the 2 s default, so that the lower bound on the wait shows the configured one is applied
        Duration bound = MailboxConfiguration.FIFO_FULL_TIMEOUT_DEFAULT.plusSeconds(1);
        Mailbox a = members.start(members.context(0).fifoFullTimeout(bound));
        Mailbox b = members.start(1);
        CountDownLatch release = new CountDownLatch(1);
        b.onInterrupt(MailboxType.IRQ, irq -> awaitQuietly(release));
        try {
            for (int irq = 0; irq < 4; irq++) {
                a.send(1, MailboxType.IRQ, irq);
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> a.send(1, MailboxType.IRQ, 4))
                .isInstanceOf(MailboxException.class)
                .hasMessageContaining("member-1 (kernel 1)")
                .hasMessageContaining("stayed full")
                .satisfies(e -> assertThat(((MailboxException) e).reason()).isEqualTo(MailboxException.Reason.FIFO_FULL));
            // not before the bound; the upper end only says that it fails at all, with room for a loaded 2-core host
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(bound.toMillis() - 50, bound.toMillis() + 10_000);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aRequestWithoutReplyFailsAtItsDeadlineNamingThePeer() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        b.onInterrupt(MailboxType.SUSPEND_NW, irq -> { }); // never acknowledges
        long start = System.nanoTime();
        assertThatThrownBy(() -> a.request(1, MailboxType.SUSPEND_NW, 42, Duration.ofMillis(300), MailboxType.NW_ACK))
            .isInstanceOf(MailboxException.class)
            .hasMessageContaining("no NW_ACK from member-1 (kernel 1)")
            .hasMessageContaining("300 ms")
            .satisfies(e -> assertThat(((MailboxException) e).reason()).isEqualTo(MailboxException.Reason.NO_REPLY));
        // the message names the 300 ms bound; the time taken only has to show it was not cut short, and that it ended
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(290L, 300L + 10_000);
        assertThat(members.count(0, MailboxCounter.REQUEST_TIMEOUTS.label())).isEqualTo(1);
    }

    @Test
    void aPeerThatGoesAwayMidRequestFailsTheRequestAtOnce() throws Exception {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        CountDownLatch arrived = new CountDownLatch(1);
        b.onInterrupt(MailboxType.GET_EXCLUSIVE, irq -> arrived.countDown()); // holds on to the page
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        Thread requester = Thread.ofPlatform().start(() -> {
            try {
                a.request(1, MailboxType.GET_EXCLUSIVE, 5, Duration.ofSeconds(60), MailboxType.PUT_EXCLUSIVE);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        assertThat(arrived.await(5, TimeUnit.SECONDS)).isTrue();
        members.stop(b, "killed by the test");
        // at once, not at its 60 s deadline: told within 20 s even on a loaded host
        assertThat(requester.join(Duration.ofSeconds(20))).as("the requester was told that its peer went away").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(20_000);
        assertThat(failure.get()).isInstanceOf(MailboxException.class).hasMessageContaining("member-1 (kernel 1)").hasMessageContaining("closed");
        assertThat(((MailboxException) failure.get()).reason()).isEqualTo(MailboxException.Reason.DISCONNECTED);
        // and a dead peer is reported as such, at once
        assertThatThrownBy(() -> a.ping(1, SECOND)).isInstanceOf(MailboxException.class).hasMessageContaining("not alive")
            .hasMessageContaining("killed by the test");
    }

    @Test
    void aRestartedPeerIsReachedAgainAtItsNewEndpoint() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        a.ping(1, SECOND);
        MailboxEndpoint old = b.endpoint().orElseThrow();
        members.stop(b, "restarting");
        Mailbox again = members.start(1);
        assertThat(again.endpoint()).get().isNotEqualTo(old);
        // a learns of the old link's end on its own loop: a request sent before that may go on the old link and fail as
        // DISCONNECTED (its peer gone mid-request), which is right; reached again means after a saw the restart
        await().atMost(Duration.ofSeconds(5)).until(() -> members.count(0, MailboxCounter.LINK_LOSSES.label()) == 1);
        assertThat(a.ping(1, Duration.ofSeconds(3))).isPositive();
        assertThat(again.ping(0, SECOND)).isPositive();
        assertThat(members.count(0, MailboxCounter.LINKS.label())).isEqualTo(2);
        assertThat(members.count(0, MailboxCounter.LINK_LOSSES.label())).isEqualTo(1);
    }

    @Test
    void whenBothConnectAtOnceOneLinkWinsAndNoWordIsLost() throws Exception {
        for (int round = 0; round < 15; round++) {
            try (TestMembers pair = new TestMembers()) {
                Mailbox a = pair.start(0);
                Mailbox b = pair.start(1);
                AtomicInteger atA = new AtomicInteger();
                AtomicInteger atB = new AtomicInteger();
                a.onInterrupt(MailboxType.IRQ, irq -> atA.incrementAndGet());
                b.onInterrupt(MailboxType.IRQ, irq -> atB.incrementAndGet());
                CyclicBarrier start = new CyclicBarrier(2);
                List<Throwable> failures = new CopyOnWriteArrayList<>();
                Thread other = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int i = 0; i < 10; i++) {
                            b.send(0, MailboxType.IRQ, i);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                start.await();
                for (int i = 0; i < 10; i++) {
                    a.send(1, MailboxType.IRQ, i);
                }
                other.join();
                assertThat(failures).isEmpty();
                await().atMost(Duration.ofSeconds(2)).until(() -> atA.get() == 10 && atB.get() == 10);
                assertThat(a.ping(1, SECOND)).isPositive();
                assertThat(pair.count(0, MailboxCounter.LINKS.label())).as("round %d", round).isEqualTo(1);
                assertThat(pair.count(1, MailboxCounter.LINKS.label())).as("round %d", round).isEqualTo(1);
                assertThat(pair.count(0, MailboxCounter.DROPS.label()) + pair.count(1, MailboxCounter.DROPS.label())).isZero();
                assertThat(pair.count(0, MailboxCounter.AUTH_FAILURES.label()) + pair.count(1, MailboxCounter.AUTH_FAILURES.label())).isZero();
            }
        }
    }

    @Test
    void aMemberWithoutEndpointSendsAndIsAnsweredOnItsOwnLink() {
        Mailbox kernel = members.start(1);
        AtomicInteger irqs = new AtomicInteger();
        kernel.onInterrupt(MailboxType.IRQ, irq -> {
            irqs.incrementAndGet();
            irq.reply(MailboxType.ACK, irq.payload());
        });
        Mailbox coordinator = members.start(members.context(MemberIds.COORDINATOR).memberName("coordinator").serve(false));
        assertThat(coordinator.endpoint()).isEmpty();
        MailboxWord ack = coordinator.request(1, MailboxType.IRQ, 33, SECOND, MailboxType.ACK);
        assertThat(ack.payload()).isEqualTo(33);
        assertThat(irqs.get()).isEqualTo(1);
        // the kernel can send to the coordinator while the coordinator's link is up
        AtomicInteger atCoordinator = new AtomicInteger();
        coordinator.onInterrupt(MailboxType.BALLOON_REQUEST, irq -> atCoordinator.addAndGet(irq.payload()));
        kernel.send(MemberIds.COORDINATOR, MailboxType.BALLOON_REQUEST, 3);
        await().atMost(Duration.ofSeconds(2)).until(() -> atCoordinator.get() == 3);
        assertThat(kernel.ping(MemberIds.COORDINATOR, SECOND)).isPositive();
        // without a link, the kernel cannot reach a member that publishes no endpoint: a clear error, no hang
        coordinator.close();
        await().atMost(Duration.ofSeconds(2)).until(() -> !kernel.linked(MemberIds.COORDINATOR));
        assertThatThrownBy(() -> kernel.send(MemberIds.COORDINATOR, MailboxType.IRQ, 1)).isInstanceOf(MailboxException.class)
            .hasMessageContaining("only it can initiate");
    }

    @Test
    void theInterruptContextMayPostBeyondAFullFifoAndOrderIsKept() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        List<Integer> atB = new CopyOnWriteArrayList<>();
        CountDownLatch allPosted = new CountDownLatch(1);
        b.onInterrupt(MailboxType.MIGRATE, irq -> {
            atB.add(irq.payload());
            if (irq.payload() == 0) {
                awaitQuietly(allPosted); // B consumes nothing more until A posted all: its FIFO fills, whatever the timing
            }
        });
        // on A's interrupt context, one IRQ fans out 50 words to B, far beyond B's FIFO depth of 4
        a.onInterrupt(MailboxType.IRQ, irq -> {
            for (int i = 0; i < 50; i++) {
                irq.post(1, MailboxType.MIGRATE, i);
            }
            allPosted.countDown();
        });
        b.send(0, MailboxType.IRQ, 1);
        await().atMost(Duration.ofSeconds(3)).until(() -> atB.size() == 50);
        assertThat(atB).isSorted().hasSize(50);
        assertThat(members.count(0, MailboxCounter.BACKLOGGED.label())).isPositive();
        assertThat(members.count(0, MailboxCounter.LOST_WORDS.label())).isZero();
    }

    @Test
    void handlersMayNotBlockAndTheApiSaysSo() {
        Mailbox a = members.start(members.context(0).slowHandler(Duration.ofMillis(2)));
        Mailbox b = members.start(1);
        AtomicReference<Throwable> fromHandler = new AtomicReference<>();
        a.onInterrupt(MailboxType.IRQ, irq -> {
            assertThat(a.inInterruptContext()).isTrue();
            try {
                a.send(1, MailboxType.ACK, 0);
            } catch (Throwable e) {
                fromHandler.set(e);
            }
        });
        a.onInterrupt(MailboxType.MIGRATE, irq -> {
            throw new IllegalStateException("a buggy handler");
        });
        a.onInterrupt(MailboxType.RESUME_NW, irq -> {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        });
        b.send(0, MailboxType.IRQ, 0);
        b.send(0, MailboxType.MIGRATE, 0);
        b.send(0, MailboxType.RESUME_NW, 0); // a first run is not held against a handler (class loading)
        b.send(0, MailboxType.RESUME_NW, 1);
        await().atMost(Duration.ofSeconds(2)).until(() -> members.count(0, MailboxCounter.SLOW_HANDLERS.label()) == 1);
        assertThat(fromHandler.get()).isInstanceOf(MailboxException.class).hasMessageContaining("must never block");
        assertThat(((MailboxException) fromHandler.get()).reason()).isEqualTo(MailboxException.Reason.WOULD_BLOCK_INTERRUPT_CONTEXT);
        assertThat(members.count(0, MailboxCounter.HANDLER_ERRORS.label())).isEqualTo(1);
        assertThat(a.inInterruptContext()).isFalse();
        assertThat(b.ping(0, SECOND)).isPositive(); // the mailbox carries on
    }

    @Test
    void wordsNobodyWantsAreCountedAndDropped() {
        Mailbox a = members.start(0);
        members.start(1);
        a.send(1, MailboxType.BALLOON_GRANT, 9); // B registered no handler and waits for no grant
        a.send(1, MailboxType.PONG, 1);          // an unsolicited reply
        await().atMost(Duration.ofSeconds(2)).until(() -> members.count(1, MailboxCounter.UNHANDLED.label()) == 2);
        assertThat(members.count(1, MailboxCounter.DROPS.label())).isEqualTo(2);
        assertThat(a.ping(1, SECOND)).isPositive();
    }

    @Test
    void aMemberWithAWrongSecretIsRefusedAndCountedWhileMembersKeepTalking() {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        a.ping(1, SECOND);
        MailboxContext wrong = members.context(2).secret(ClusterSecret.generate());
        Mailbox impostor = Mailboxes.start(wrong);
        try {
            assertThatThrownBy(() -> impostor.ping(1, SECOND)).isInstanceOf(MailboxException.class)
                .hasMessageContaining("WRONG_PROOF")
                .satisfies(e -> assertThat(((MailboxException) e).reason()).isEqualTo(MailboxException.Reason.AUTHENTICATION));
            // and a member does not link to an impostor that answers at a member's endpoint
            members.directory.put(5, PeerAddress.alive(5, "fake", 1, impostor.endpoint().orElseThrow()));
            assertThatThrownBy(() -> a.ping(5, SECOND)).isInstanceOf(MailboxException.class);
        } finally {
            impostor.close();
        }
        assertThat(members.count(1, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(1);
        assertThat(a.ping(1, SECOND)).isPositive();
        assertThat(b.ping(0, SECOND)).isPositive();
    }

    @Test
    void asynchronousRequestsCompleteOnTheInterruptContextAndTimeOut() throws Exception {
        Mailbox a = members.start(0);
        Mailbox b = members.start(1);
        b.onInterrupt(MailboxType.SUSPEND_NW, irq -> {
            if (irq.payload() != 13) {
                irq.reply(MailboxType.NW_ACK, irq.payload());
            }
        });
        // a handler on A forwards an IRQ as a request to B and reacts to the answer, without ever blocking
        List<Integer> acknowledged = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        a.onInterrupt(MailboxType.IRQ, irq -> a.requestAsync(1, MailboxType.SUSPEND_NW, irq.payload(), SECOND, MailboxType.NW_ACK)
            .whenComplete((reply, error) -> {
                if (error != null) {
                    failure.set(error);
                } else {
                    assertThat(a.inInterruptContext()).isTrue();
                    acknowledged.add(reply.payload());
                }
            }));
        b.send(0, MailboxType.IRQ, 7);
        await().atMost(Duration.ofSeconds(2)).until(() -> acknowledged.contains(7));
        long start = System.nanoTime();
        MailboxWord unanswered = null;
        try {
            unanswered = a.requestAsync(1, MailboxType.SUSPEND_NW, 13, Duration.ofMillis(200), MailboxType.NW_ACK).get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(MailboxException.class).hasMessageContaining("no NW_ACK from member-1 (kernel 1)");
        }
        assertThat(unanswered).isNull();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("not before its 200 ms bound").isBetween(190L, 200L + 10_000);
        assertThat(failure.get()).isNull();
        assertThat(members.count(0, MailboxCounter.REQUEST_TIMEOUTS.label())).isEqualTo(1);
    }

    @Test
    void pingsChainedOnTheInterruptContext() {
        Mailbox a = members.start(0);
        members.start(1);
        long[] samples = a.pingFromInterruptContext(1, 500, SECOND);
        assertThat(samples).hasSize(500);
        assertThat(java.util.Arrays.stream(samples).min().orElseThrow()).isPositive();
        assertThat(members.count(1, MailboxCounter.received(MailboxType.PING))).isEqualTo(500);
    }

    @Test
    void invalidPayloadsAndSelfSendsAreRefused() {
        Mailbox a = members.start(0);
        assertThatThrownBy(() -> a.send(1, MailboxType.IRQ, 1 << 24)).hasMessageContaining("24 bits");
        assertThatThrownBy(() -> a.send(0, MailboxType.IRQ, 1)).hasMessageContaining("itself");
        assertThatThrownBy(() -> a.onInterrupt(MailboxType.NOP, irq -> { })).hasMessageContaining("NOP");
        assertThatThrownBy(() -> a.ping(9, Duration.ofMillis(300))).isInstanceOf(MailboxException.class)
            .hasMessageContaining("member 9 (kernel 9) is not in the directory");
    }

    @Test
    void aClosedMailboxFailsClearly() {
        Mailbox a = members.start(0);
        a.close();
        assertThatThrownBy(() -> a.ping(1, SECOND)).isInstanceOf(MailboxException.class).hasMessageContaining("closed");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
