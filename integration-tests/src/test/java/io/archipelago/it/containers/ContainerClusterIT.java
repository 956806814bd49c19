package io.archipelago.it.containers;

import io.archipelago.testing.containers.ClusterView;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cluster built from containers on a test network: each kernel in its own container, global
 * memory on a tmpfs volume they share. Members reach one another over the network (today the
 * control API, through {@link ControlProbe}; mailbox pings join these cases when the mailbox
 * lands: {@code cluster.ping(from, to, deadline)} beside {@code cluster.probe(...)}).
 */
@ContainerSuite
@Timeout(300)
class ContainerClusterIT {

    /** For calls that must fail: each must end, with an error, by this deadline. */
    static final Duration CALL_DEADLINE = Duration.ofSeconds(3);
    /** For calls to a live kernel: generous, since the probe is a cold JVM that loads gRPC and connects first. */
    static final Duration ANSWER_DEADLINE = Duration.ofSeconds(20);
    /** How late a gRPC deadline may fire on a loaded 2-core machine (timer and scheduling latency of a cold probe JVM). */
    static final long DEADLINE_SLACK_MS = 3000;
    /** The kernels' DSM deadline (KernelContext's default): how long an access waits for a page. */
    static final Duration DSM_DEADLINE = io.archipelago.kernel.dsm.DsmService.DEFAULT_FAULT_TIMEOUT;
    /** A control call that waits for a page: longer than the DSM deadline, so the DSM's own error comes back. */
    static final Duration DSM_CALL_DEADLINE = DSM_DEADLINE.plusSeconds(10);
    /** dead-after-ms in docker/cluster.yaml, the configuration the coordinator container runs. */
    static final Duration DEAD_AFTER = Duration.ofMillis(3000);

    @Test
    void kernelsInSeparateContainersShareGlobalMemoryAndReachEachOther() {
        try (ContainerCluster cluster = ContainerCluster.startK2("containers-form")) {
            ClusterView view = cluster.status();
            ClusterView.Kernel strong = view.kernel("strong").orElseThrow();
            ClusterView.Kernel weak = view.kernel("weak").orElseThrow();
            assertThat(strong.running()).isTrue();
            assertThat(weak.running()).isTrue();
            assertThat(strong.dataModel()).isEqualTo("x86_64");
            assertThat(weak.dataModel()).isEqualTo("armv7");
            assertThat(strong.host()).isEqualTo("strong");
            assertThat(weak.host()).isEqualTo("weak");
            assertThat(strong.blocks()).isPositive().isEqualTo(weak.blocks());

            // Each answers the other across the container network, proving it knows the test's secret.
            ContainerCluster.Probe weakToStrong = cluster.probe("weak", "strong", ANSWER_DEADLINE);
            ContainerCluster.Probe strongToWeak = cluster.probe("strong", "weak", ANSWER_DEADLINE);
            assertThat(weakToStrong.answered()).as("%s", weakToStrong).isTrue();
            assertThat(strongToWeak.answered()).as("%s", strongToWeak).isTrue();
            assertThat(weakToStrong.field("name")).isEqualTo("strong");
            assertThat(weakToStrong.field("pid")).isEqualTo(Long.toString(strong.pid()));
            assertThat(strongToWeak.field("name")).isEqualTo("weak");

            // Mailbox words cross the container network, both ways.
            ContainerCluster.Probe ping = cluster.call("coordinator", "strong", "strong", ANSWER_DEADLINE, "ping", Integer.toString(weak.id()));
            ContainerCluster.Probe pong = cluster.call("coordinator", "weak", "weak", ANSWER_DEADLINE, "ping", Integer.toString(strong.id()));
            assertThat(ping.answered()).as("%s", ping).isTrue();
            assertThat(pong.answered()).as("%s", pong).isTrue();
            assertThat(Long.parseLong(ping.field("rtt_ns"))).isPositive();
            // both containers map the memory file on the shared tmpfs volume: the words travel in its rings
            assertThat(ping.field("transport")).isEqualTo("shm");

            // A software-coherent region shared by x86_64 (domain a) and armv7 (domain b) in two containers:
            // its page moves to whichever kernel writes it, over the mailbox, through the shared tmpfs.
            assertThat(cluster.call("coordinator", "strong", "strong", ANSWER_DEADLINE, "dsm-open", "shadowed", "4", "create").answered()).isTrue();
            assertThat(cluster.call("coordinator", "weak", "weak", ANSWER_DEADLINE, "dsm-open", "shadowed", "4", "attach").answered()).isTrue();
            for (int write = 1; write <= 4; write++) {
                String kernel = write % 2 == 1 ? "strong" : "weak";
                ContainerCluster.Probe access = cluster.call("coordinator", kernel, kernel, ANSWER_DEADLINE, "dsm-access", "shadowed", "0");
                assertThat(access.answered()).as("%s", access).isTrue();
                assertThat(access.field("value")).isEqualTo(Integer.toString(write));
                if (write > 1) {
                    assertThat(access.field("faulted")).as("write %d by %s took the page from the other container", write, kernel).isEqualTo("true");
                }
            }
        }
    }

