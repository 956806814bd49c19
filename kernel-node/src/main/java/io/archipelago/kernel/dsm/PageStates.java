package io.archipelago.kernel.dsm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The emulated page table of one software-coherent region in one kernel: a 32-bit state word per
 * page, private to the kernel (it is the kernel's view, not shared memory), changed with
 * compare-and-set so that the check "VALID, then pin" of an access and the revocation by the
 * interrupt handler exclude each other.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---+-+---------------------------------------------------------+
 *  |st |U|              pins: accesses in flight (29 bits)          |
 *  +---+-+---------------------------------------------------------+
 *   st  INVALID (0): the private copy is stale; an access faults
 *       PENDING (1): this kernel is getting the page (GET_EXCLUSIVE in flight, or loading it)
 *       VALID   (2): this kernel holds the page; its private copy is the page's contents
 *       REVOKING(3): the interrupt handler is writing it back to give it away
 *   U   USED: accessed at least once since it became VALID here (K2's rule against livelock:
 *       a page obtained is not given away before one access completes)
 * </pre>
 * K2 has two states per page, VALID and INVALID; PENDING and REVOKING are the transitions
 * between them made visible, so that a request arriving mid-transition gets "busy" rather
 * than a wrong answer.
 */
final class PageStates {

    static final int INVALID = 0;
    static final int PENDING = 1;
    static final int VALID = 2;
    static final int REVOKING = 3;
    static final int STATE_MASK = 0b11;
    static final int USED = 0b100;
    static final int ONE_PIN = 0b1000;

    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(int[].class);

    private final int[] words;

    PageStates(int pages) {
        this.words = new int[pages];
    }

    int pages() {
        return words.length;
    }

    int word(int page) {
        return (int) WORD.getVolatile(words, page);
    }

    static int state(int word) {
        return word & STATE_MASK;
    }

    static boolean used(int word) {
        return (word & USED) != 0;
    }

    static int pins(int word) {
        return word >>> 3;
    }

    int stateOf(int page) {
        return state(word(page));
    }

    /** How many pages are VALID here now (a reading for the timeline: pages change state while it counts). */
    int valid() {
        int valid = 0;
        for (int page = 0; page < words.length; page++) {
            valid += stateOf(page) == VALID ? 1 : 0;
        }
        return valid;
    }

    boolean compareAndSet(int page, int expected, int update) {
        return WORD.compareAndSet(words, page, expected, update);
    }

    /** Sets the state outright: only by the thread that owns the transition (the faulting thread, or the handler). */
    void set(int page, int state) {
        WORD.setVolatile(words, page, state);
    }

    /** Pins a VALID page for one access; false when the page is not VALID (the caller faults it in). */
    boolean tryPin(int page) {
        while (true) {
            int word = word(page);
            if (state(word) != VALID) {
                return false;
            }
            if (WORD.compareAndSet(words, page, word, word + ONE_PIN)) {
                return true;
            }
        }
    }

    /** Ends one access: one pin fewer, and the page has now been used. Returns the new word. */
    int unpin(int page) {
        while (true) {
            int word = word(page);
            if (pins(word) == 0) {
                throw new IllegalStateException("page " + page + " unpinned more often than pinned");
            }
            int next = (word - ONE_PIN) | USED;
            if (WORD.compareAndSet(words, page, word, next)) {
                return next;
            }
        }
    }

    /** VALID, used at least once, no access in flight: the holder may give it away now. */
    static boolean revocable(int word) {
        return state(word) == VALID && used(word) && pins(word) == 0;
    }

    static String describe(int word) {
        String state = switch (state(word)) {
            case INVALID -> "INVALID";
            case PENDING -> "PENDING";
            case VALID -> "VALID";
            default -> "REVOKING";
        };
        return state + (used(word) ? ", used" : "") + (pins(word) > 0 ? ", " + pins(word) + " pin(s)" : "");
    }
}
