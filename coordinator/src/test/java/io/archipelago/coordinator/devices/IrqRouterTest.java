package io.archipelago.coordinator.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.Island;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.trace.IrqDecision;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** K2's rule as the router applies it, from membership and the kernels' signals (no kernel processes: one class). */
@Timeout(30)
class IrqRouterTest {

    @TempDir
    Path dir;

    @Test
    void theAwakeStrongKernelGetsItTheSleepingOneIsNotWokenBaselineAndAlternatePolicies() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             Membership membership = Membership.create(dir.resolve("membership.cm"))) {
            membership.put(record(0, "strong-0", 1.0));
            membership.put(record(1, "weak-0", 0.25));
            var strongSignals = memory.countersArea(0).signals();
            IrqRouter router = new IrqRouter(membership, memory, 1.0);

            // awake strong kernel: it takes the interrupt
            assertThat(router.route(1, IrqRouter.K2)).hasValueSatisfying(r -> {
                assertThat(r.name()).isEqualTo("strong-0");
                assertThat(r.avoidedStrongWakeup()).isFalse();
            });
            // asleep: the weak kernel takes it, a strong wake-up avoided
            strongSignals.asleep(true);
            assertThat(router.route(1, IrqRouter.K2)).hasValueSatisfying(r -> {
                assertThat(r.name()).isEqualTo("weak-0");
                assertThat(r.strong()).isFalse();
                assertThat(r.avoidedStrongWakeup()).isTrue();
            });
            // asleep, but one of its threads waits on the line: still the weak kernel (which forwards); that wake-up was not avoided
            strongSignals.irqWaiters(1, 1);
            assertThat(router.route(1, IrqRouter.K2)).hasValueSatisfying(r -> {
                assertThat(r.name()).isEqualTo("weak-0");
                assertThat(r.avoidedStrongWakeup()).isFalse();
            });
            // the baseline without the rule wakes it
            assertThat(router.route(1, IrqRouter.STRONG)).hasValueSatisfying(r -> assertThat(r.name()).isEqualTo("strong-0"));
            // alternate: every running kernel in turn
            String first = router.route(1, IrqRouter.ALTERNATE).orElseThrow().name();
            String second = router.route(1, IrqRouter.ALTERNATE).orElseThrow().name();
            assertThat(first).isNotEqualTo(second);
            assertThat(router.asleep(0)).isTrue();
            assertThat(router.isStrong(0)).isTrue();
            assertThat(router.isStrong(1)).isFalse();
        }
    }

    @Test
    void theDecisionSaysWhichKernelAndWhatTheRuleSaw() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             Membership membership = Membership.create(dir.resolve("membership.cm"))) {
            membership.put(record(0, "strong-0", 1.0));
            membership.put(record(1, "weak-0", 0.25));
            var strongSignals = memory.countersArea(0).signals();
            IrqRouter router = new IrqRouter(membership, memory, 1.0);

            assertThat(router.decide(1, IrqRouter.K2).decision())
                .isEqualTo(new IrqDecision(0, IrqDecision.Rule.STRONG_AWAKE, 1, 0, 1, false, false));
            strongSignals.asleep(true);
            assertThat(router.decide(1, IrqRouter.K2).decision())
                .isEqualTo(new IrqDecision(1, IrqDecision.Rule.STRONG_ASLEEP, 1, 1, 1, false, true));
            strongSignals.irqWaiters(1, 1);
            assertThat(router.decide(1, IrqRouter.K2).decision())
                .isEqualTo(new IrqDecision(1, IrqDecision.Rule.STRONG_ASLEEP, 1, 1, 1, true, false));
            assertThat(router.decide(1, IrqRouter.STRONG).decision())
                .isEqualTo(new IrqDecision(0, IrqDecision.Rule.POLICY_STRONG, 1, 1, 1, true, false));
            assertThat(router.decide(1, IrqRouter.ALTERNATE).decision().rule()).isEqualTo(IrqDecision.Rule.POLICY_ALTERNATE);
            // the value the coordinator's ring records says as much
            IrqDecision recorded = router.decide(1, IrqRouter.K2).decision();
            assertThat(IrqDecision.unpack(recorded.packed())).isEqualTo(recorded);
        }
    }

    @Test
    void noRunningKernelNoRoute() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             Membership membership = Membership.create(dir.resolve("membership.cm"))) {
            membership.put(record(0, "strong-0", 1.0).toBuilder().setState(KernelState.DEAD).build());
            assertThat(new IrqRouter(membership, memory, 1.0).route(1, IrqRouter.K2)).isEmpty();
            assertThat(new IrqRouter(membership, memory, 1.0).decide(1, IrqRouter.K2).decision())
                .isEqualTo(new IrqDecision(IrqDecision.NONE, IrqDecision.Rule.NO_KERNEL, 0, 0, 0, false, false));
        }
    }

    @Test
    void aWeakKernelUpBeforeTheStrongOneStaysWeak() {
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             Membership membership = Membership.create(dir.resolve("membership.cm"))) {
            membership.put(record(1, "weak-0", 0.25));
            IrqRouter router = new IrqRouter(membership, memory, 1.0);
            // the strong kernel has not even registered: the configured strong speed says weak-0 is weak
            assertThat(router.isStrong(1)).isFalse();
            assertThat(router.route(1, IrqRouter.STRONG)).as("no strong kernel runs: undelivered").isEmpty();
            assertThat(router.route(1, IrqRouter.K2)).hasValueSatisfying(r -> {
                assertThat(r.name()).isEqualTo("weak-0");
                assertThat(r.avoidedStrongWakeup()).as("no strong kernel to wake").isFalse();
            });
        }
        try (GlobalMemory memory = GlobalMemory.create(dir.resolve("memory2.img"), "k2", new MemoryGeometry(16L << 20, 4096, 1 << 20, 8), 2);
             Membership membership = Membership.create(dir.resolve("membership2.cm"))) {
            membership.put(record(0, "strong-0", 1.0).toBuilder().setState(KernelState.BOOTING).build());
            membership.put(record(1, "weak-0", 0.25));
            // nothing configured (kernels joining from elsewhere): a booting strong kernel in membership keeps the role
            IrqRouter router = new IrqRouter(membership, memory, 0);
            assertThat(router.isStrong(1)).isFalse();
            assertThat(router.route(1, IrqRouter.STRONG)).isEmpty();
            assertThat(router.route(1, IrqRouter.ALTERNATE)).hasValueSatisfying(r -> assertThat(r.name()).isEqualTo("weak-0"));
        }
    }

    private static KernelRecord record(int id, String name, double speed) {
        return KernelRecord.newBuilder().setKernelId(id).setName(name).setState(KernelState.RUNNING).setIncarnation(1)
            .setIsland(Island.newBuilder().setName(name.substring(0, name.indexOf('-'))).setSpeed(speed)).build();
    }
}
