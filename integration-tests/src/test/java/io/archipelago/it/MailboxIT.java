package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.control.proto.MailboxStreamReply;
import io.archipelago.control.proto.MailboxStreamRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.interconnect.Mailboxes;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxCounter;
import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.PeerAddress;
import io.archipelago.testing.MiniCluster;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The emulated mailbox between real kernel processes (each its own JVM, over real sockets, or
 * through rings in the global memory file they all map, with sockets for the doorbell),
 * driven through each kernel's {@code KernelMailbox} control API; counters are read from global
 * memory as {@code archipelago status} reads them.
 */
@Timeout(300)
class MailboxIT {

    private static final String STRONG = "strong-0";
    private static final String WEAK = "weak-0";

    /** K2's platform, with a liveness deadline long enough to SIGSTOP a kernel without it being declared dead. */
    private static ClusterConfig patientConfig(String transport) {
        ClusterConfig base = ClusterConfig.k2Default().withMailbox(transport, 4);
        return base.toBuilder().deadAfter(Duration.ofSeconds(30)).build();
    }

    private static KernelMailboxGrpc.KernelMailboxBlockingStub mailbox(MiniCluster cluster, KernelChannels channels, String kernel) {
        return channels.mailbox(cluster.kernel(kernel).getControl());
    }

    private static MailboxPingReply ping(MiniCluster cluster, KernelChannels channels, String from, String to, int roundTrips,
                                         boolean interruptContext, long timeoutMs) {
        return mailbox(cluster, channels, from).withDeadlineAfter(60, TimeUnit.SECONDS).ping(MailboxPingRequest.newBuilder()
            .setPeer(cluster.kernelId(to)).setRoundTrips(roundTrips).setTimeoutMs(timeoutMs).setInterruptContext(interruptContext).build());
    }

    private static MailboxStreamReply stream(MiniCluster cluster, KernelChannels channels, String from, String to, int words,
                                             long fifoFullTimeoutMs) {
        return mailbox(cluster, channels, from).withDeadlineAfter(120, TimeUnit.SECONDS).stream(MailboxStreamRequest.newBuilder()
            .setPeer(cluster.kernelId(to)).setWords(words).setFifoFullTimeoutMs(fifoFullTimeoutMs).build());
    }

    private static long counter(MiniCluster cluster, String kernel, String label) {
        return cluster.kernel(kernel).getCountersList().stream().filter(c -> c.getLabel().equals(label)).mapToLong(Counter::getValue)
            .findFirst().orElse(0);
    }

