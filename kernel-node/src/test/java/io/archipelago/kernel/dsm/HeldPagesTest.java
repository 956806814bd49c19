package io.archipelago.kernel.dsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.kernel.InJvmCluster;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.dsm.views.DsmCell;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.access.HeldPages;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Coherence;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pages held at memory speed: inside a use ({@link HeldPages}) a page is pinned once and then
 * accessed with plain loads and stores, and a request for it waits for the holder's next
 * quiescent point, never longer; inside an exclusive section the body's view is bound to the held
 * element. Kernels attached in this JVM, real global memory, directory and mailboxes.
 */
@Timeout(60)
class HeldPagesTest {

    private static final Duration FAULT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    private InJvmCluster cluster;

    @BeforeEach
    void createCluster() {
        cluster = InJvmCluster.create(directory, 4);
    }

    @AfterEach
    void closeCluster() {
        cluster.close();
    }

    private record Node(Kernel kernel, DsmService dsm, TypedMemory typed) {
        long counter(String label) {
            return kernel.counters().value(label);
        }

        int word(String region, int page) {
            return dsm.region(region).orElseThrow().states().word(page);
        }
    }

    private Node node(int id) {
        Kernel kernel = cluster.attach(id);
        Mailbox mailbox = start(new MailboxService(kernel)).mailbox();
        DsmService dsm = start(new DsmService(kernel, mailbox, FAULT_TIMEOUT));
        cluster.running(id);
        kernel.memory().ownership().claimFree(id, 8);
        RegionRegistry registry = cluster.closeLater(RegionRegistry.open(kernel.context().clusterDirectory().regionsFile()));
        TypedMemory typed = TypedMemory.forKernel(kernel.memory(), registry,
            new TypedMemory.Identity(id, kernel.name(), kernel.incarnation(), DataModel.X86_64, kernel.context().coherenceDomain()));
        typed.useSoftwareCoherence(dsm);
        return new Node(kernel, dsm, typed);
    }

    private <S extends io.archipelago.kernel.KernelService> S start(S service) {
        try {
            service.start();
        } catch (Exception e) {
            throw new IllegalStateException(service.name() + " did not start", e);
        }
        return cluster.closeLater(service);
    }

    private static TypedRegion<DsmCell> cells(Node node, boolean create) {
        return create ? node.typed().create("cells", DsmCell.class, 400, ArrayLayout.ARRAY_OF_STRUCTS, Coherence.SOFTWARE, r -> { })
            : node.typed().attach("cells", DsmCell.class);
    }

