package io.archipelago.directory;

import io.archipelago.directory.proto.KernelRecord;
import java.util.Collection;

/**
 * K2's two domains as membership shows them: the <b>strong</b> domain is the cluster's fastest
 * island, the <b>weak</b> islands are the slower ones. Decided over every kernel in membership
 * whatever its state, so the roles do not swap while the strong kernel boots or after it died (a
 * weak kernel that is up first stays weak: its interrupts, NightWatch threads and migrations keep
 * their rules).
 */
public final class Domains {

    private Domains() {
    }

    /** The speed of the strong domain: the fastest island among {@code records} (0 when there are none). */
    public static double strongSpeed(Collection<KernelRecord> records) {
        return records.stream().mapToDouble(r -> r.getIsland().getSpeed()).max().orElse(0);
    }

    /** Whether {@code record}'s island is weak: slower than the strong domain's {@code strongSpeed}. */
    public static boolean weak(KernelRecord record, double strongSpeed) {
        return record.getIsland().getSpeed() < strongSpeed;
    }
}
