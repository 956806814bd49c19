package io.archipelago.interconnect.mailbox;

/**
 * Member ids on the mailbox. Kernels use their kernel id (0 up to the cluster's max-kernels,
 * at most 1024). Ids from {@link #FIRST_RESERVED} up are for members that are not kernels: the
 * coordinator (which delivers device interrupts as IRQ words) and tools. Such members usually
 * publish no endpoint; they initiate the link, and the kernel answers on it.
 */
public final class MemberIds {

    /** The first id reserved for members that are not kernels. */
    public static final int FIRST_RESERVED = 65_000;
    /** The coordinator: device interrupts (IRQ), the balloon meta-level manager. */
    public static final int COORDINATOR = 65_535;
    /** The largest id a member may have. */
    public static final int MAX = 65_535;

    private MemberIds() {
    }

    public static boolean isKernel(int id) {
        return id >= 0 && id < FIRST_RESERVED;
    }

    public static void check(int id) {
        if (id < 0 || id > MAX) {
            throw new IllegalArgumentException("a mailbox member id is 0 to " + MAX + " (kernels below " + FIRST_RESERVED
                + ", the coordinator " + COORDINATOR + "), found " + id);
        }
    }

    /** A member id for tools (benchmarks, tests), derived from a number such as a process id. */
    public static int tool(long seed) {
        return FIRST_RESERVED + (int) Math.floorMod(seed, (long) (COORDINATOR - FIRST_RESERVED));
    }
}
