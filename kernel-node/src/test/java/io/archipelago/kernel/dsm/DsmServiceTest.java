package io.archipelago.kernel.dsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.kernel.InJvmCluster;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.PageDirectory;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.typed.region.SoftwareCoherence.CoherentView;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.proto.Location;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DSM's fault path (requester) and answer path (holder) between kernels attached in this
 * JVM: real global memory and page directory, real mailboxes between them, one
 * {@link DsmService} per kernel built as the composition root builds it. Processes are not the
 * point here; the DSM across processes is tested by the integration tests.
 */
@Timeout(60)
class DsmServiceTest {

    private static final Duration FAULT_TIMEOUT = Duration.ofMillis(1500);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int PAGES = 2;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    @TempDir
    Path directory;

    private InJvmCluster cluster;
    private int pageSize;
    private long offset;
    private long firstFrame;

    @BeforeEach
    void createCluster() {
        cluster = InJvmCluster.create(directory, 4);
        GlobalMemory memory = cluster.memory();
        pageSize = memory.geometry().pageSize();
        // a region's pages as the typed allocator would place them: in a data block, page aligned
        offset = (long) memory.ownership().firstDataBlock() * memory.geometry().blockSize();
        firstFrame = memory.pageFrame(offset);
    }

    @AfterEach
    void closeCluster() {
        cluster.close();
    }

    /** A kernel with its mailbox and its DSM, both started. */
    private Node node(int id) {
        Kernel kernel = cluster.attach(id);
        Mailbox mailbox = start(new MailboxService(kernel)).mailbox();
        DsmService dsm = start(new DsmService(kernel, mailbox, FAULT_TIMEOUT));
        cluster.running(id);
        return new Node(kernel, mailbox, dsm, dsm.open(contract()));
    }

    /** A kernel with a mailbox but no DSM: it never answers GET_EXCLUSIVE. */
    private Mailbox silent(int id) {
        Kernel kernel = cluster.attach(id);
        Mailbox mailbox = start(new MailboxService(kernel)).mailbox();
        cluster.running(id);
        return mailbox;
    }

    private <S extends io.archipelago.kernel.KernelService> S start(S service) {
        try {
            service.start();
        } catch (Exception e) {
            throw new IllegalStateException(service.name() + " did not start", e);
        }
        return cluster.closeLater(service);
    }

    private Contract contract() {
        return Contract.newBuilder().setName("cells").setCoherence(Coherence.SOFTWARE)
            .setLocation(Location.newBuilder().setOffset(offset).setBytes((long) PAGES * pageSize).setPages(PAGES).setOwnerKernel(0))
            .build();
    }

    private record Node(Kernel kernel, Mailbox mailbox, DsmService dsm, CoherentView view) {
        void write(int page, long value) {
            long at = (long) page * view.cache().byteSize() / PAGES;
            view.guard().enter(at, 8, true);
            try {
                view.cache().set(LONG, at, value);
            } finally {
                view.guard().exit(at, 8);
            }
        }

        long read(int page) {
            long at = (long) page * view.cache().byteSize() / PAGES;
            view.guard().enter(at, 8, false);
            try {
                return view.cache().get(LONG, at);
            } finally {
                view.guard().exit(at, 8);
            }
        }

        long counter(String label) {
            return kernel.counters().value(label);
        }

        int state(int page) {
            return dsm.region("cells").orElseThrow().states().stateOf(page);
        }
    }

    private PageDirectory.Entry entry(int page) {
        return cluster.memory().pageDirectory().read(firstFrame + page);
    }

    private void holdInDirectory(int page, int holder) {
        PageDirectory directory = cluster.memory().pageDirectory();
        assertThat(directory.transfer(directory.read(firstFrame + page), holder)).as("directory entry of page %d moved", page).isTrue();
    }

    @Test
    void aRequesterWatchesForItsAnswerAboutTwiceTheAnswersRecentTimeBoundedEitherWay() {
        Node a = node(0);
        assertThat(a.dsm().replyWatchNanos()).as("before any answer: twice the first guess, within the bound")
            .isEqualTo(Math.min(DsmService.MAX_REPLY_WATCH_NANOS, 2 * DsmService.INITIAL_EXPECTED_ANSWER_NANOS));
        for (int i = 0; i < 200; i++) {
            a.dsm().answeredIn(TimeUnit.MICROSECONDS.toNanos(5));
        }
        assertThat(a.dsm().replyWatchNanos()).as("answers of 5 us: about 10 us of watching")
            .isBetween(TimeUnit.MICROSECONDS.toNanos(9), TimeUnit.MICROSECONDS.toNanos(12));
        for (int i = 0; i < 200; i++) {
            a.dsm().answeredIn(TimeUnit.SECONDS.toNanos(1));
        }
        assertThat(a.dsm().replyWatchNanos()).as("answers that come after a second (a holder whose access ran long): the bound, not more")
            .isBetween(DsmService.MAX_REPLY_WATCH_NANOS * 9 / 10, DsmService.MAX_REPLY_WATCH_NANOS);
        a.dsm().answeredIn(TimeUnit.MICROSECONDS.toNanos(5));
        assertThat(a.dsm().replyWatchNanos()).as("one stall cannot pin it high: a fast answer brings it under the bound at once")
            .isLessThan(DsmService.MAX_REPLY_WATCH_NANOS);
    }

