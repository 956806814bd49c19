package io.archipelago.kernel.sched;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.kernel.energy.EnergyMeter;
import io.archipelago.kernel.energy.PowerModel;
import io.archipelago.program.Step;
import io.archipelago.kernel.task.model.TaskState;
import io.archipelago.program.WakeReason;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The scheduler's virtual time, slices, timers, interrupts and stops, with scripted threads (no shared memory). */
@Timeout(30)
class SchedulerTest {

    private static final long GHZ = 1_000_000_000L;
    private Scheduler scheduler;

    /** A thread whose n-th step is {@code script.apply(n)}; records when (virtual) each step started. */
    static final class Scripted extends SchedThread {
        final IntFunction<Step> script;
        final List<Long> starts = new CopyOnWriteArrayList<>();
        final List<WakeReason> wakeReasons = new CopyOnWriteArrayList<>();
        final CountDownLatch exited = new CountDownLatch(1);
        volatile long busyNs;
        volatile int voluntary;
        volatile int involuntary;
        volatile int exitCode = Integer.MIN_VALUE;
        int n;

        Scripted(int tid, IntFunction<Step> script) {
            super(tid, tid, false);
            this.script = script;
        }

        @Override
        protected Step runStep(int core, long virtualNs) {
            starts.add(virtualNs);
            wakeReasons.add(wokenBy());
            return script.apply(n++);
        }

        @Override
        protected void accountStep(long cycles, long virtualNs) {
            busyNs += virtualNs;
        }

        @Override
        protected void accountSwitch(boolean isVoluntary) {
            if (isVoluntary) {
                voluntary++;
            } else {
                involuntary++;
            }
        }

        @Override
        protected void publish() {
        }

        @Override
        protected void exited(int code, RuntimeException failure) {
            exitCode = code;
            exited.countDown();
        }

        boolean awaitExit() throws InterruptedException {
            return exited.await(20, TimeUnit.SECONDS);
        }
    }

    private Scheduler start(int cores, double speed, long sliceNs) {
        created(cores, speed, sliceNs).start();
        return scheduler;
    }

    /** A scheduler whose cores have not started yet: threads added now all compete from the first dispatch. */
    private Scheduler created(int cores, double speed, long sliceNs) {
        return created(cores, speed, sliceNs, Scheduler.Settings.DEFAULT_MAX_IDLE_PARK_NS);
    }

    private Scheduler created(int cores, double speed, long sliceNs, long maxIdleParkNs) {
        VirtualClock clock = VirtualClock.startingNow();
        Scheduler.Settings settings = new Scheduler.Settings(cores, new CoreSpeed(speed, GHZ), sliceNs, TimeUnit.MILLISECONDS.toNanos(1),
            TimeUnit.MILLISECONDS.toNanos(50), maxIdleParkNs);
        scheduler = new Scheduler("test", settings, clock, new CoreTimeline(cores, 10_000, clock.now()), new StepLog(10_000), Admission.ALWAYS,
            SchedCounters.NONE);
        return scheduler;
    }

    private static void add(Scheduler scheduler, SchedThread thread) {
        thread.place(TaskState.READY, scheduler.clock().now(), 0, SchedThread.NO_IRQ);
        scheduler.add(thread);
    }

    @AfterEach
    void stop() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    @Test
    void aCoreIsBusyForCyclesOverSpeedTimesBaseFrequency() throws InterruptedException {
        Scheduler s = start(1, 0.25, TimeUnit.MILLISECONDS.toNanos(4));
        Scripted thread = new Scripted(1, n -> n < 9 ? Step.next(1_000) : Step.exit(1_000, 7));
        add(s, thread);
        assertThat(thread.awaitExit()).isTrue();
        assertThat(thread.exitCode).isEqualTo(7);
        assertThat(thread.starts).hasSize(10);
        for (int i = 1; i < 10; i++) {
            assertThat(thread.starts.get(i) - thread.starts.get(i - 1)).as("1000 cycles at 0.25 x 1 GHz").isEqualTo(4_000);
        }
        assertThat(thread.busyNs).isEqualTo(40_000);
        assertThat(s.timeline().totals(0).busyNs()).isEqualTo(40_000);
        assertThat(s.steps().since(0, 100).records()).extracting(StepRecord::cycles).containsOnly(1_000L);
    }

