package io.archipelago.it.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A kernel the coordinator declares DEAD while it is still booting (it went silent: stopped, as a
 * starved or SIGSTOPped process, after it registered BOOTING and before its services started) and
 * that then resumes: it must not come up RUNNING over its DEAD record, nor use the blocks taken back
 * from it; it halts with exit code 4, so that compose's {@code restart: on-failure} starts a new
 * incarnation.
 */
@Timeout(300)
class FencedWhileBootingIT {

    /** Silence allowed to a booting kernel: long enough for the two launched kernels to boot on a loaded host. */
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(40);

    @Test
    void aKernelDeclaredDeadWhileBootingThatResumesExitsFour() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(FencingIT.patientCluster(), "fenced-booting", BOOT_TIMEOUT);
             UnsupervisedKernel rogue = UnsupervisedKernel.start(cluster, "rogue-0", List.of("-Darchipelago.faults=kernel.booting=stop"))) {
            // it registers BOOTING, starts its heartbeat, reaches the point and stops itself
            KernelRecord booting = rogue.awaitState(cluster, KernelState.BOOTING, MiniCluster.BOOT_TIMEOUT);
            awaitStopped(rogue, Duration.ofSeconds(60));
            // silent beyond the boot timeout: declared DEAD (the coordinator did not launch it, so it cannot kill it)
            KernelRecord dead = rogue.awaitState(cluster, KernelState.DEAD, BOOT_TIMEOUT.plusSeconds(60));
            assertThat(dead.getIncarnation()).isEqualTo(booting.getIncarnation());

            rogue.signal("CONT");
            int exit = rogue.awaitExit(Duration.ofSeconds(60));

            assertThat(exit).as("a kernel declared DEAD while booting halts with exit 4; its log ends:\n" + tail(rogue.log()))
                .isEqualTo(KernelMain.EXIT_FENCED);
            KernelRecord after = cluster.coordinator().membership().byName("rogue-0").orElseThrow();
            assertThat(after.getState()).as("its record after it resumed: " + after.getReason()).isEqualTo(KernelState.DEAD);
            assertThat(after.getIncarnation()).isEqualTo(booting.getIncarnation());
            assertThat(cluster.coordinator().memory().ownership().blocksOwnedBy(after.getKernelId()))
                .as("blocks owned by the fenced kernel's id").isEmpty();
        }
    }

    private static String tail(java.nio.file.Path log) throws java.io.IOException {
        String text = java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "(no log at " + log + ")";
        return text.substring(Math.max(0, text.length() - 4000));
    }

    private static void awaitStopped(UnsupervisedKernel kernel, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!kernel.stopped()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("kernel process " + kernel.pid() + " did not stop itself at kernel.booting within "
                    + timeout.toMillis() + " ms; log " + kernel.log());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
