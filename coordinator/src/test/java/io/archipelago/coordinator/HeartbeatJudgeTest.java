package io.archipelago.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Liveness from a heartbeat count observed on the coordinator's monotonic clock (here a clock the
 * test moves): what a kernel's wall clock says never enters, so a step of it kills nobody.
 */
@Timeout(10)
class HeartbeatJudgeTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long DEAD_AFTER = 3_000 * MS;

    private final AtomicLong monotonic = new AtomicLong(5_000_000_000L);
    private final HeartbeatJudge judge = new HeartbeatJudge(monotonic::get);

    @Test
    void aKernelIsSilentForAsLongAsItsCountIsSeenUnchanged() {
        assertThat(judge.silenceNanos(1, 10, 0)).as("first seen").isZero();
        monotonic.addAndGet(200 * MS);
        assertThat(judge.silenceNanos(1, 10, 1)).as("it beat").isZero();
        monotonic.addAndGet(150 * MS);
        assertThat(judge.silenceNanos(1, 10, 1)).isEqualTo(150 * MS);
        monotonic.addAndGet(DEAD_AFTER);
        assertThat(judge.silenceNanos(1, 10, 1)).as("stopped beating: past dead-after").isGreaterThan(DEAD_AFTER);
    }

    @Test
    void aKernelThatKeepsBeatingIsNeverSilentWhateverItsWallClockDoes() {
        // The kernel's wall clock may jump an hour back or forward between beats: the judge reads no time of the kernel's,
        // only that its count moved while ours advanced by the heartbeat interval.
        long beats = 0;
        for (int i = 0; i < 100; i++) {
            monotonic.addAndGet(200 * MS);
            beats++;
            assertThat(judge.silenceNanos(4, 1, beats)).isZero();
        }
        // and a long pause of the observer itself (its clock moved a lot at once) judges only what it saw: the count moved
        monotonic.addAndGet(TimeUnit.HOURS.toNanos(1));
        assertThat(judge.silenceNanos(4, 1, beats + 1)).isZero();
    }

    @Test
    void aNewIncarnationStartsAfreshAndABootingOneFromWhenItWasFirstSeen() {
        judge.silenceNanos(2, 7, 40);
        monotonic.addAndGet(DEAD_AFTER * 2);
        assertThat(judge.silenceNanos(2, 7, 40)).isEqualTo(DEAD_AFTER * 2);
        assertThat(judge.silenceNanos(2, 8, 40)).as("restarted: same count, new incarnation").isZero();
        monotonic.addAndGet(100 * MS);
        assertThat(judge.silenceNanos(2, 8, -1)).as("its area not claimed yet: a different reading, seen now").isZero();
        monotonic.addAndGet(700 * MS);
        assertThat(judge.silenceNanos(2, 8, -1)).isEqualTo(700 * MS);
        judge.forget(2);
        assertThat(judge.silenceNanos(2, 8, -1)).isZero();
    }

    @Test
    void kernelsAreJudgedApart() {
        judge.silenceNanos(1, 1, 5);
        judge.silenceNanos(2, 1, 5);
        monotonic.addAndGet(500 * MS);
        assertThat(judge.silenceNanos(1, 1, 6)).isZero();
        assertThat(judge.silenceNanos(2, 1, 5)).isEqualTo(500 * MS);
    }
}
