package io.archipelago.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class PageDirectoryTest {

    @TempDir
    Path dir;

    @Test
    void aFreshDirectoryHoldsNothingAndEveryChangeBumpsTheVersion() {
        Path file = dir.resolve("memory.img");
        try (GlobalMemory memory = GlobalMemory.create(file, "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             GlobalMemory other = GlobalMemory.attach(file, "k2")) {
            PageDirectory directory = memory.pageDirectory();
            assertThat(directory.pages()).isEqualTo(memory.geometry().pageCount());
            PageDirectory.Entry fresh = directory.read(300);
            assertThat(fresh.held()).isFalse();
            assertThat(fresh.version()).isZero();

            assertThat(directory.transfer(fresh, 0)).isTrue();
            PageDirectory.Entry held = other.pageDirectory().read(300);
            assertThat(held.holder()).as("seen through another mapping").isZero();
            assertThat(held.version()).isEqualTo(1);
            assertThat(directory.transfer(fresh, 1)).as("a decision on a stale read fails").isFalse();
            assertThat(directory.transfer(held, PageDirectory.NO_HOLDER)).isTrue();
            assertThat(directory.read(300)).isEqualTo(new PageDirectory.Entry(300, PageDirectory.NO_HOLDER, 2));
            assertThatThrownBy(() -> directory.read(memory.geometry().pageCount())).hasMessageContaining("outside global memory");
        }
    }

    @Test
    void ofKernelsRacingForOnePageExactlyOneWins() throws Exception {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2)) {
            PageDirectory directory = memory.pageDirectory();
            for (int round = 0; round < 200; round++) {
                PageDirectory.Entry seen = directory.read(7);
                AtomicInteger winners = new AtomicInteger();
                CountDownLatch start = new CountDownLatch(1);
                Thread[] racers = new Thread[4];
                for (int k = 0; k < racers.length; k++) {
                    int kernel = k;
                    racers[k] = Thread.ofPlatform().start(() -> {
                        try {
                            start.await();
                        } catch (InterruptedException e) {
                            return;
                        }
                        if (directory.transfer(seen, kernel)) {
                            winners.incrementAndGet();
                        }
                    });
                }
                start.countDown();
                for (Thread racer : racers) {
                    racer.join();
                }
                assertThat(winners).hasValue(1);
                assertThat(directory.read(7).version()).isEqualTo(seen.version() + 1);
            }
        }
    }
}
