package io.archipelago.kernel.nightwatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.kernel.nightwatch.SuspensionRound.Verdict;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When the normal threads' kernel may release what the NightWatch gate counts as running: only
 * once every weak kernel it asked has answered or is DEAD, whichever other weak kernels are alive
 * (the rule before released it only when no weak kernel at all was alive).
 */
@Timeout(10)
class SuspensionRoundTest {

    private static final int WEAK_0 = 1;
    private static final int WEAK_1 = 2;
    private static final int WEAK_2 = 3;

    private final SuspensionRound round = new SuspensionRound();

    private static IntPredicate dead(int... kernels) {
        Set<Integer> gone = java.util.Arrays.stream(kernels).boxed().collect(java.util.stream.Collectors.toSet());
        return gone::contains;
    }

    @Test
    void aDeadKernelsShareIsReleasedOnceEveryLiveWeakKernelAnswered() {
        long number = round.start(Set.of(WEAK_0, WEAK_1), true);
        round.acknowledged(number, WEAK_1);
        assertThat(round.judge(Set.of(WEAK_0, WEAK_1), dead())).as("weak-0 silent but not declared dead: it may hold the gate")
            .isEqualTo(Verdict.WAIT);
        assertThat(round.judge(Set.of(WEAK_1), dead(WEAK_0))).as("weak-0 DEAD, weak-1 alive and answered").isEqualTo(Verdict.RELEASE);
    }

    @Test
    void aLiveKernelThatDidNotAnswerKeepsTheGate() {
        long number = round.start(Set.of(WEAK_0, WEAK_1, WEAK_2), true);
        round.acknowledged(number, WEAK_1);
        assertThat(round.judge(Set.of(WEAK_1, WEAK_2), dead(WEAK_0))).isEqualTo(Verdict.WAIT);
        round.acknowledged(number, WEAK_2);
        assertThat(round.judge(Set.of(WEAK_1, WEAK_2), dead(WEAK_0))).isEqualTo(Verdict.RELEASE);
    }

    @Test
    void answersCountOnlyWhileANormalThreadStayedAwakeHere() {
        long number = round.start(Set.of(WEAK_0, WEAK_1), true);
        round.acknowledged(number, WEAK_1);
        round.invalidate(); // our normal threads all slept: NightWatch threads may have entered since
        assertThat(round.judge(Set.of(WEAK_1), dead(WEAK_0))).isEqualTo(Verdict.ASK_AGAIN);
        round.acknowledged(number, WEAK_1); // a late answer to the old round
        assertThat(round.judge(Set.of(WEAK_1), dead(WEAK_0))).isEqualTo(Verdict.ASK_AGAIN);

        long next = round.start(Set.of(WEAK_1), false); // started with no normal thread awake here: proves nothing
        round.acknowledged(next, WEAK_1);
        assertThat(round.judge(Set.of(WEAK_1), dead(WEAK_0))).isEqualTo(Verdict.ASK_AGAIN);
    }

    @Test
    void aWeakKernelThatJoinedAfterTheRoundIsAskedToo() {
        long number = round.start(Set.of(WEAK_0), true);
        round.acknowledged(number, WEAK_0);
        assertThat(round.judge(Set.of(WEAK_0, WEAK_1), dead())).isEqualTo(Verdict.ASK_AGAIN);
        assertThat(round.judge(Set.of(WEAK_0), dead())).isEqualTo(Verdict.RELEASE);
    }
}
