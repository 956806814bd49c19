package io.archipelago.kernel.nightwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.kernel.task.model.TaskTable;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** K2's rule as one gate word: normal and NightWatch threads racing on two "kernels" never run at once. */
@Timeout(60)
class NightWatchGateTest {

    @TempDir
    Path dir;

    @Test
    void normalAndNightWatchThreadsNeverRunAtOnce() throws InterruptedException {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "gate", new MemoryGeometry(16L << 20, 4096, 1 << 20, 4), 2);
             RegionRegistry registry = RegionRegistry.create(dir.resolve("regions.cm"))) {
            memory.ownership().claimFree(0, 4);
            memory.ownership().claimFree(1, 4);
            TaskTable strong = TaskTable.open(TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(0, "strong", 1, DataModel.X86_64)), 16, io.archipelago.typed.proto.Coherence.HARDWARE);
            TaskTable weak = TaskTable.open(TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(1, "weak", 2, DataModel.ARMV7)), 16, io.archipelago.typed.proto.Coherence.HARDWARE);
            long leader = strong.claimSlot(0, 1);
            NightWatchGate normalSide = new NightWatchGate(strong.gateWord());
            NightWatchGate nightWatchSide = new NightWatchGate(weak.gateWord());
            AtomicInteger normalRunning = new AtomicInteger();
            AtomicInteger nightWatchRunning = new AtomicInteger();
            AtomicLong violations = new AtomicLong();
            AtomicLong nightWatchRuns = new AtomicLong();
            AtomicLong normalRuns = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        normalSide.wake(leader);
                        while (NightWatchGate.running(normalSide.read(leader)) > 0) {
                            Thread.onSpinWait();
                        }
                        normalRunning.incrementAndGet();
                        if (nightWatchRunning.get() > 0) {
                            violations.incrementAndGet();
                        }
                        normalRuns.incrementAndGet();
                        normalRunning.decrementAndGet();
                        normalSide.sleep(leader);
                        Thread.yield();
                    }
                }));
                threads.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        if (nightWatchSide.tryEnter(leader)) {
                            nightWatchRunning.incrementAndGet();
                            if (normalRunning.get() > 0) {
                                violations.incrementAndGet();
                            }
                            nightWatchRuns.incrementAndGet();
                            nightWatchRunning.decrementAndGet();
                            nightWatchSide.leave(leader);
                        }
                        Thread.yield();
                    }
                }));
            }
            Thread.sleep(1_500);
            stop.set(true);
            for (Thread thread : threads) {
                thread.join();
            }
            assertThat(violations.get()).isZero();
            assertThat(normalRuns.get()).isPositive();
            assertThat(nightWatchRuns.get()).as("NightWatch threads ran whenever no normal thread was awake").isPositive();
            assertThat(normalSide.read(leader)).as("everything left the gate").isZero();
        }
    }
}
