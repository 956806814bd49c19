package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.task.proto.RaiseIrqRequest;
import io.archipelago.task.proto.SchedEventsReply;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.StepEvent;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.ThreadKind;
import io.archipelago.testing.MiniCluster;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRecord;
import io.archipelago.trace.TraceRing;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * K2's NightWatch rule across real kernel processes: a NightWatch thread runs if and only if every
 * normal thread of its process is suspended. Checked from the steps the kernels recorded (host
 * time, the same clock in every process of one host).
 */
class NightWatchIT {

    private static final List<IslandConfig> K2_PLATFORM = List.of(
        new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
        new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 1));

    @Test
    @Timeout(300)
    void nightWatchThreadsRunOnlyWhileEveryNormalThreadOfTheirProcessIsSuspended(TestInfo test) throws Exception {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(K2_PLATFORM), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            // normal threads wake often (a timer every few ms, and interrupts); NightWatch threads would run all the time
            SpawnReply normal = tasks.spawn("strong-0", "mail-sync", 2, false, 0, Map.of("irq", "3", "period-ms", "5", "sleep-ms", "3",
                "cycles", "20000"));
            int pid = normal.getPid();
            SpawnReply nightWatch = tasks.spawn("weak-0", "mail-sync", 2, true, pid, Map.of("irq", "3", "period-ms", "1", "sleep-ms", "0",
                "cycles", "5000"));
            assertThat(nightWatch.getPid()).isEqualTo(pid);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            boolean sawSuspended = false;
            while (System.nanoTime() < end) {
                cluster.tasks("strong-0", Tasks.CALL).raiseIrq(RaiseIrqRequest.newBuilder().setIrq(3).build());
                for (TaskInfo t : tasks.list("weak-0")) {
                    if (t.getPid() == pid && t.getKind() == ThreadKind.NIGHTWATCH && t.getState().equals("SUSPENDED")) {
                        sawSuspended = true;
                    }
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
            SchedEventsReply strong = tasks.events("strong-0", 0, false);
            SchedEventsReply weak = tasks.events("weak-0", 0, false);
            assertThat(strong.getDropped()).isZero();
            assertThat(weak.getDropped()).isZero();
            List<StepEvent> normalSteps = strong.getStepsList().stream().filter(s -> s.getPid() == pid && s.getKind() == ThreadKind.NORMAL)
                .sorted(Comparator.comparingLong(StepEvent::getHostStartNs)).toList();
            List<StepEvent> nightWatchSteps = weak.getStepsList().stream().filter(s -> s.getPid() == pid && s.getKind() == ThreadKind.NIGHTWATCH)
                .sorted(Comparator.comparingLong(StepEvent::getHostStartNs)).toList();
            assertThat(normalSteps).as("normal steps").hasSizeGreaterThan(100);
            assertThat(nightWatchSteps).as("NightWatch steps (they run whenever the normal threads sleep)").hasSizeGreaterThan(100);
            assertThat(overlaps(normalSteps, nightWatchSteps)).as("moments where a normal and a NightWatch thread of process " + pid
                + " both ran").isEmpty();
            assertThat(sawSuspended).as("a NightWatch thread seen SUSPENDED").isTrue();
            assertThat(counter(cluster.kernel("strong-0"), "nightwatch.suspend_sent")).isPositive();
            assertThat(counter(cluster.kernel("strong-0"), "nightwatch.acks_received")).isPositive();
            assertThat(counter(cluster.kernel("strong-0"), "nightwatch.resume_sent")).isPositive();
            assertThat(counter(cluster.kernel("weak-0"), "nightwatch.acks_sent")).isPositive();
            assertThat(counter(cluster.kernel("weak-0"), "nightwatch.resume_received")).isPositive();
            // and the rounds are on strong-0's timeline: each SUSPEND_NW to its NW_ACK a slice, each resume an instant
            try (TraceRing ring = TraceRing.open(TraceRing.fileFor(cluster.coordinator().directory().path(), cluster.kernelId("strong-0")))) {
                List<TraceRecord> records = ring.snapshot().records();
                assertThat(records).as("strong-0's suspension rounds of process " + pid)
                    .anyMatch(r -> r.event() == TraceEvent.NIGHTWATCH_SUSPEND && r.subject() == pid && r.value() > 0);
                assertThat(records).as("strong-0's resumes of process " + pid)
                    .anyMatch(r -> r.event() == TraceEvent.NIGHTWATCH_RESUME && r.subject() == pid && r.value() == cluster.kernelId("weak-0"));
            }
        }
    }

    @Test
    @Timeout(300)
    void aRunnableNormalThreadKeepsItsNightWatchThreadsOffUntilItEnds(TestInfo test) {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(K2_PLATFORM), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            SpawnReply normal = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("limit", "20000", "cycles", "100000"));
            int pid = normal.getPid();
            SpawnReply nightWatch = tasks.spawn("weak-0", "counter", 2, true, pid, Map.of("limit", "500", "cycles", "10000"));
            // Held while the normal thread runs: seen as such at least once (a snapshot of two descriptors is not atomic, so
            // the proof that they never ran together is the step events compared below, not these snapshots).
            boolean sawHeld = false;
            for (int i = 0; i < 10 && !sawHeld; i++) {
                for (int tid : nightWatch.getTidsList()) {
                    TaskInfo held = tasks.task("weak-0", tid).orElseThrow();
                    TaskInfo still = tasks.task("weak-0", normal.getTids(0)).orElseThrow();
                    if (!still.getState().equals("EXITED") && held.getSteps() == 0 && List.of("SUSPENDED", "READY").contains(held.getState())) {
                        sawHeld = true;
                    }
                }
            }
            assertThat(sawHeld).as("a NightWatch thread seen held (no step yet) while the normal thread ran").isTrue();
            TaskInfo done = tasks.await("weak-0", normal.getTids(0), t -> t.getState().equals("EXITED"), Duration.ofSeconds(120), "EXITED");
            assertThat(done.getSteps()).isEqualTo(20_000);
            long last = 0;
            for (int tid : nightWatch.getTidsList()) {
                TaskInfo finished = tasks.await("strong-0", tid, t -> t.getState().equals("EXITED"), Duration.ofSeconds(120),
                    "run to its end once the normal thread exited");
                assertThat(finished.getSteps()).isEqualTo(500);
                last = Math.max(last, finished.getRegs(2));
            }
            assertThat(last).as("the shared counter after the last increment").isEqualTo(21_000);
            SchedEventsReply weak = new Tasks(cluster).events("weak-0", 0, false);
            long firstNightWatchStep = weak.getStepsList().stream().filter(s -> s.getPid() == pid).mapToLong(StepEvent::getHostStartNs).min()
                .orElseThrow();
            long lastNormalStep = new Tasks(cluster).events("strong-0", 0, false).getStepsList().stream().filter(s -> s.getPid() == pid)
                .mapToLong(StepEvent::getHostEndNs).max().orElseThrow();
            assertThat(firstNightWatchStep).as("the first NightWatch step came after the normal thread's last").isGreaterThan(lastNormalStep);
        }
    }

    /** One strong kernel and two weak ones: a weak kernel dies while another stays alive. */
    private static final List<IslandConfig> TWO_WEAK = List.of(
        new IslandConfig("strong", "x86_64", 2, 1.0, "a", "cortex-a9", 1),
        new IslandConfig("weak", "armv7", 1, 0.25, "b", "cortex-m3", 2));

    @Test
    @Timeout(300)
    void aWeakKernelKilledWhileItsNightWatchThreadHoldsTheGateDoesNotKeepTheNormalThreadsOff(TestInfo test) {
        try (MiniCluster cluster = MiniCluster.start(Tasks.config(TWO_WEAK), test.getTestMethod().orElseThrow().getName())) {
            Tasks tasks = new Tasks(cluster);
            SpawnReply first = tasks.spawn("strong-0", "counter", 1, false, 0, Map.of("limit", "5000", "cycles", "1000000"));
            int pid = first.getPid();
            // a CPU-bound NightWatch thread that never ends: alone on its core, it stays on it (holding the gate) until a normal
            // thread of its process wakes
            SpawnReply nightWatch = tasks.spawn("weak-0", "counter", 1, true, pid, Map.of("limit", "0", "cycles", "10000"));
            // and one on weak-1 that outlives weak-0: without it, once the reaper finds weak-0 dead the process has no thread
            // left, has exited, and the normal thread below could not be spawned into it (a race the test lost under load)
            tasks.spawn("weak-1", "counter", 1, true, pid, Map.of("limit", "0", "cycles", "10000"));
            tasks.await("strong-0", first.getTids(0), t -> t.getState().equals("EXITED"), Duration.ofSeconds(60), "EXITED");
            int nightWatchTid = nightWatch.getTids(0);
            // read through weak-0 itself: a read through another kernel would fetch the descriptor's page and so write the
            // thread's RUNNING state back to global memory, where the reaper finds it after the kill and releases the gate by
            // itself; the gate must be released even when global memory still says the thread was not on a core
            long steps = tasks.await("weak-0", nightWatchTid, t -> t.getSteps() > 0, Duration.ofSeconds(60), "running").getSteps();
            TaskInfo running = tasks.await("weak-0", nightWatchTid, t -> t.getSteps() > steps + 100 && t.getState().equals("RUNNING"),
                Duration.ofSeconds(60), "RUNNING on its core, steps going up");
            assertThat(running.getKernel()).isEqualTo("weak-0");
            // The gate lives in the leader's descriptor (tid 1, exited), on a software-coherent page: reading the leader
            // through strong-0 fetches that page, so weak-0 writes it back with the NightWatch thread counted as running.
            // (Had weak-0 died with that count only in its own copy, the count would have died with it.)
            assertThat(tasks.task("strong-0", first.getTids(0)).orElseThrow().getState()).isEqualTo("EXITED");

            cluster.kill9("weak-0");
            // the NightWatch thread died on its core: the gate counts it as running, and weak-1 (with its own NightWatch thread,
            // which the round suspends) is still alive
            SpawnReply second = tasks.spawn("strong-0", "counter", 1, false, pid, Map.of("limit", "100", "cycles", "10000"));
            TaskInfo done = tasks.await("strong-0", second.getTids(0), t -> t.getState().equals("EXITED"), Duration.ofSeconds(60),
                "run to its end once weak-0 was found dead (the gate released)");
            assertThat(done.getSteps()).isEqualTo(100);
            assertThat(cluster.kernel("weak-0").getState()).isEqualTo("DEAD");
            assertThat(cluster.kernel("weak-1").getState()).isEqualTo("RUNNING");
            assertThat(counter(cluster.kernel("weak-1"), "nightwatch.acks_sent")).as("weak-1 answered the suspension round").isPositive();
            assertThat(counter(cluster.kernel("strong-0"), "nightwatch.gate_releases")).as("the dead kernel's share of the gate released")
                .isEqualTo(1);
        }
    }

    /** Pairs of steps, one from each list, whose host-time intervals intersect. */
    static List<String> overlaps(List<StepEvent> normal, List<StepEvent> nightWatch) {
        List<String> found = new ArrayList<>();
        int j = 0;
        for (StepEvent n : nightWatch) {
            while (j < normal.size() && normal.get(j).getHostEndNs() <= n.getHostStartNs()) {
                j++;
            }
            for (int k = j; k < normal.size() && normal.get(k).getHostStartNs() < n.getHostEndNs(); k++) {
                StepEvent m = normal.get(k);
                if (m.getHostStartNs() < n.getHostEndNs() && n.getHostStartNs() < m.getHostEndNs()) {
                    found.add("normal tid " + m.getTid() + " [" + m.getHostStartNs() + ", " + m.getHostEndNs() + ") and NightWatch tid "
                        + n.getTid() + " [" + n.getHostStartNs() + ", " + n.getHostEndNs() + ")");
                }
            }
        }
        return found;
    }

    private static long counter(KernelStatus kernel, String label) {
        return kernel.getCountersList().stream().filter(c -> c.getLabel().equals(label)).mapToLong(Counter::getValue).findFirst().orElse(0);
    }
}