    @Test
    void aPageNobodyHoldsIsClaimedFromGlobalMemoryWithoutAMessage() {
        cluster.memory().segment().set(LONG, offset, 7L); // what DRAM holds before anyone cached the page
        Node a = node(0);

        assertThat(a.read(0)).isEqualTo(7L);

        assertThat(entry(0).holder()).isEqualTo(0);
        assertThat(a.state(0)).isEqualTo(PageStates.VALID);
        assertThat(a.counter("dsm.claims")).isEqualTo(1);
        assertThat(a.counter("dsm.faults")).isEqualTo(1);
        assertThat(a.counter(MailboxCounter.sent(MailboxType.GET_EXCLUSIVE))).isZero();
        assertThat(entry(1).held()).as("the other page is untouched").isFalse();
    }

    @Test
    void aFaultGetsThePageFromItsHolderWhichWritesItBackAndInvalidatesItsCopy() {
        Node a = node(0);
        Node b = node(1);
        a.write(0, 42L);
        assertThat(cluster.memory().segment().get(LONG, offset)).as("a write stays in the holder's private copy").isZero();

        assertThat(b.read(0)).isEqualTo(42L);

        assertThat(entry(0).holder()).isEqualTo(1);
        assertThat(a.state(0)).isEqualTo(PageStates.INVALID);
        assertThat(b.state(0)).isEqualTo(PageStates.VALID);
        assertThat(cluster.memory().segment().get(LONG, offset)).as("written back before the answer").isEqualTo(42L);
        assertThat(a.counter("dsm.pages_sent")).isEqualTo(1);
        assertThat(a.counter("dsm.bytes_written_back")).isEqualTo(pageSize);
        assertThat(b.counter("dsm.pages_received")).isEqualTo(1);

        b.write(0, 43L);
        assertThat(a.read(0)).as("and back again").isEqualTo(43L);
        assertThat(entry(0).holder()).isEqualTo(0);
        assertThat(entry(0).version()).as("three changes of holder").isEqualTo(3);
    }

    @Test
    void aHolderDefersARequestWhileAnAccessIsInFlightAndHandsThePageOverWhenItEnds() throws Exception {
        Node a = node(0);
        Node b = node(1);
        a.view().guard().enter(0, 8, true); // a's access is in flight: the page is pinned
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> b.read(0));
        InJvmCluster.await(() -> a.counter("dsm.deferred_requests") == 1, WAIT, "kernel 0 defers kernel 1's GET_EXCLUSIVE");
        assertThat(read).as("kernel 1 waits while kernel 0's access lasts").isNotDone();

        a.view().cache().set(LONG, 0, 99L);
        a.view().guard().exit(0, 8); // the access ends: the page goes to the waiting requester

        assertThat(read.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(99L);
        assertThat(entry(0).holder()).isEqualTo(1);
        assertThat(a.state(0)).isEqualTo(PageStates.INVALID);
        assertThat(b.counter("dsm.busy_retries")).as("one exchange, no retry").isZero();
    }

    @Test
    void aPageHandedOverAheadIsClaimedByItsNewHolderWithoutAMessage() throws Exception {
        Node a = node(0);
        Node b = node(1);
        a.write(0, 42L);
        a.view().guard().enter(8, 8, true); // page 0 in use: handed over only once the access ends
        assertThat(a.dsm().handOver(offset, 2L * pageSize, 1)).as("page 1 is not held by kernel 0, page 0 is pinned").isZero();
        a.view().guard().exit(8, 8);

        assertThat(a.dsm().handOver(offset, 2L * pageSize, 1)).as("page 0 handed to kernel 1").isEqualTo(1);

        assertThat(entry(0).holder()).isEqualTo(1);
        assertThat(a.state(0)).isEqualTo(PageStates.INVALID);
        assertThat(cluster.memory().segment().get(LONG, offset)).as("written back before the directory moved").isEqualTo(42L);
        assertThat(b.read(0)).isEqualTo(42L);
        assertThat(b.counter(MailboxCounter.sent(MailboxType.GET_EXCLUSIVE))).as("the new holder claims it, no GET_EXCLUSIVE").isZero();
        assertThat(b.counter("dsm.claims")).isEqualTo(1);
    }

