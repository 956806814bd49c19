package io.archipelago.kernel.nightwatch;

import java.util.HashSet;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * One kernel's current suspension round for one process: the weak kernels its {@code SUSPEND_NW}
 * went to, and those that answered {@code NW_ACK}, while this kernel kept a normal thread of the
 * process awake throughout. An answer means the kernel had no NightWatch thread of the process
 * on a core then, and none of its threads can enter the gate while a normal thread is awake. So
 * once every kernel of the round has either answered or is gone for good (DEAD: fenced by the
 * coordinator), what the gate still counts as running belongs to dead kernels: it can be released.
 * <p>
 * Not thread-safe: the owner synchronizes (on its process record).
 */
final class SuspensionRound {

    /** What to do about a gate whose running count is up while a normal thread waits. */
    enum Verdict {
        /** A kernel of the round did not answer and is not known dead: it may hold the gate. */
        WAIT,
        /** No valid round (none started here, or our normal threads all slept since), or a weak kernel joined since: ask again. */
        ASK_AGAIN,
        /** Every live kernel answered: the count is the dead kernels'. */
        RELEASE
    }

    private long round;
    private Set<Integer> asked;
    private final Set<Integer> acknowledged = new HashSet<>();

    /**
     * Starts a round: SUSPEND_NW goes to {@code kernels} now.
     *
     * @param awakeHere whether this kernel has a normal thread of the process awake (else the round proves nothing)
     * @return the round's number, to pass to {@link #acknowledged}
     */
    long start(Set<Integer> kernels, boolean awakeHere) {
        round++;
        asked = awakeHere ? Set.copyOf(kernels) : null;
        acknowledged.clear();
        return round;
    }

    /** A kernel answered NW_ACK to the SUSPEND_NW of round {@code number}. */
    void acknowledged(long number, int kernel) {
        if (number == round && asked != null) {
            acknowledged.add(kernel);
        }
    }

    /** The last awake normal thread of the process on this kernel slept: the gate may let NightWatch threads in again. */
    void invalidate() {
        round++;
        asked = null;
        acknowledged.clear();
    }

    /**
     * @param liveWeakKernels the weak kernels running now
     * @param gone            whether a kernel is gone for good (DEAD, or no member)
     */
    Verdict judge(Set<Integer> liveWeakKernels, IntPredicate gone) {
        if (asked == null || !asked.containsAll(liveWeakKernels)) {
            return Verdict.ASK_AGAIN;
        }
        for (int kernel : asked) {
            if (!acknowledged.contains(kernel) && !gone.test(kernel)) {
                return Verdict.WAIT;
            }
        }
        return Verdict.RELEASE;
    }
}
