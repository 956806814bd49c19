package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.auth.ClusterSecret;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Demo scene, the last: K2's headline result. The same light workload (mail-sync, one sync per
 * network packet) for 2 s as a normal thread on the strong island, then as a NightWatch thread on
 * the weak island with K2's interrupt routing; the platform's energy of each and the ratio (the
 * measurement of {@code archipelago bench energy}, at one rate).
 */
final class EnergyAct implements TwoKernelAct {

    static final double RATE = 50;
    static final double SECONDS = 2;

    /**
     * How far the two cases' sync counts may differ and still count as the same work: the NIC runs at one rate for the same
     * time in both, and only packets cut off at a window's edge, or interrupts that found the thread still busy, differ.
     */
    static final double SAME_WORK_TOLERANCE = 0.10;

    /**
     * Whether the two cases did the same work, so that their energies compare: both synced, and their sync counts differ by
     * at most {@link #SAME_WORK_TOLERANCE} of the larger. Says the counts (and the packets the NIC sent) either way.
     */
    static String sameWork(long strongPackets, long strongSyncs, long nightWatchPackets, long nightWatchSyncs) {
        String counts = strongSyncs + " and " + nightWatchSyncs + " syncs for " + strongPackets + " and " + nightWatchPackets + " packets";
        if (strongSyncs <= 0 || nightWatchSyncs <= 0) {
            return "NO (" + counts + "): a case that synced nothing did no work to compare";
        }
        long larger = Math.max(strongSyncs, nightWatchSyncs);
        if (Math.abs(strongSyncs - nightWatchSyncs) > SAME_WORK_TOLERANCE * larger) {
            return String.format(Locale.ROOT, "NO (%s): the counts differ by more than %.0f%%, so the energies do not compare like with like",
                counts, SAME_WORK_TOLERANCE * 100);
        }
        return String.format(Locale.ROOT, "yes (%s, within %.0f%%)", counts, SAME_WORK_TOLERANCE * 100);
    }

    @Override
    public String title() {
        return "energy: light work on the strong island vs NightWatch threads on the weak one (archipelago bench energy, devices)";
    }

    @Override
    public void run(Coordinator cluster, KernelStatus first, KernelStatus second, PrintWriter out) throws Exception {
        BenchTarget target = new BenchTarget() {
            @Override
            public ClusterStatus status() {
                return cluster.status();
            }

            @Override
            public ClusterSecret secret() {
                return cluster.secret();
            }

            @Override
            public boolean temporary() {
                return false;
            }

            @Override
            public ClusterDirectory directory() {
                return cluster.directory();
            }
            @Override
            public Path scratch() {
                return cluster.directory().path();
            }

            @Override
            public void close() {
            }
        };
        out.printf(Locale.ROOT, "The NIC receives %.0f packets/s; each packet's interrupt wakes a mail-sync thread that touches two pages. "
            + "%.0f s as a normal thread on the strong island (every interrupt to the strong kernel), then %.0f s as a NightWatch thread "
            + "on the weak island (K2's routing: the sleeping strong kernel is not woken).%n", RATE, SECONDS, SECONDS);
        try (ControlClient devices = ControlClient.connect(cluster.directory());
             KernelChannels kernels = new KernelChannels(cluster.secret(), "demo-energy")) {
            ObjectNode result = new BenchEnergyCommand().measure(target, devices, kernels, new double[] {RATE}, SECONDS);
            JsonNode row = result.get("rates").get(0);
            JsonNode a = row.get("strong");
            JsonNode b = row.get("nightwatch");
            out.printf(Locale.ROOT, "  strong island:  %6.2f mJ  (%d syncs, %d interrupts to %s, %d strong wake-ups)%n", row.get("strong_mj")
                .asDouble(), a.get("syncs").asLong(), a.get("strong_interrupts").asLong(), result.get("strong_kernel").asText(),
                a.get("strong_core_wakeups").asLong());
            out.printf(Locale.ROOT, "  NightWatch:     %6.2f mJ  (%d syncs, %d interrupts to %s, %d strong wake-ups avoided)%n",
                row.get("nightwatch_mj").asDouble(), b.get("syncs").asLong(), b.get("weak_interrupts").asLong(),
                result.get("weak_kernel").asText(), b.get("strong_wakeups_avoided").asLong());
            out.printf(Locale.ROOT, "  the same work: %s%n", sameWork(a.get("packets").asLong(), a.get("syncs").asLong(),
                b.get("packets").asLong(), b.get("syncs").asLong()));
            out.printf(Locale.ROOT, "  ratio %.1fx (K2 reports 8x-10x for light work; the model's figures and assumptions: docs/energy.md)%n",
                row.get("ratio").asDouble());
            out.println("$ archipelago status   # the ENERGY column: each kernel's energy meter");
        }
    }
}