    @Test
    void aHolderAnswersNotHolderForAPageItDoesNotHoldOrDoesNotKnow() {
        Node a = node(0);
        Mailbox requester = silent(1);
        a.write(1, 5L);

        long invalidHere = firstFrame; // page 0 of the region: never obtained by kernel 0
        MailboxWord answer = requester.request(0, MailboxType.GET_EXCLUSIVE, (int) invalidHere, WAIT, DsmReplies.answers(invalidHere),
            MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
        assertThat(answer.type()).isEqualTo(MailboxType.NACK);
        assertThat(DsmReplies.refusal(answer.payload())).isEqualTo(DsmReplies.Refusal.NOT_HOLDER);

        long outside = firstFrame + PAGES + 10; // in no region kernel 0 opened
        answer = requester.request(0, MailboxType.GET_EXCLUSIVE, (int) outside, WAIT, DsmReplies.answers(outside),
            MailboxType.PUT_EXCLUSIVE, MailboxType.NACK);
        assertThat(answer.type()).isEqualTo(MailboxType.NACK);
        assertThat(DsmReplies.refusal(answer.payload())).isEqualTo(DsmReplies.Refusal.NOT_HOLDER);

        assertThat(a.state(1)).as("the page it holds is untouched").isEqualTo(PageStates.VALID);
        assertThat(entry(1).holder()).isZero();
    }

    @Test
    void aHolderThatLostItsPageRefusesAndTheRequesterRecoversItFromGlobalMemory() {
        Node a = node(0); // holds nothing: as a restarted kernel, whose previous incarnation held page 0
        Node b = node(1);
        holdInDirectory(0, 0);
        cluster.memory().segment().set(LONG, offset, 11L); // what the lost holder last wrote back

        assertThat(b.read(0)).isEqualTo(11L);

        assertThat(entry(0).holder()).isEqualTo(1);
        assertThat(b.counter("dsm.pages_recovered")).isEqualTo(1);
        assertThat(a.state(0)).isEqualTo(PageStates.INVALID);
        assertFaultEndsRecovered(b, 0);
    }

    @Test
    void aPageHeldByADeadKernelIsRecoveredFromGlobalMemory() {
        Node b = node(1);
        cluster.attach(2); // registered, never started a mailbox
        cluster.dead(2);
        holdInDirectory(0, 2);
        cluster.memory().segment().set(LONG, offset, 13L);

        assertThat(b.read(0)).isEqualTo(13L);

        assertThat(entry(0).holder()).isEqualTo(1);
        assertThat(b.counter("dsm.pages_recovered")).isEqualTo(1);
        assertFaultEndsRecovered(b, 2);
    }

    /** On the timeline, the fault's exchange ends with the page recovered from its holder, then usable. */
    private void assertFaultEndsRecovered(Node requester, int holder) {
        List<TraceRecord> page = requester.kernel().trace().snapshot().records().stream()
            .filter(r -> r.event().name().startsWith("DSM_") && r.subject() == (int) firstFrame).toList();
        assertThat(page).extracting(TraceRecord::event)
            .containsSubsequence(TraceEvent.DSM_GET_SENT, TraceEvent.DSM_PAGE_RECOVERED, TraceEvent.DSM_PAGE_USABLE)
            .doesNotContain(TraceEvent.DSM_PAGE_RECEIVED);
        assertThat(page).filteredOn(r -> r.event() == TraceEvent.DSM_PAGE_RECOVERED).extracting(TraceRecord::value)
            .containsExactly((long) holder);
    }

    @Test
    void aFaultOnAPageOfASilentHolderFailsAfterTheTimeoutNamingTheHolder() {
        Node b = node(1);
        silent(2);
        holdInDirectory(0, 2);
        long started = System.nanoTime();

        assertThatThrownBy(() -> b.read(0))
            .isInstanceOf(DsmTimeoutException.class)
            .hasMessageContaining("kernel k1 could not obtain page frame " + firstFrame)
            .hasMessageContaining("k2")
            .hasMessageContaining("within " + FAULT_TIMEOUT.toMillis() + " ms");

        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(tookMs).as("gave up after its deadline, not before").isGreaterThanOrEqualTo(FAULT_TIMEOUT.toMillis());
        assertThat(entry(0).holder()).as("the page stays with its holder").isEqualTo(2);
        assertThat(b.state(0)).isEqualTo(PageStates.INVALID);
        assertThat(b.counter("dsm.timeouts")).isEqualTo(1);
    }
}
