package io.archipelago.bench.migration;

import java.util.ArrayList;
import java.util.List;

/**
 * The order of {@code bench migration}'s migrations, so that a ratio of the two modes compares
 * like with like. A thread migrated back and forth alternates its direction on every move; if the
 * mode alternated too, every shared-memory migration would go one way and every message
 * migration the other, and the ratio would mix the mode with the destination. So a fresh thread
 * per block, starting on kernel a, makes two unmeasured moves (to b by messages, back by shared
 * memory: its state then lies as after any measured block) and then eight measured ones,
 * {@code S S M M S M M S}: each mode goes each way twice, and each (mode, direction, mode of the
 * move before) occurs exactly once, so neither the direction nor what the previous move left
 * behind favours a mode. The thread ends the block on kernel a, where it is ended.
 * <p>
 * Sizes are interleaved block by block, their order rotating, so the machine's load drifts over
 * all of them alike.
 */
public final class MigrationSchedule {

    public enum Mode { SHARED_MEMORY, MESSAGES }

    /** Which way a move goes between the two kernels. */
    public enum Direction {
        A_TO_B("a_to_b"), B_TO_A("b_to_a");

        private final String key;

        Direction(String key) {
            this.key = key;
        }

        /** The JSON key. */
        public String key() {
            return key;
        }
    }

    /** One migration of a block. */
    public record Move(Mode mode, Direction direction, boolean measured) {
    }

    /** Measured moves of each mode in a block (two each way). */
    public static final int PER_MODE_PER_BLOCK = 4;

    private static final String MEASURED = "SSMMSMMS";
    private static final String PRIMING = "MS";

    private MigrationSchedule() {
    }

    /** The moves of one block, in order; the first leaves kernel a, and the last arrives there. */
    public static List<Move> block() {
        List<Move> moves = new ArrayList<>();
        String all = PRIMING + MEASURED;
        for (int i = 0; i < all.length(); i++) {
            moves.add(new Move(all.charAt(i) == 'S' ? Mode.SHARED_MEMORY : Mode.MESSAGES, i % 2 == 0 ? Direction.A_TO_B : Direction.B_TO_A,
                i >= PRIMING.length()));
        }
        return List.copyOf(moves);
    }

    /** Blocks needed for at least {@code perMode} measured migrations of each mode (0 for none). */
    public static int blocksFor(int perMode) {
        return (Math.max(0, perMode) + PER_MODE_PER_BLOCK - 1) / PER_MODE_PER_BLOCK;
    }

    /** The order of the sizes (their indexes) in block {@code block}: rotated by one each block. */
    public static List<Integer> sizeOrder(int block, int sizes) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < sizes; i++) {
            order.add((block + i) % sizes);
        }
        return order;
    }
}