    @Test
    void sleepsAreVirtualInstantsSoTheTimelineIsExactWhateverTheHost() throws InterruptedException {
        Scheduler s = start(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        long sleep = TimeUnit.MILLISECONDS.toNanos(2);
        Scripted thread = new Scripted(1, n -> n < 5 ? Step.sleep(3_000, sleep) : Step.exit(3_000, 0));
        add(s, thread);
        assertThat(thread.awaitExit()).isTrue();
        for (int i = 1; i < thread.starts.size(); i++) {
            assertThat(thread.starts.get(i) - thread.starts.get(i - 1)).as("step " + i + ": 3000 cycles, then a 2 ms sleep")
                .isEqualTo(3_000 + sleep);
            assertThat(thread.wakeReasons.get(i)).isEqualTo(WakeReason.TIMER);
        }
        assertThat(thread.voluntary).isEqualTo(5);
        List<CoreInterval> history = s.timeline().history(0);
        List<CoreInterval> idleBetween = history.stream().filter(i -> i.state() == CoreState.IDLE && i.startNs() >= thread.starts.getFirst())
            .toList();
        assertThat(idleBetween).hasSize(5).allSatisfy(i -> assertThat(i.durationNs()).isEqualTo(sleep));
        assertThat(s.timeline().totals(0).wakeups()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void threadsShareACoreBySlices() throws InterruptedException {
        Scheduler s = created(1, 1.0, TimeUnit.MICROSECONDS.toNanos(100));
        Scripted a = new Scripted(1, n -> n < 99 ? Step.next(10_000) : Step.exit(10_000, 0));
        Scripted b = new Scripted(2, n -> n < 99 ? Step.next(10_000) : Step.exit(10_000, 0));
        add(s, a);
        add(s, b); // both queued before the core starts: on a busy host, a could otherwise finish before b arrives
        s.start();
        assertThat(a.awaitExit()).isTrue();
        assertThat(b.awaitExit()).isTrue();
        assertThat(a.involuntary + b.involuntary).as("slices of 10 steps of 10 us").isGreaterThanOrEqualTo(15);
        List<StepRecord> steps = s.steps().since(0, 1000).records();
        int runs = 1;
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i).tid() != steps.get(i - 1).tid()) {
                runs++;
            }
            assertThat(steps.get(i).virtualStartNs()).as("back to back on one core").isEqualTo(steps.get(i - 1).virtualEndNs());
        }
        assertThat(runs).isGreaterThanOrEqualTo(16);
        assertThat(s.timeline().totals(0).busyNs()).isEqualTo(2_000_000);
    }

    @Test
    void anInterruptWakesTheThreadsWaitingOnItsLine() throws InterruptedException {
        Scheduler s = start(2, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        Scripted waiter = new Scripted(1, n -> n == 0 ? Step.waitIrq(100, 7, 0) : Step.exit(100, 0));
        Scripted timed = new Scripted(2, n -> n == 0 ? Step.waitIrq(100, 8, TimeUnit.MILLISECONDS.toNanos(5)) : Step.exit(100, 0));
        add(s, waiter);
        add(s, timed);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waiter.starts.isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        int woken = 0;
        while (woken == 0 && System.nanoTime() < deadline) {
            woken = s.irq(7); // until it is blocked
            Thread.sleep(1);
        }
        assertThat(woken).isEqualTo(1);
        assertThat(waiter.awaitExit()).isTrue();
        assertThat(waiter.wakeReasons.get(1)).isEqualTo(WakeReason.IRQ);
        assertThat(timed.awaitExit()).isTrue();
        assertThat(timed.wakeReasons.get(1)).as("nobody raised line 8: its timeout woke it").isEqualTo(WakeReason.TIMER);
        assertThat(timed.starts.get(1) - timed.starts.get(0)).isEqualTo(100 + TimeUnit.MILLISECONDS.toNanos(5));
    }

    @Test
    void aStoppedThreadLeavesAtAStepBoundaryAndContinuesElsewhere() throws Exception {
        Scheduler s = start(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        Scripted thread = new Scripted(1, n -> n < 2_000 ? Step.next(20_000) : Step.exit(20_000, 0));
        add(s, thread);
        awaitSteps(thread, 20);
        SchedThread stopped = s.stop(1).get(5, TimeUnit.SECONDS);
        assertThat(stopped).isSameAs(thread);
        assertThat(stopped.state()).isEqualTo(TaskState.READY);
        assertThat(s.thread(1)).isEmpty();
        int ranHere = thread.starts.size();
        // a witness on the same single core for 40 ms of virtual time: at the end of each of its 4 ms slices the core looks
        // for another ready thread, and would give a stopped thread that was still queued its turn
        Scripted witness = new Scripted(2, n -> Step.next(TimeUnit.MILLISECONDS.toNanos(1)));
        add(s, witness);
        awaitSteps(witness, 40);
        assertThat(witness.involuntary).as("slice ends at which another thread was ready").isZero();
        assertThat(thread.starts).as("no step after the stop").hasSize(ranHere);
        s.close();
        Scheduler other = start(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        thread.place(TaskState.READY, other.clock().now(), 0, SchedThread.NO_IRQ);
        other.add(thread);
        assertThat(thread.awaitExit()).isTrue();
        assertThat(thread.starts).as("every step ran exactly once").hasSize(2_001);
    }

    @Test
    void workHandedToAnIdleCoreRunsOnThatCoreWhichThenRunsTheThreadItAdded() throws Exception {
        Scheduler s = start(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        Scripted arrived = new Scripted(1, n -> Step.exit(1_000, 0));
        AtomicReference<String> ranOn = new AtomicReference<>();
        Runnable adoption = () -> {
            ranOn.set(Thread.currentThread().getName());
            add(s, arrived);
        };
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // the core parks as soon as it finds nothing to run; until then it is not idle
        while (!s.runOnIdleCore(adoption)) {
            assertThat(System.nanoTime() - deadline).as("the core never became idle").isNegative();
            Thread.onSpinWait();
        }
        assertThat(arrived.awaitExit()).isTrue();
        assertThat(ranOn.get()).isEqualTo("core-test-0");
    }

    @Test
    void noWorkIsHandedToACoreThatRunsAThread() throws Exception {
        Scheduler s = start(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4));
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Scripted busy = new Scripted(1, n -> {
            inStep.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Step.exit(1_000, 0);
        });
        add(s, busy);
        assertThat(inStep.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicReference<String> ranOn = new AtomicReference<>();
        assertThat(s.runOnIdleCore(() -> ranOn.set("ran"))).as("the only core is busy").isFalse();
        release.countDown();
        assertThat(busy.awaitExit()).isTrue();
        assertThat(ranOn.get()).isNull();
    }

    /** Waits, bounded, until {@code thread} has started {@code steps} steps. */
    private static void awaitSteps(Scripted thread, int steps) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (thread.starts.size() < steps) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + thread.tid() + " started " + thread.starts.size() + " steps in 20 s, expected " + steps);
            }
            Thread.sleep(1);
        }
    }

