package io.archipelago.bench.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.bench.faults.RegisterLinearizability.Operation;
import io.archipelago.task.proto.TaskInfo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The campaign's checkers fail on histories and tables that break their invariant, and pass on those that do not. */
@Timeout(60)
class FaultCheckersTest {

    private static long value(int kernel, int thread, int seq) {
        return ((long) (kernel + 1) << 40) | ((long) thread << 24) | seq;
    }

    private static TaskInfo task(int tid, String state, int kernel, int migratingTo, int exitCode) {
        return TaskInfo.newBuilder().setTid(tid).setState(state).setKernelId(kernel).setKernel("k" + kernel).setMigratingTo(migratingTo)
            .setExitCode(exitCode).build();
    }

    private static ThreadCensus census(int... tids) {
        ThreadCensus census = new ThreadCensus();
        for (int tid : tids) {
            census.started(tid, "started by the test");
        }
        return census;
    }

    @Test
    void aThreadMissingFromTheTableIsLost() {
        List<String> lost = census(7, 8).check(List.of(task(8, "RUNNING", 0, -1, 0)), Set.of(0, 1));
        assertThat(lost).singleElement().asString().contains("thread 7").contains("in no task table");
    }

    @Test
    void aThreadLeftRunningOnADeadKernelOrMarkedMigratingOrExitedStrangelyIsLost() {
        List<String> lost = census(1, 2, 3, 4, 5).check(
            List.of(task(1, "RUNNING", 1, -1, 0), task(2, "READY", 0, 1, 0), task(3, "EXITED", 1, -1, 1),
                task(4, "EXITED", 1, -1, 137), task(5, "BLOCKED", 0, -1, 0)),
            Set.of(0));
        assertThat(lost).hasSize(3);
        assertThat(lost.get(0)).contains("thread 1").contains("not running");
        assertThat(lost.get(1)).contains("thread 2").contains("still marked migrating");
        assertThat(lost.get(2)).contains("thread 3").contains("code 1");
    }

    @Test
    void threadsAliveOnLiveKernelsOrReapedWithAKnownCodeAreNotLost() {
        assertThat(census(1, 2, 3).check(
            List.of(task(1, "RUNNING", 0, -1, 0), task(2, "EXITED", 1, -1, 137), task(3, "EXITED", 0, -1, 143)), Set.of(0))).isEmpty();
    }

    @Test
    void aThreadSeenExitedMayLeaveTheTableLaterButOneNeverSeenExitedMayNot() {
        ThreadCensus census = census(1, 2);
        assertThat(census.check(List.of(task(1, "EXITED", 1, -1, 137), task(2, "RUNNING", 0, -1, 0)), Set.of(0))).isEmpty();
        assertThat(census.ended()).containsEntry(1, 137).doesNotContainKey(2);
        // the reaper freed thread 1's slot (fine: its fate is known); thread 2 vanished while RUNNING (lost)
        List<String> lost = census.check(List.of(), Set.of(0));
        assertThat(lost).singleElement().asString().contains("thread 2").contains("never seen EXITED");
    }

    @Test
    void aReadOfAValueNobodyWroteFailsTheRegisterCheck() {
        RegisterHistory history = new RegisterHistory();
        history.add(0, List.of(new Operation(0, true, value(0, 0, 1), 0, 10)), false);
        history.add(1, List.of(new Operation(1000, false, value(1, 0, 5), 20, 30)), false);
        assertThat(history.check(0)).isPresent();
    }

    @Test
    void aLostWriteFailsTheRegisterCheck() {
        // kernel 0 wrote 1 then 2; kernel 1 then read 1: the second write was lost (a stale page recovered)
        RegisterHistory history = new RegisterHistory();
        history.add(0, List.of(new Operation(0, true, value(0, 0, 1), 0, 10), new Operation(0, true, value(0, 0, 2), 11, 20)), false);
        history.add(1, List.of(new Operation(1000, false, value(0, 0, 1), 30, 40)), false);
        assertThat(history.check(0)).get().asString().contains("no linearization");
    }

    @Test
    void aFailedWriteThatOthersReadIsPendingNotAViolation() {
        // kernel 1's thread 0 completed one operation, then its second (a write of seq 2) failed: it may have taken effect
        RegisterHistory history = new RegisterHistory();
        history.add(1, List.of(new Operation(1000, false, 0, 0, 10)), true);
        history.add(0, List.of(new Operation(0, false, value(1, 0, 2), 50, 60), new Operation(0, false, value(1, 0, 2), 70, 80)), false);
        assertThat(history.withPendingWrites()).hasSize(4);
        assertThat(history.check(0)).isEmpty();
    }

    @Test
    void aFailedWriteIsNotInventedForAKernelWhoseWorkloadDidNotFail() {
        RegisterHistory history = new RegisterHistory();
        history.add(1, List.of(new Operation(1000, false, 0, 0, 10)), false);
        history.add(0, List.of(new Operation(0, false, value(1, 0, 2), 50, 60)), false);
        assertThat(history.withPendingWrites()).hasSize(2);
        assertThat(history.check(0)).isPresent();
    }

    @Test
    void violationsAreCountedByInvariantWithEveryInvariantListed() {
        Violations violations = new Violations();
        violations.add(Violations.Invariant.NO_THREAD_LOST, "round 3: thread 7 lost");
        violations.add(Violations.Invariant.NO_BLOCK_OWNED_TWICE, "round 4: block 9 in two allocators");
        violations.add(Violations.Invariant.NO_THREAD_LOST, "round 5: thread 8 lost");
        assertThat(violations.total()).isEqualTo(3);
        assertThat(violations.counts()).containsEntry("no_thread_lost", 2).containsEntry("no_block_owned_twice", 1)
            .containsEntry("register_linearizable", 0).hasSize(Violations.Invariant.values().length);
        assertThat(violations.described()).contains("no_thread_lost: round 3: thread 7 lost");
    }
}
