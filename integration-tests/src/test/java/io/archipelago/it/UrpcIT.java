package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.messages.proto.ObjectOp;
import io.archipelago.shmvsmsg.proto.PrepareRequest;
import io.archipelago.shmvsmsg.proto.RunReply;
import io.archipelago.shmvsmsg.proto.RunRequest;
import io.archipelago.shmvsmsg.proto.ShmVsMsgControlGrpc;
import io.archipelago.shmvsmsg.proto.Way;
import io.archipelago.testing.MiniCluster;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Protocol Buffers messages between real kernel processes through the URPC rings in their
 * mapped global memory (the message channel's second carrier): requests and replies both ways,
 * every reply the one of its request (none lost, repeated or swapped), replies longer than the
 * ring whole, and a killed owner turned into an error naming it within the requester's deadline.
 */
@Timeout(300)
class UrpcIT {

    private static final String STRONG = "strong-0";
    private static final String WEAK = "weak-0";
    /** The kernel workload's reply deadline (Workload.REPLY_TIMEOUT). */
    private static final long REPLY_TIMEOUT_MS = 10_000;

    private static ShmVsMsgControlGrpc.ShmVsMsgControlBlockingStub control(KernelChannels channels, KernelStatus kernel, long seconds) {
        return ShmVsMsgControlGrpc.newBlockingStub(channels.control(kernel.getControl()).getChannel()).withDeadlineAfter(seconds,
            TimeUnit.SECONDS);
    }

    private static RunReply increments(KernelChannels channels, MiniCluster cluster, String requester, String owner, String region, int count) {
        return control(channels, cluster.kernel(requester), 120).run(RunRequest.newBuilder().setWay(Way.URPC).setOp(ObjectOp.INCREMENT)
            .setRegion(region).setFirst(0).setCount(1).setThreads(1).setOwner(cluster.kernelId(owner)).setSingleOps(count).build());
    }

    /** XOR of from..to: what the checksum of increments returning from..to in any order must be. */
    private static long xorOfRange(long from, long to) {
        long xor = 0;
        for (long v = from; v <= to; v++) {
            xor ^= v;
        }
        return xor;
    }

    @Test
    void messagesTravelBothWaysThroughTheRingsEachReplyTheOneOfItsRequestAndRepliesLongerThanTheRingWhole() {
        try (MiniCluster cluster = MiniCluster.startDefault("urpc-both-ways");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            for (String[] pair : new String[][] {{WEAK, STRONG}, {STRONG, WEAK}}) {
                String requester = pair[0];
                String owner = pair[1];
                String region = "urpc-it-" + owner;
                control(channels, cluster.kernel(owner), 60).prepare(PrepareRequest.newBuilder().setRegion(region).setCount(1).build());
                RunReply first = increments(channels, cluster, requester, owner, region, 1);
                assertThat(first.getError()).as(requester + " -> " + owner).isEmpty();
                long start = first.getChecksum();
                RunReply run = increments(channels, cluster, requester, owner, region, 2_000);
                assertThat(run.getError()).as(requester + " -> " + owner).isEmpty();
                assertThat(run.getOperations()).isEqualTo(2_000);
                // 2,000 increments one after the other: the replies carry start + 1 .. start + 2000, each once
                assertThat(run.getChecksum()).as("the replies of %s's increments on %s", requester, owner)
                    .isEqualTo(xorOfRange(start + 1, start + 2_000));
                RunReply after = increments(channels, cluster, requester, owner, region, 1);
                assertThat(after.getChecksum()).as("the count after them").isEqualTo(start + 2_001);
                // counted live in the owner's counters area (status reads them while it runs)
                assertThat(cluster.counter(owner, KernelCounter.URPC_SERVED.label()))
                    .as("%s's urpc.served while it runs", owner).isGreaterThanOrEqualTo(2_002);

                // read_struct of 1,024 elements of 64 bytes: replies of about 70 KB, some 160 half-ring fragments through a 1 KiB ring
                String structs = region + "-long";
                control(channels, cluster.kernel(owner), 60).prepare(PrepareRequest.newBuilder().setRegion(structs).setCount(1_024).build());
                RunReply one = readStructs(channels, cluster, requester, owner, structs, 1);
                assertThat(one.getError()).as(requester + " -> " + owner).isEmpty();
                assertThat(one.getChecksum()).as("the first reply's element count ^ its last stamp").isNotZero();
                // an odd number of identical replies: their XOR is the first's, unless one came torn, short or another's
                RunReply long51 = readStructs(channels, cluster, requester, owner, structs, 51);
                assertThat(long51.getError()).as(requester + " -> " + owner).isEmpty();
                assertThat(long51.getOperations()).isEqualTo(51);
                assertThat(long51.getChecksum()).as("51 replies of %s's read_struct on %s", requester, owner).isEqualTo(one.getChecksum());
                assertThat(long51.hasUrpcWaits()).as("the run says how both ends waited").isTrue();
            }
            // the first request of each way found its owner's dispatcher asleep (idle since boot) and rang it; the doorbell
            // woke it through its wake line's futex in global memory, not through the owner's mailbox interrupt
            for (String kernel : new String[] {WEAK, STRONG}) {
                assertThat(cluster.counter(kernel, KernelCounter.URPC_DOORBELLS.label())).as("URPC doorbells %s rang", kernel).isPositive();
                assertThat(cluster.counters(kernel).getOrDefault(MailboxCounter.received(MailboxType.URPC), 0L))
                    .as("URPC doorbells that reached %s as mailbox words", kernel).isZero();
            }
        }
    }

    private static RunReply readStructs(KernelChannels channels, MiniCluster cluster, String requester, String owner, String region, int count) {
        return control(channels, cluster.kernel(requester), 120).run(RunRequest.newBuilder().setWay(Way.URPC).setOp(ObjectOp.READ_STRUCT)
            .setRegion(region).setFirst(0).setCount(1_024).setThreads(1).setOwner(cluster.kernelId(owner)).setSingleOps(count).build());
    }

    @Test
    void aKilledOwnerIsAnErrorNamingItWithinTheDeadline() throws Exception {
        try (MiniCluster cluster = MiniCluster.startDefault("urpc-killed-owner");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            String region = "urpc-it-killed";
            control(channels, cluster.kernel(STRONG), 60).prepare(PrepareRequest.newBuilder().setRegion(region).setCount(1).build());
            int owner = cluster.kernelId(STRONG);
            KernelStatus weak = cluster.kernel(WEAK);
            CompletableFuture<RunReply> running = CompletableFuture.supplyAsync(() -> control(channels, weak, 120).run(RunRequest.newBuilder()
                .setWay(Way.URPC).setOp(ObjectOp.READ_FIELD).setRegion(region).setFirst(0).setCount(1).setThreads(1).setOwner(owner)
                .setWarmupMs(500).setMeasureMs(60_000).build()),
                // its own thread: the common pool's one thread (two cores) is also where the kill's wait for the process is completed
                task -> Thread.ofPlatform().daemon().name("urpc-it-requester").start(task));
            // let the requests flow, then kill the owner mid-stream
            await("the owner serves URPC requests").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> running.isDone() || cluster.counter(STRONG, KernelCounter.MESSAGES_SERVED.label()) >= 1_000);
            assertThat(running).as("the run still going when its owner is killed").isNotDone();
            cluster.kill9(STRONG);
            long killed = System.nanoTime();
            RunReply reply = running.get(REPLY_TIMEOUT_MS + 60_000, TimeUnit.MILLISECONDS);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
            System.out.println("requester after its owner was killed, " + took + " ms later: " + reply.getError());
            assertThat(reply.getError()).contains(STRONG + " (kernel " + owner + ")").contains("URPC");
            assertThat(took).as("the requester's error came within its deadline (plus the run's reply)").isLessThan(REPLY_TIMEOUT_MS + 15_000);
        }
    }
}