    @Test
    void aKilledKernelContainerIsDeadWhileTheRestKeepWorking() {
        try (ContainerCluster cluster = ContainerCluster.startK2("containers-kill")) {
            ClusterView.Kernel weak = cluster.kernel("weak");
            LocalTime killedAt = LocalTime.now(ZoneOffset.UTC); // the containers log in UTC (TZ=UTC)
            long killedNanos = System.nanoTime();
            cluster.kill("weak");
            ClusterView.Kernel dead = cluster.awaitKernel("weak", k -> k.state().equals("DEAD"), "DEAD",
                DEAD_AFTER.plus(ContainerCluster.STATUS_TIMEOUT));
            long seenMs = (System.nanoTime() - killedNanos) / 1_000_000;
            assertThat(dead.reason()).contains("no heartbeat");
            // When the coordinator declared it (its log), and when `status` through docker exec first showed it.
            LocalTime declaredAt = cluster.coordinatorLogged("kernel weak (id " + weak.id() + ") DEAD").orElseThrow(() ->
                new AssertionError("the coordinator did not log weak's death:\n" + cluster.logTails()));
            long declaredMs = Duration.between(killedAt, declaredAt).toMillis();
            System.out.printf("containers-kill: weak declared DEAD %d ms after docker kill (dead-after %d ms), shown by status after %d ms%n",
                declaredMs, DEAD_AFTER.toMillis(), seenMs);
            // the bound is the behaviour: not before dead-after of silence (less the last heartbeat interval), and not long after
            // it (the coordinator checks every heartbeat interval), with 3 s of margin for a loaded 2-core host
            assertThat(declaredMs).isBetween(DEAD_AFTER.toMillis() - 500, DEAD_AFTER.toMillis() + 3000);

            // The strong kernel still heartbeats, and still answers over the network...
            ClusterView.Kernel strong = cluster.awaitKernel("strong", k -> k.running() && k.heartbeatAgeMs() < 1000,
                "RUNNING with a fresh heartbeat", Duration.ofSeconds(10));
            ContainerCluster.Probe coordinatorToStrong = cluster.probe("coordinator", "strong", ANSWER_DEADLINE);
            assertThat(coordinatorToStrong.answered()).as("%s", coordinatorToStrong).isTrue();
            assertThat(coordinatorToStrong.field("pid")).isEqualTo(Long.toString(strong.pid()));
            // ...while asking the dead one ends with a clear error, within the deadline.
            ContainerCluster.Probe strongToDead = cluster.probe("strong", "weak", CALL_DEADLINE);
            assertThat(strongToDead.answered()).as("%s", strongToDead).isFalse();
            assertThat(strongToDead.field("code")).isIn("UNAVAILABLE", "DEADLINE_EXCEEDED");
            assertThat(strongToDead.elapsedMs()).isLessThanOrEqualTo(CALL_DEADLINE.toMillis() + DEADLINE_SLACK_MS);
        }
    }