    @Test
    void aHolderInALongUseGivesThePageUpAtItsNextQuiescentPointAndTheFaultCompletesWithinItsDeadline() throws Exception {
        Node a = node(0);
        Node b = node(1);
        TypedRegion<DsmCell> atA = cells(a, true);
        TypedRegion<DsmCell> atB = cells(b, false);

        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch quiesce = new CountDownLatch(1);
        AtomicBoolean stillInUse = new AtomicBoolean(true);
        AtomicLong pinsDuringUse = new AtomicLong(-1);
        AtomicLong quiescedAt = new AtomicLong();
        Thread holder = Thread.ofPlatform().name("long-step").start(() -> {
            HeldPages.begin();
            try {
                DsmCell cell = atA.at(0);
                long written = 0;
                for (int i = 0; i < 1_000; i++) {
                    cell.value(++written);
                    cell.writes(cell.writes() + 1);
                }
                pinsDuringUse.set(PageStates.pins(a.word("cells", 0)));
                holding.countDown();
                // a long step: it keeps using the page until told to reach its quiescent point
                while (quiesce.getCount() > 0) {
                    cell.value(++written);
                }
                cell.value(-1);
                stillInUse.set(false);
                quiescedAt.set(System.nanoTime());
                HeldPages.quiesce();
            } finally {
                HeldPages.end();
            }
        });
        assertThat(holding.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("kernel 0's step started").isTrue();
        assertThat(pinsDuringUse.get()).as("1,000 writes and 1,000 reads in a use pin the page once, not per access").isEqualTo(1);

        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> atB.at(0).value());
        InJvmCluster.await(() -> a.counter("dsm.deferred_requests") >= 1, WAIT, "kernel 0 defers kernel 1's GET_EXCLUSIVE while its use lasts");
        Thread.sleep(200); // the step goes on for a while: the requester must still be waiting, not refused nor served
        assertThat(read).as("kernel 1 waits for kernel 0's quiescent point").isNotDone();
        assertThat(stillInUse).isTrue();

        quiesce.countDown();
        long value = read.get(FAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        long served = System.nanoTime();
        holder.join(WAIT.toMillis());

        assertThat(value).as("the requester sees the holder's last write, made before its quiescent point").isEqualTo(-1);
        assertThat(Duration.ofNanos(served - quiescedAt.get())).as("served once the use ended").isLessThan(FAULT_TIMEOUT);
        assertThat(b.counter("dsm.timeouts")).isZero();
        assertThat(PageStates.state(a.word("cells", 0))).isEqualTo(PageStates.INVALID);
        assertThat(PageStates.pins(a.word("cells", 0))).as("no pin left behind").isZero();
    }

    @Test
    void pagesNobodyAskedForStayHeldAcrossQuiescentPointsAndAScanHoldsEveryPageItCrossed() throws Exception {
        Node a = node(0);
        Node b = node(1);
        TypedRegion<DsmCell> cells = cells(a, true);
        TypedRegion<DsmCell> atB = cells(b, false);
        long secondPage = 4096 / 24 + 1; // 24-byte cells: the first whose bytes all lie in page 1
        cells.at(secondPage).value(1); // page 1 VALID here first: a fault in a use would let page 0 go (no hold-and-wait)
        HeldPages.begin();
        try {
            DsmCell cell = cells.at(0);
            cell.value(5);
            cells.moveTo(cell, secondPage);
            cell.value(6);
            assertThat(PageStates.pins(a.word("cells", 0))).as("page 0, kept while the view moved on to page 1").isEqualTo(1);
            assertThat(PageStates.pins(a.word("cells", 1))).as("page 1, next to it: the view's range grew").isEqualTo(1);

            HeldPages.quiesce();
            assertThat(HeldPages.mine().held()).as("nobody asked: both pages stay held for the next batch").isEqualTo(2);
            assertThat(PageStates.pins(a.word("cells", 0))).isEqualTo(1);
            long before = a.counter("dsm.deferred_requests");
            cell.value(7); // a plain store, no pin taken
            assertThat(PageStates.pins(a.word("cells", 1))).isEqualTo(1);

            // another kernel asks for page 1: deferred while held, answered at the next quiescent point
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> atB.at(secondPage).value());
            InJvmCluster.await(() -> a.counter("dsm.deferred_requests") > before, WAIT, "kernel 0 defers kernel 1's GET_EXCLUSIVE");
            assertThat(read).as("held: the requester waits for the quiescent point").isNotDone();
            HeldPages.quiesce();
            assertThat(read.get(FAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("the holder's last write").isEqualTo(7);
            assertThat(HeldPages.mine().held()).as("a page asked for: the quiescent point let every page go").isZero();
            assertThat(PageStates.pins(a.word("cells", 0))).isZero();

            cells.moveTo(cell, 0);
            cell.value(8);
            HeldPages.idle();
            assertThat(PageStates.pins(a.word("cells", 0))).as("idle lets go of pages nobody asked for too").isZero();
            assertThat(cell.value()).as("and the view takes its page again").isEqualTo(8);
        } finally {
            HeldPages.end();
        }
        assertThat(PageStates.pins(a.word("cells", 0))).as("no pin left behind").isZero();
    }

    @Test
    void outsideAUseEveryAccessPinsAndUnpinsItsPageAsBefore() {
        Node a = node(0);
        TypedRegion<DsmCell> cells = cells(a, true);
        DsmCell cell = cells.at(5);
        cell.value(7);
        assertThat(cell.value()).isEqualTo(7);
        assertThat(PageStates.pins(a.word("cells", 0))).as("nothing held after the access").isZero();
    }

    @Test
    void anExclusiveViewReachesOnlyItsElementAndNothingAfterItsSection() {
        Node a = node(0);
        TypedRegion<DsmCell> cells = cells(a, true);
        long before = cells.exclusive(3, c -> {
            c.writes(c.writes() + 1);
            assertThat(PageStates.pins(a.word("cells", 0))).as("the section's pin, none per access").isEqualTo(1);
            return c.writes();
        });
        assertThat(before).isEqualTo(1);

        DsmCell[] escaped = new DsmCell[1];
        assertThatThrownBy(() -> cells.exclusive(3, c -> {
            escaped[0] = c;
            cells.moveTo(c, 4);
            return c.value();
        })).isInstanceOf(IndexOutOfBoundsException.class)
            .hasMessageContaining("bytes [96, 104) of region 'cells'")
            .hasMessageContaining("outside the element the exclusive section holds, bytes [72, 96)");
        assertThatThrownBy(() -> escaped[0].value()).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("exclusive section that has ended");
        assertThat(PageStates.pins(a.word("cells", 0))).as("the refused section let its page go").isZero();

        // nested sections get views of their own, and the outer one keeps its element
        long sum = cells.exclusive(3, outer -> outer.writes() + cells.exclusive(4, inner -> {
            inner.writes(10);
            return inner.writes();
        }) + outer.writes());
        assertThat(sum).isEqualTo(12);
    }

    @Test
    void threadsTakingTurnsAtSectionsOverOneRegionEachUseTheirOwnViewAndLoseNoUpdate() throws Exception {
        Node a = node(0);
        TypedRegion<DsmCell> cells = cells(a, true);
        int threads = 3;
        int each = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        java.util.List<CompletableFuture<Void>> done = new java.util.ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        for (int t = 0; t < threads; t++) {
            int element = 10 + t;
            done.add(CompletableFuture.runAsync(() -> {
                HeldPages.begin();
                try {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        // the shared counter, and one of its own: a view another thread moved would write another element
                        cells.exclusiveAsLong(0, c -> {
                            c.writes(c.writes() + 1);
                            return 0;
                        });
                        cells.exclusiveAsLong(element, c -> {
                            c.value(c.value() + 1);
                            return c.value();
                        });
                        if (i % 1_000 == 0) {
                            HeldPages.quiesce();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    HeldPages.end();
                }
            }, pool));
        }
        start.countDown();
        try {
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(WAIT.toMillis() * 3, TimeUnit.MILLISECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(cells.at(0).writes()).as("increments of one element by %d threads in sections", threads).isEqualTo((long) threads * each);
        for (int t = 0; t < threads; t++) {
            assertThat(cells.at(10 + t).value()).as("thread %d's own element", t).isEqualTo(each);
        }
        assertThat(PageStates.pins(a.word("cells", 0))).as("every section's pin let go at the end of its use").isZero();
    }

    @Test
    void aSectionsStripeStaysWithItsUseUntilAQuiescentPointAfterAnotherThreadAskedForIt() throws Exception {
        Node a = node(0);
        TypedRegion<DsmCell> cells = cells(a, true);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch asked = new CountDownLatch(1);
        AtomicLong keptBeforeAsked = new AtomicLong(-1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<Long> holder = CompletableFuture.supplyAsync(() -> {
                HeldPages.begin();
                try {
                    cells.exclusiveAsLong(3, c -> {
                        c.value(c.value() + 1);
                        return 0;
                    });
                    HeldPages.quiesce(); // nobody asked: the page and the stripe stay with the use
                    keptBeforeAsked.set(HeldPages.mine().held());
                    held.countDown();
                    asked.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    // the other thread's section waits for this thread's quiescent point: the use goes on until it sees the request
                    while (HeldPages.mine().held() > 0 && System.nanoTime() - deadline < 0) {
                        cells.exclusiveAsLong(3, c -> c.value());
                        HeldPages.quiesce();
                        Thread.onSpinWait();
                    }
                    return (long) HeldPages.mine().held();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                } finally {
                    HeldPages.end();
                }
            }, pool);
            assertThat(held.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the holder's first section").isTrue();
            CompletableFuture<Long> other = CompletableFuture.supplyAsync(() -> {
                asked.countDown();
                return cells.exclusiveAsLong(3, c -> {
                    c.value(c.value() + 10);
                    return c.value();
                });
            }, pool);
            assertThat(other.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("the other thread's section, after the holder let go").isEqualTo(11);
            assertThat(keptBeforeAsked.get()).as("pages the use kept while nobody asked").isEqualTo(1);
            assertThat(holder.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("pages the holder kept after it was asked").isZero();
        } finally {
            pool.shutdownNow();
        }
        assertThat(PageStates.pins(a.word("cells", 0))).as("every pin let go").isZero();
    }

    @Test
    void twoUsesEachWantingTheStripeTheOtherKeepsBothGetThere() throws Exception {
        Node a = node(0);
        TypedRegion<DsmCell> cells = cells(a, true);
        long perPage = 4096 / cells.layout().size();
        long[] element = {1, perPage + 1}; // two pages, two stripes
        java.util.concurrent.CyclicBarrier bothHold = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<CompletableFuture<Long>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long mine = element[t];
                long theirs = element[1 - t];
                done.add(CompletableFuture.supplyAsync(() -> {
                    HeldPages.begin();
                    try {
                        cells.exclusiveAsLong(mine, c -> {
                            c.value(c.value() + 1);
                            return 0;
                        });
                        bothHold.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                        // no quiescent point on either side: each waits for a stripe the other keeps, and lets go of its own first
                        return cells.exclusiveAsLong(theirs, c -> {
                            c.value(c.value() + 1);
                            return c.value();
                        });
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    } finally {
                        HeldPages.end();
                    }
                }, pool));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(cells.at(element[0]).value()).isEqualTo(2);
        assertThat(cells.at(element[1]).value()).isEqualTo(2);
        assertThat(PageStates.pins(a.word("cells", 0)) + PageStates.pins(a.word("cells", 1))).as("every pin let go").isZero();
    }
}
