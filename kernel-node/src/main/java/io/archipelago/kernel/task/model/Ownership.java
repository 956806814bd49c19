package io.archipelago.kernel.task.model;

/**
 * The ownership word of a task slot ({@code task_descriptor.owner}, 32 bits), changed only by
 * compare-and-set, so that a thread has exactly one owner kernel at any moment and at most one
 * migration under way:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |   owner kernel id + 1         |  migrating to: kernel id + 1  |
 *  |   (0: the slot is free)       |  (0: no migration under way)  |
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * A migration: the source sets "migrating to D" (fails if one is under way); the destination
 * takes the thread with one CAS from (source, D) to (D, none); a source that gives up (the
 * destination died or refused) takes it back with one CAS from (source, D) to (source, none).
 * Exactly one of the two CASes succeeds, so a lost reply never leaves a thread with two owners
 * or none.
 */
public record Ownership(int owner, int migratingTo) {

    public static final int NONE = -1;
    public static final int FREE_WORD = 0;

    public Ownership {
        if (owner < NONE || owner > 0xFFFE || migratingTo < NONE || migratingTo > 0xFFFE) {
            throw new IllegalArgumentException("kernel ids in an ownership word are 0..65534 (or none), found " + owner + " / "
                + migratingTo);
        }
    }

    public static Ownership of(int word) {
        return new Ownership((word & 0xFFFF) - 1, ((word >>> 16) & 0xFFFF) - 1);
    }

    public static int owned(int kernel) {
        return new Ownership(kernel, NONE).word();
    }

    public int word() {
        return ((migratingTo + 1) << 16) | (owner + 1);
    }

    public boolean free() {
        return owner == NONE;
    }

    public boolean migrating() {
        return migratingTo != NONE;
    }

    public Ownership migratingTo(int kernel) {
        return new Ownership(owner, kernel);
    }

    @Override
    public String toString() {
        return free() ? "free" : "kernel " + owner + (migrating() ? " (migrating to kernel " + migratingTo + ")" : "");
    }
}