    /**
     * Over {@code tcp}, the network is the interconnect. (Over the default {@code shm}, the containers' words travel through
     * the shared tmpfs volume and only the doorbells over the network: a kernel cut off the network still gets its words,
     * late, as the emulated hardware would; that is not what this test is about.)
     */
    @Test
    void aKernelCutOffTheNetworkFailsEveryCallWithinItsDeadlineAndRejoinsWhenReconnected() {
        try (ContainerCluster cluster = ContainerCluster.startK2("containers-cut", "tcp")) {
            ClusterView.Kernel before = cluster.kernel("strong");
            String address = cluster.ipAddress("strong");
            assertThat(cluster.probe("weak", "strong", address, ANSWER_DEADLINE).answered()).isTrue();

            // strong holds a page of a software-coherent region, and weak's mailbox knows it.
            ClusterView.Kernel weak = cluster.kernel("weak");
            assertThat(cluster.call("weak", "strong", "strong", ANSWER_DEADLINE, "dsm-open", "held", "4", "create").answered()).isTrue();
            assertThat(cluster.call("strong", "weak", "weak", ANSWER_DEADLINE, "dsm-open", "held", "4", "attach").answered()).isTrue();
            assertThat(cluster.call("strong", "weak", "weak", ANSWER_DEADLINE, "dsm-access", "held", "0").field("value")).isEqualTo("1");
            assertThat(cluster.call("weak", "strong", "strong", ANSWER_DEADLINE, "dsm-access", "held", "0").field("faulted")).isEqualTo("true");

            cluster.disconnect("strong");
            assertThat(cluster.ipAddress("strong")).isEmpty();
            // weak asks the cut-off kernel for a word and for the page: both end with a clear error within their deadlines.
            // The link weak -> strong was up before the cut, and TCP does not notice a silent peer: the ping's own
            // deadline ends it (the control call waits longer, so that the mailbox's own error comes back).
            ContainerCluster.Probe ping = cluster.call("coordinator", "weak", "weak", DSM_CALL_DEADLINE, "ping", Integer.toString(before.id()),
                Long.toString(CALL_DEADLINE.toMillis()));
            System.out.printf("containers-cut: ping %s%n", ping);
            assertThat(ping.answered()).as("%s", ping).isFalse();
            // The ping's deadline, or the link's liveness bound (MailboxContext.linkLiveness) if the link had gone quiet
            // long enough before the cut: either way the mailbox's own error, naming the peer.
            assertThat(ping.field("message")).as("the mailbox's own error, naming the peer")
                .containsAnyOf("no PONG from strong", "the link to strong");
            assertThat(ping.elapsedMs()).isLessThanOrEqualTo(CALL_DEADLINE.toMillis() + DEADLINE_SLACK_MS);
            ContainerCluster.Probe page = cluster.call("coordinator", "weak", "weak", DSM_CALL_DEADLINE, "dsm-access", "held", "0");
            System.out.printf("containers-cut: page %s%n", page);
            assertThat(page.answered()).as("%s", page).isFalse();
            assertThat(page.field("code")).isEqualTo("UNAVAILABLE");
            assertThat(page.field("message")).contains("could not obtain page").contains("strong");
            assertThat(page.elapsedMs()).isLessThanOrEqualTo(DSM_DEADLINE.toMillis() + DEADLINE_SLACK_MS);
            // By name (gone from the network's DNS) and by its last address (nothing answers there):
            // each call ends with an error naming what failed, within its deadline, never a hang.
            for (String host : new String[] {"strong", address}) {
                ContainerCluster.Probe failed = cluster.probe("weak", "strong", host, CALL_DEADLINE);
                System.out.printf("containers-cut: %s%n", failed);
                assertThat(failed.answered()).as("%s", failed).isFalse();
                assertThat(failed.field("code")).isIn("UNAVAILABLE", "DEADLINE_EXCEEDED");
                assertThat(failed.field("message")).isNotBlank();
                assertThat(failed.elapsedMs()).isLessThanOrEqualTo(CALL_DEADLINE.toMillis() + DEADLINE_SLACK_MS);
            }
            // The rest keep working: the weak kernel still answers.
            ContainerCluster.Probe coordinatorToWeak = cluster.probe("coordinator", "weak", ANSWER_DEADLINE);
            assertThat(coordinatorToWeak.answered()).as("%s", coordinatorToWeak).isTrue();
            // A network cut is not death: the cut kernel still heartbeats through global memory.
            ClusterView.Kernel cut = cluster.kernel("strong");
            assertThat(cut.running()).as("%s", cut).isTrue();
            assertThat(cut.heartbeatAgeMs()).as("%s", cut).isLessThan(DEAD_AFTER.toMillis());

            cluster.reconnect("strong");
            ContainerCluster.Probe rejoined = cluster.probe("weak", "strong", ANSWER_DEADLINE);
            assertThat(rejoined.answered()).as("%s", rejoined).isTrue();
            // The same kernel (same process), not a restarted one.
            assertThat(rejoined.field("pid")).isEqualTo(Long.toString(before.pid()));
            // Words and pages flow again: weak gets the page strong kept, with strong's write in it.
            assertThat(cluster.call("coordinator", "weak", "weak", ANSWER_DEADLINE, "ping", Integer.toString(before.id())).answered()).isTrue();
            ContainerCluster.Probe again = cluster.call("coordinator", "weak", "weak", DSM_CALL_DEADLINE, "dsm-access", "held", "0");
            assertThat(again.answered()).as("%s", again).isTrue();
            assertThat(again.field("value")).isEqualTo("3");
            assertThat(weak.id()).isNotEqualTo(before.id());
            ClusterView.Kernel after = cluster.kernel("strong");
            assertThat(after.running()).as("%s", after).isTrue();
            assertThat(after.id()).isEqualTo(before.id());
        }
    }
}
