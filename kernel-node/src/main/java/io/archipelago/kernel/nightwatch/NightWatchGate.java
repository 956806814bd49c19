package io.archipelago.kernel.nightwatch;

import io.archipelago.program.SharedWord;

/**
 * K2's rule for one process, as one word in shared memory ({@code nw_gate} of its thread-group
 * leader's descriptor) that every kernel changes only by compare-and-set:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-----------------------------+-+
 *  |  awake: normal threads that   |  running: NightWatch threads|N|
 *  |  are runnable (READY/RUNNING) |  on a core right now        | |
 *  +-------------------------------+-----------------------------+-+
 *   N (bit 31): the process has (had) NightWatch threads: only then do its kernels send
 *   SUSPEND_NW and RESUME_NW
 * </pre>
 *
 * A NightWatch thread takes a core only by incrementing {@code running} while {@code awake} is 0
 * (one CAS), and leaves by decrementing it. A normal thread that becomes runnable increments
 * {@code awake} first, and runs only once {@code running} is 0. Whatever the order in which the
 * kernels act, the two never overlap: once {@code awake} &gt; 0 no NightWatch thread can enter,
 * and those inside are waited for. The SUSPEND_NW / NW_ACK / RESUME_NW words make the weak kernel
 * react at once (preempt at the next step boundary, reschedule), but the gate alone decides, so a
 * late or lost word can delay a thread, never break the rule.
 */
public final class NightWatchGate {

    private static final long AWAKE_ONE = 1;
    private static final long RUNNING_ONE = 1L << 16;
    private static final long MASK = 0xFFFF;
    private static final long RUNNING_MASK = 0x7FFF;
    private static final long HAS_NIGHTWATCH = 1L << 31;

    private final SharedWord word;

    public NightWatchGate(SharedWord word) {
        this.word = word;
    }

    public static int awake(long gate) {
        return (int) (gate & MASK);
    }

    public static int running(long gate) {
        return (int) ((gate >>> 16) & RUNNING_MASK);
    }

    /** Whether the process has NightWatch threads (set when the first is created, never cleared). */
    public static boolean hasNightWatch(long gate) {
        return (gate & HAS_NIGHTWATCH) != 0;
    }

    /** Records that the process has NightWatch threads (before the first of them is scheduled). */
    public void markNightWatch(long leaderSlot) {
        while (true) {
            long gate = word.get(leaderSlot);
            if (hasNightWatch(gate) || word.compareAndSet(leaderSlot, gate, gate | HAS_NIGHTWATCH)) {
                return;
            }
        }
    }

    public long read(long leaderSlot) {
        return word.get(leaderSlot);
    }

    /** A NightWatch thread asks for a core: granted (running + 1) only while no normal thread is awake. */
    public boolean tryEnter(long leaderSlot) {
        while (true) {
            long gate = word.get(leaderSlot);
            if (awake(gate) > 0) {
                return false;
            }
            if (running(gate) == RUNNING_MASK) {
                throw new IllegalStateException("NightWatch gate of slot " + leaderSlot + " overflows: 32767 NightWatch threads running");
            }
            if (word.compareAndSet(leaderSlot, gate, gate + RUNNING_ONE)) {
                return true;
            }
        }
    }

    /** A NightWatch thread left its core. */
    public void leave(long leaderSlot) {
        while (true) {
            long gate = word.get(leaderSlot);
            if (running(gate) == 0) {
                throw new IllegalStateException("NightWatch gate of slot " + leaderSlot + ": a thread left but none was running (gate 0x"
                    + Long.toHexString(gate) + ")");
            }
            if (word.compareAndSet(leaderSlot, gate, gate - RUNNING_ONE)) {
                return;
            }
        }
    }

    /** A normal thread became runnable; returns the number of awake normal threads now. */
    public int wake(long leaderSlot) {
        while (true) {
            long gate = word.get(leaderSlot);
            if (awake(gate) == MASK) {
                throw new IllegalStateException("NightWatch gate of slot " + leaderSlot + " overflows: 65535 awake normal threads");
            }
            if (word.compareAndSet(leaderSlot, gate, gate + AWAKE_ONE)) {
                return awake(gate) + 1;
            }
        }
    }

    /** A normal thread stopped being runnable; returns the number of awake normal threads now. */
    public int sleep(long leaderSlot) {
        while (true) {
            long gate = word.get(leaderSlot);
            if (awake(gate) == 0) {
                throw new IllegalStateException("NightWatch gate of slot " + leaderSlot + ": a normal thread slept but none was awake (gate 0x"
                    + Long.toHexString(gate) + ")");
            }
            if (word.compareAndSet(leaderSlot, gate, gate - AWAKE_ONE)) {
                return awake(gate) - 1;
            }
        }
    }
}
