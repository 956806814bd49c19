package io.archipelago.coordinator.devices;

import io.archipelago.directory.Domains;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.KernelSignals;
import io.archipelago.trace.IrqDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * K2's interrupt rule (section 3.4 of the paper): an interrupt is handled by exactly one kernel;
 * while a kernel of the strong domain is active it gets it; while the strong domain sleeps a weak
 * kernel gets it and the strong one is not woken. "Strong" is the fastest island the cluster is
 * configured with, or faster still of any kernel in membership ({@link Domains}): a weak kernel
 * that is up first stays weak. A strong kernel that is not running is treated like one asleep
 * under {@code k2} (the weak kernel takes the interrupt, no wake-up is counted as avoided).
 * "Asleep" is what each kernel publishes in its signals ({@link KernelSignals}, written by its
 * energy meter), read here without asking the kernel: nothing on the delivery path waits for a
 * kernel.
 * <p>
 * Policy {@code strong} is the baseline without the rule: always a strong kernel, none while no
 * strong kernel runs (the interrupt is undelivered); {@code alternate} gives every running kernel
 * its turn (the worst case for a driver shared through the DSM).
 */
final class IrqRouter {

    static final String K2 = "k2";
    static final String STRONG = "strong";
    static final String ALTERNATE = "alternate";
    private static final long MEMBERSHIP_REFRESH_NS = 50_000_000;

    /** Where an interrupt goes; {@code avoidedStrongWakeup}: a weak kernel took it while every strong kernel slept. */
    record Route(int kernelId, String name, boolean strong, boolean avoidedStrongWakeup) {
    }

    private final Membership membership;
    private final GlobalMemory memory;
    private final double configuredStrongSpeed;
    private List<Member> strong = List.of();
    private List<Member> weak = List.of();
    private long refreshedAt = Long.MIN_VALUE / 2;
    private int nextStrong;
    private int nextWeak;

    private record Member(int id, String name, long incarnation) {
    }

    /** @param configuredStrongSpeed the fastest configured island's speed (0: none configured, membership decides) */
    IrqRouter(Membership membership, GlobalMemory memory, double configuredStrongSpeed) {
        this.membership = membership;
        this.memory = memory;
        this.configuredStrongSpeed = configuredStrongSpeed;
    }

    /**
     * What the router decided for one interrupt: the route (empty when no kernel takes it) and the
     * decision with the rule's inputs, as the coordinator's timeline records it.
     */
    record Decision(Optional<Route> route, IrqDecision decision) {
    }

    /** The kernel that takes interrupt {@code line} now, or empty when no kernel runs. One caller at a time (the device thread). */
    Optional<Route> route(int line, String policy) {
        return decide(line, policy).route();
    }

    /** {@link #route}, with what the rule saw: how many strong kernels run and sleep, how many weak ones, who waits. */
    synchronized Decision decide(int line, String policy) {
        refresh();
        List<Member> awake = new ArrayList<>(strong.size());
        boolean strongThreadsWait = false;
        for (Member m : strong) {
            if (!asleep(m)) {
                awake.add(m);
            }
            strongThreadsWait |= signals(m).irqWaiters(line) > 0;
        }
        int asleep = strong.size() - awake.size();
        if (strong.isEmpty() && weak.isEmpty()) {
            return none(IrqDecision.Rule.NO_KERNEL, asleep, strongThreadsWait);
        }
        if (ALTERNATE.equals(policy)) {
            int i = Math.floorMod(nextStrong++, strong.size() + weak.size());
            Member m = i < strong.size() ? strong.get(i) : weak.get(i - strong.size());
            return to(new Route(m.id, m.name, i < strong.size(), false), IrqDecision.Rule.POLICY_ALTERNATE, asleep, strongThreadsWait);
        }
        if (STRONG.equals(policy) || weak.isEmpty()) {
            IrqDecision.Rule rule = STRONG.equals(policy) ? IrqDecision.Rule.POLICY_STRONG : IrqDecision.Rule.NO_WEAK;
            if (strong.isEmpty()) {
                return none(IrqDecision.Rule.NO_KERNEL, asleep, strongThreadsWait);
            }
            Member m = strong.get(Math.floorMod(nextStrong++, strong.size()));
            return to(new Route(m.id, m.name, true, false), rule, asleep, strongThreadsWait);
        }
        if (!awake.isEmpty()) {
            Member m = awake.get(Math.floorMod(nextStrong++, awake.size()));
            return to(new Route(m.id, m.name, true, false), IrqDecision.Rule.STRONG_AWAKE, asleep, strongThreadsWait);
        }
        Member m = weak.get(Math.floorMod(nextWeak++, weak.size()));
        // with no strong kernel running there was no wake-up to avoid
        return to(new Route(m.id, m.name, false, !strong.isEmpty() && !strongThreadsWait), IrqDecision.Rule.STRONG_ASLEEP, asleep,
            strongThreadsWait);
    }

    private Decision to(Route route, IrqDecision.Rule rule, int asleep, boolean strongThreadsWait) {
        return new Decision(Optional.of(route), new IrqDecision(route.kernelId(), rule, strong.size(), asleep, weak.size(), strongThreadsWait,
            route.avoidedStrongWakeup()));
    }

    private Decision none(IrqDecision.Rule rule, int asleep, boolean strongThreadsWait) {
        return new Decision(Optional.empty(), new IrqDecision(IrqDecision.NONE, rule, strong.size(), asleep, weak.size(), strongThreadsWait,
            false));
    }

    /** What kernel {@code id} published last: asleep (1) or awake (0, also when it has no energy meter). */
    synchronized boolean asleep(int id) {
        refresh();
        for (Member m : strong) {
            if (m.id == id) {
                return asleep(m);
            }
        }
        for (Member m : weak) {
            if (m.id == id) {
                return asleep(m);
            }
        }
        return false;
    }

    synchronized boolean isStrong(int id) {
        refresh();
        return strong.stream().anyMatch(m -> m.id == id);
    }

    private boolean asleep(Member m) {
        return signals(m).asleep();
    }

    private KernelSignals signals(Member m) {
        return memory.countersArea(m.id).signals();
    }

    private void refresh() {
        long now = System.nanoTime();
        if (now - refreshedAt < MEMBERSHIP_REFRESH_NS) {
            return;
        }
        refreshedAt = now;
        List<KernelRecord> all = membership.all();
        // every record, whatever its state: a booting or dead strong kernel keeps the strong role
        double fastest = Math.max(configuredStrongSpeed, Domains.strongSpeed(all));
        List<KernelRecord> running = all.stream().filter(r -> r.getState() == KernelState.RUNNING).toList();
        List<Member> s = new ArrayList<>();
        List<Member> w = new ArrayList<>();
        for (KernelRecord r : running) {
            Member m = new Member(r.getKernelId(), r.getName(), r.getIncarnation());
            (Domains.weak(r, fastest) ? w : s).add(m);
        }
        s.sort(java.util.Comparator.comparingInt(Member::id));
        w.sort(java.util.Comparator.comparingInt(Member::id));
        strong = List.copyOf(s);
        weak = List.copyOf(w);
    }
}