    /**
     * An idle core parks until work arrives or its (long) park ends; the energy of its idle time
     * must not depend on how often it woke meanwhile: the same sleeps, under a core that looks
     * again every millisecond and one that parks up to ten seconds, give the same intervals and
     * the same energy to the picojoule.
     */
    @Test
    void anIdleCoresEnergyDoesNotDependOnHowOftenItWakes() throws InterruptedException {
        PowerModel model = PowerModel.parse("cortex-a9;active-mw=100;idle-mw=10;sleep-mw=1;wakeup-uj=5;sleep-after-us=10000");
        long sleep = TimeUnit.MILLISECONDS.toNanos(30);
        EnergyMeter.Energy[] energy = new EnergyMeter.Energy[2];
        long[] parks = {TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(10)};
        for (int run = 0; run < parks.length; run++) {
            Scheduler s = created(1, 1.0, TimeUnit.MILLISECONDS.toNanos(4), parks[run]);
            s.start();
            Scripted thread = new Scripted(1, n -> n < 3 ? Step.sleep(1_000_000, sleep) : Step.exit(1_000_000, 0));
            add(s, thread);
            long hostStart = System.nanoTime();
            assertThat(thread.awaitExit()).isTrue();
            assertThat(System.nanoTime() - hostStart).as("woken by its timers, not by the end of a 10 s park").isLessThan(TimeUnit.SECONDS.toNanos(5));
            s.close();
            // the intervals from the first step on (before it: the wait for the host to start the thread)
            long first = thread.starts.getFirst();
            CoreTimeline replay = new CoreTimeline(1, 64, first);
            EnergyMeter meter = new EnergyMeter(model, 1, first, 0);
            replay.addListener(meter);
            for (CoreInterval i : s.timeline().history(0)) {
                if (i.startNs() >= first && i.endNs() <= thread.starts.getLast() + 1_000_000) {
                    replay.record(0, i.state(), i.startNs(), i.endNs());
                }
            }
            replay.flush();
            energy[run] = meter.closed();
            scheduler = null;
        }
        // 4 steps of 1 ms at 100 mW; 3 sleeps of 30 ms: 10 ms idle at 10 mW, 20 ms asleep at 1 mW, and a wake-up after each
        EnergyMeter.Energy expected = new EnergyMeter.Energy(4 * 100_000_000L, 3 * 100_000_000L, 3 * 20_000_000L, 3 * 5_000_000L, 0, 3, 0, 0);
        assertThat(energy[0]).isEqualTo(expected);
        assertThat(energy[1]).isEqualTo(expected);
    }
}