    private static void signal(MiniCluster cluster, String kernel, String signal) {
        long pid = cluster.kernel(kernel).getPid();
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
            if (signal.equals("STOP")) {
                // kill returns before the signal takes effect: a thread on the other core may still run for a moment
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> allThreadsStopped(pid));
            }
        } catch (IOException e) {
            throw new AssertionError("cannot signal " + kernel + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static boolean allThreadsStopped(long pid) throws IOException {
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Long.toString(pid), "task"))) {
            for (java.nio.file.Path task : tasks.toList()) {
                String stat = java.nio.file.Files.readString(task.resolve("stat"));
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return true;
        }
    }

    private static MailboxEndpoint endpointOf(MiniCluster cluster, String kernel) {
        KernelRecord record = cluster.coordinator().membership().byName(kernel).orElseThrow();
        return record.getMailbox().getTransport().equals("unix")
            ? new MailboxEndpoint(io.archipelago.interconnect.mailbox.MailboxTransport.UNIX, record.getMailbox().getHost(), 0)
            : MailboxEndpoint.tcp(record.getMailbox().getHost(), record.getMailbox().getPort());
    }

    @Test
    void pingsBothWaysBetweenKernelProcessesThroughRingsInGlobalMemory() {
        pingsBothWays("shm", "mailbox-ping-shm");
    }

    @Test
    void pingsBothWaysBetweenKernelProcessesOverTcp() {
        pingsBothWays("tcp", "mailbox-ping-tcp");
    }

    @Test
    void pingsBothWaysBetweenKernelProcessesOverUnixSockets() {
        pingsBothWays("unix", "mailbox-ping-unix");
    }

    private void pingsBothWays(String transport, String name) {
        try (MiniCluster cluster = MiniCluster.start(patientConfig(transport), name);
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            KernelStatus strong = cluster.kernel(STRONG);
            // shm's links (handshake, doorbells) are TCP
            assertThat(strong.getMailbox()).startsWith((transport.equals("shm") ? "tcp" : transport) + ":");
            MailboxPingReply there = ping(cluster, channels, STRONG, WEAK, 500, false, 10_000); // the first sets the link up
            MailboxPingReply back = ping(cluster, channels, WEAK, STRONG, 500, false, 2000);
            MailboxPingReply chained = ping(cluster, channels, STRONG, WEAK, 500, true, 2000);
            assertThat(there.getRttNsList()).hasSize(500).allMatch(rtt -> rtt > 0 && rtt < 2_000_000_000L);
            assertThat(back.getRttNsList()).hasSize(500).allMatch(rtt -> rtt > 0);
            assertThat(chained.getRttNsList()).hasSize(500).allMatch(rtt -> rtt > 0);
            assertThat(there.getPeer()).isEqualTo("weak-0 (kernel 1)");
            assertThat(back.getPeer()).isEqualTo("strong-0 (kernel 0)");
            assertThat(there.getTransport()).isEqualTo(transport);
            assertThat(there.getFifoDepth()).isEqualTo(4);
            // counted in global memory by the kernels themselves, as `archipelago status` shows them
            assertThat(counter(cluster, STRONG, MailboxCounter.sent(MailboxType.PING))).isEqualTo(1000);
            assertThat(counter(cluster, STRONG, MailboxCounter.received(MailboxType.PONG))).isEqualTo(1000);
            assertThat(counter(cluster, WEAK, MailboxCounter.received(MailboxType.PING))).isEqualTo(1000);
            assertThat(counter(cluster, WEAK, MailboxCounter.sent(MailboxType.PONG))).isEqualTo(1000);
            assertThat(counter(cluster, WEAK, MailboxCounter.sent(MailboxType.PING))).isEqualTo(500);
            assertThat(counter(cluster, STRONG, MailboxCounter.LINKS.label())).as("one link per pair of members: weak-0, and the coordinator's")
                .isEqualTo(2);
            assertThat(counter(cluster, STRONG, MailboxCounter.DROPS.label()) + counter(cluster, WEAK, MailboxCounter.DROPS.label())).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void orderIsKeptUnderLoadInBothDirections(String transport) throws Exception {
        try (MiniCluster cluster = MiniCluster.start(patientConfig(transport), "mailbox-order-" + transport);
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            int words = 100_000;
            CompletableFuture<MailboxStreamReply> reverse = CompletableFuture.supplyAsync(() ->
                stream(cluster, channels, WEAK, STRONG, words, 5000));
            CompletableFuture<MailboxPingReply> pings = CompletableFuture.supplyAsync(() ->
                ping(cluster, channels, WEAK, STRONG, 2000, false, 10_000));
            MailboxStreamReply forward = stream(cluster, channels, STRONG, WEAK, words, 5000);
            MailboxStreamReply backward = reverse.get(120, TimeUnit.SECONDS);
            MailboxPingReply pinged = pings.get(120, TimeUnit.SECONDS);
            assertThat(pinged.getRttNsCount()).isEqualTo(2000);
            assertThat(pinged.getTransport()).as("what carried the words").isEqualTo(transport);
            assertThat(forward.getWords()).isEqualTo(words);
            assertThat(backward.getWords()).isEqualTo(words);
            assertThat(forward.getElapsedNs()).isPositive();
            assertThat(counter(cluster, WEAK, MailboxCounter.received(MailboxType.NOP))).isEqualTo(words);
            assertThat(counter(cluster, STRONG, MailboxCounter.received(MailboxType.NOP))).isEqualTo(words);
            assertThat(counter(cluster, WEAK, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
            assertThat(counter(cluster, STRONG, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
            assertThat(counter(cluster, STRONG, MailboxCounter.DROPS.label()) + counter(cluster, WEAK, MailboxCounter.DROPS.label())).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void aFullFifoMakesTheSenderWaitThenProceed(String transport) throws Exception {
        try (MiniCluster cluster = MiniCluster.start(patientConfig(transport), "mailbox-full-fifo-" + transport);
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            ping(cluster, channels, STRONG, WEAK, 1, false, 10_000); // the link is up
            long waitsBefore = counter(cluster, STRONG, MailboxCounter.FIFO_FULL_WAITS.label());
            signal(cluster, WEAK, "STOP"); // the weak kernel consumes nothing while stopped
            CompletableFuture<MailboxStreamReply> sending;
            try {
                sending = CompletableFuture.supplyAsync(() -> stream(cluster, channels, STRONG, WEAK, 20, 30_000));
                await().atMost(Duration.ofSeconds(10)).until(() -> counter(cluster, STRONG, MailboxCounter.FIFO_FULL_WAITS.label()) > waitsBefore);
                // the sender keeps waiting while the FIFO stays full
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> !sending.isDone());
            } finally {
                signal(cluster, WEAK, "CONT");
            }
            MailboxStreamReply done = sending.get(30, TimeUnit.SECONDS);
            assertThat(done.getWords()).isEqualTo(20);
            assertThat(done.getFifoFullWaits()).isPositive();
            assertThat(done.getElapsedNs()).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(500));
            await().atMost(Duration.ofSeconds(5)).until(() -> counter(cluster, WEAK, MailboxCounter.received(MailboxType.NOP)) == 20);
            assertThat(counter(cluster, WEAK, MailboxCounter.NOP_OUT_OF_ORDER.label())).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void aFifoThatStaysFullFailsTheSenderNamingThePeer(String transport) {
        try (MiniCluster cluster = MiniCluster.start(patientConfig(transport), "mailbox-fifo-bound-" + transport);
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            ping(cluster, channels, STRONG, WEAK, 1, false, 10_000); // the link is up
            signal(cluster, WEAK, "STOP");
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> stream(cluster, channels, STRONG, WEAK, 20, 700))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getStatus().getDescription()).contains("weak-0 (kernel 1)").contains("stayed full");
                    });
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(600L, 10_000L);
            } finally {
                signal(cluster, WEAK, "CONT");
            }
            assertThat(ping(cluster, channels, STRONG, WEAK, 10, false, 5000).getRttNsCount()).isEqualTo(10);
        }
    }

    @Test
    void aRequestToAStoppedKernelFailsAtItsDeadlineNamingIt() {
        try (MiniCluster cluster = MiniCluster.start(patientConfig("tcp"), "mailbox-deadline");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            ping(cluster, channels, STRONG, WEAK, 1, false, 10_000); // the link is up
            signal(cluster, WEAK, "STOP");
            try {
                long start = System.nanoTime();
                assertThatThrownBy(() -> ping(cluster, channels, STRONG, WEAK, 1, false, 500))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                        assertThat(e.getStatus().getDescription()).contains("no PONG from weak-0 (kernel 1)").contains("500 ms");
                    });
                // not before the 500 ms the message names; the upper end only says it ended, with room for a loaded host
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(450L, 500L + 10_000);
            } finally {
                signal(cluster, WEAK, "CONT");
            }
            assertThat(counter(cluster, STRONG, MailboxCounter.REQUEST_TIMEOUTS.label())).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"shm", "tcp"})
    void aKernelKilledMidRequestGivesTheRequesterAClearErrorWithinItsDeadline(String transport) throws Exception {
        try (MiniCluster cluster = MiniCluster.start(patientConfig(transport), "mailbox-kill-mid-request-" + transport);
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            ping(cluster, channels, STRONG, WEAK, 1, false, 10_000); // the link is up
            long sentBefore = counter(cluster, STRONG, MailboxCounter.sent(MailboxType.PING));
            signal(cluster, WEAK, "STOP"); // the PING arrives, but no PONG will come
            CompletableFuture<MailboxPingReply> request = CompletableFuture.supplyAsync(() ->
                ping(cluster, channels, STRONG, WEAK, 1, false, 20_000));
            await().atMost(Duration.ofSeconds(10)).until(() -> counter(cluster, STRONG, MailboxCounter.sent(MailboxType.PING)) > sentBefore);
            long killedAt = System.nanoTime();
            cluster.kill9(WEAK);
            ExecutionException failure = null;
            try {
                request.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure = e;
            } catch (TimeoutException e) {
                throw new AssertionError("the requester was not told within 30 s that its peer died", e);
            }
            long toldAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            assertThat(failure).as("the request fails").isNotNull();
            assertThat(failure.getCause()).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("weak-0 (kernel 1)").contains("closed");
            });
            assertThat(toldAfterMs).as("well within the request's 20 s deadline (half of it: room for a loaded host)").isLessThan(10_000);
            // the strong kernel carries on
            assertThat(cluster.kernel(STRONG).getState()).isEqualTo("RUNNING");
        }
    }

    @Test
    void aMixedClusterCarriesKernelWordsInMemoryAndAToolsWordsOnItsLink() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(patientConfig("shm"), "mailbox-mixed");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            int weakId = cluster.kernelId(WEAK);
            MailboxEndpoint weak = endpointOf(cluster, WEAK);
            // a tool that maps no global memory: its pair with weak-0 falls back to the link's socket
            try (Mailbox tool = Mailboxes.start(new MailboxContext().memberId(MemberIds.tool(ProcessHandle.current().pid()))
                .memberName("mixed-tool").incarnation(System.nanoTime()).secret(cluster.coordinator().secret()).serve(false)
                .directory(id -> Optional.of(PeerAddress.alive(weakId, WEAK, 0, weak))))) {
                CompletableFuture<MailboxPingReply> kernels = CompletableFuture.supplyAsync(() ->
                    ping(cluster, channels, STRONG, WEAK, 2000, false, 10_000));
                for (int i = 0; i < 500; i++) {
                    assertThat(tool.ping(weakId, Duration.ofSeconds(10))).isPositive();
                }
                MailboxPingReply between = kernels.get(120, TimeUnit.SECONDS);
                assertThat(between.getRttNsCount()).isEqualTo(2000);
                assertThat(between.getTransport()).as("strong-0 -> weak-0").isEqualTo("shm");
                assertThat(tool.carrier(weakId)).as("tool -> weak-0").contains(io.archipelago.interconnect.mailbox.MailboxTransport.TCP);
                assertThat(ping(cluster, channels, WEAK, STRONG, 10, false, 5000).getTransport()).isEqualTo("shm");
            }
            assertThat(counter(cluster, WEAK, MailboxCounter.received(MailboxType.PING))).isEqualTo(2500);
            assertThat(counter(cluster, STRONG, MailboxCounter.DROPS.label()) + counter(cluster, WEAK, MailboxCounter.DROPS.label())).isZero();
        }
    }

    @Test
    void aRestartedKernelIsReachableAgain() {
        try (MiniCluster cluster = MiniCluster.start(ClusterConfig.k2Default(), "mailbox-restart");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            ping(cluster, channels, STRONG, WEAK, 20, false, 10_000);
            String before = cluster.kernel(WEAK).getMailbox();
            cluster.kill9(WEAK);
            cluster.awaitState(WEAK, "DEAD", Duration.ofSeconds(5));
            // a dead kernel is reported as such, at once
            assertThatThrownBy(() -> ping(cluster, channels, STRONG, WEAK, 1, false, 2000))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("weak-0 (kernel 1)").contains("DEAD");
                });
            cluster.restart(WEAK);
            assertThat(cluster.kernel(WEAK).getMailbox()).isNotEqualTo(before);
            MailboxPingReply there = ping(cluster, channels, STRONG, WEAK, 20, false, 5000);
            MailboxPingReply back = ping(cluster, channels, WEAK, STRONG, 20, false, 5000);
            assertThat(there.getRttNsCount()).isEqualTo(20);
            assertThat(back.getRttNsCount()).isEqualTo(20);
            // the default transport: the new incarnation's link bound both rings of the pair to a fresh epoch
            assertThat(there.getTransport()).isEqualTo("shm");
            assertThat(back.getTransport()).isEqualTo("shm");
            assertThat(counter(cluster, STRONG, MailboxCounter.LINK_LOSSES.label())).isEqualTo(1);
            // the coordinator's link, then weak-0's two incarnations
            assertThat(counter(cluster, STRONG, MailboxCounter.LINKS.label())).isEqualTo(3);
        }
    }

    @Test
    void strangersGarbageAndWrongSecretsAreDroppedWhileMembersKeepTalking() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(ClusterConfig.k2Default(), "mailbox-strangers");
             KernelChannels channels = new KernelChannels(cluster.coordinator().secret(), "it")) {
            MailboxEndpoint weak = endpointOf(cluster, WEAK);
            int weakId = cluster.kernelId(WEAK);
            CompletableFuture<MailboxPingReply> members = CompletableFuture.supplyAsync(() ->
                ping(cluster, channels, STRONG, WEAK, 5000, false, 10_000));

            // garbage on the mailbox port: dropped
            try (Socket socket = new Socket(weak.host(), weak.port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write("GET / HTTP/1.1\r\nHost: weak-0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                assertThat(readUntilClosed(in)).as("the kernel closes the connection").isTrue();
            }

            // a would-be member that does not know the secret: refused
            try (Mailbox stranger = Mailboxes.start(new MailboxContext().memberId(MemberIds.tool(1)).memberName("stranger")
                .incarnation(1).secret(ClusterSecret.generate()).serve(false)
                .directory(id -> Optional.of(PeerAddress.alive(weakId, WEAK, 0, weak))))) {
                assertThatThrownBy(() -> stranger.ping(weakId, Duration.ofSeconds(10)))
                    .isInstanceOfSatisfying(MailboxException.class, e -> {
                        assertThat(e.reason()).isEqualTo(MailboxException.Reason.AUTHENTICATION);
                        assertThat(e.getMessage()).contains("WRONG_PROOF");
                    });
            }

            // a member that is not a kernel (a tool; the coordinator itself is member 65535 now) and knows the secret: answered on its
            // own link
            try (Mailbox coordinatorLike = Mailboxes.start(new MailboxContext().memberId(MemberIds.tool(2)).memberName("tool")
                .incarnation(2).secret(cluster.coordinator().secret()).serve(false)
                .directory(id -> Optional.of(PeerAddress.alive(weakId, WEAK, 0, weak))))) {
                assertThat(coordinatorLike.ping(weakId, Duration.ofSeconds(10))).isPositive();
            }

            assertThat(members.get(120, TimeUnit.SECONDS).getRttNsCount()).as("members kept talking meanwhile").isEqualTo(5000);
            assertThat(counter(cluster, WEAK, MailboxCounter.AUTH_FAILURES.label())).isEqualTo(2);
            assertThat(ping(cluster, channels, WEAK, STRONG, 10, false, 2000).getRttNsCount()).isEqualTo(10);
            assertThat(cluster.kernel(WEAK).getState()).isEqualTo("RUNNING");
        }
    }

    private static boolean readUntilClosed(InputStream in) {
        try {
            byte[] buffer = new byte[256];
            while (true) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the kernel
        }
    }
}
