package io.archipelago.it.containers;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.DsmAccessReply;
import io.archipelago.control.proto.DsmAccessRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmOpenReply;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.control.auth.ControlAuthentication;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Runs <em>inside</em> a cluster's container (copied there by {@link ContainerCluster}, with the
 * image's own jars on its class path) and asks a kernel's control API, across the container
 * network, with a deadline, to do one thing: the view one member has of another. Prints one line
 * of tab-separated {@code key=value} pairs and exits 0 when the kernel answered, 1 when the call
 * failed (with the gRPC status and its description), 2 on bad arguments.
 *
 * <pre>
 * java -cp /opt/probe:/opt/archipelago/lib/* io.archipelago.it.containers.ControlProbe MODE HOST PORT SECRET_FILE DEADLINE_MS [ARGS]
 *   describe                          the kernel describes itself
 *   ping PEER_ID [TIMEOUT_MS]         the kernel pings a peer kernel over the mailbox (its own wait: TIMEOUT_MS,
 *                                     default the call's deadline less half a second)
 *   dsm-open REGION COUNT create|attach   the kernel creates or attaches a software-coherent region of dsm_cells
 *   dsm-access REGION CELL            the kernel writes a cell (faulting its page in if another kernel holds it)
 * </pre>
 */
public final class ControlProbe {

    private ControlProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 5 || !usage(args[0], args.length - 5)) {
            System.out.println("result=usage\tmessage=expected MODE HOST PORT SECRET_FILE DEADLINE_MS [ARGS] with MODE describe, "
                + "ping PEER_ID [TIMEOUT_MS], dsm-open REGION COUNT create|attach or dsm-access REGION CELL; found " + String.join(" ", args));
            System.exit(2);
        }
        String mode = args[0];
        String host = args[1];
        int port = Integer.parseInt(args[2]);
        ClusterSecret secret = ClusterSecret.readFrom(Path.of(args[3]));
        long deadlineMs = Long.parseLong(args[4]);
        String[] extra = Arrays.copyOfRange(args, 5, args.length);
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext()
            .intercept(ControlAuthentication.client(secret, "probe")).build();
        long start = System.nanoTime();
        int exit;
        try {
            String fields = switch (mode) {
                case "describe" -> {
                    KernelStatus status = KernelControlGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .describe(DescribeRequest.getDefaultInstance());
                    yield "name=" + status.getName() + "\tid=" + status.getId() + "\tpid=" + status.getPid() + "\thost=" + status.getHost()
                        + "\tstate=" + status.getState() + "\tuptime_ms=" + status.getUptimeMs();
                }
                case "ping" -> {
                    MailboxPingReply reply = KernelMailboxGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .ping(MailboxPingRequest.newBuilder().setPeer(Integer.parseInt(extra[0])).setRoundTrips(1)
                            .setTimeoutMs(extra.length > 1 ? Long.parseLong(extra[1]) : Math.max(1, deadlineMs - 500)).build());
                    yield "rtt_ns=" + reply.getRttNs(0) + "\ttransport=" + reply.getTransport();
                }
                case "dsm-open" -> {
                    DsmOpenReply reply = DsmControlGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .open(DsmOpenRequest.newBuilder().setRegion(extra[0]).setCount(Long.parseLong(extra[1]))
                            .setCreate("create".equals(extra[2])).build());
                    yield "region=" + reply.getRegion() + "\taccessor=" + reply.getAccessor() + "\tfirst_page_frame=" + reply.getFirstPageFrame();
                }
                default -> {
                    DsmAccessReply reply = DsmControlGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                        .access(DsmAccessRequest.newBuilder().setRegion(extra[0]).setCell(Long.parseLong(extra[1])).build());
                    yield "value=" + reply.getValue() + "\tfaulted=" + reply.getFaulted() + "\taccess_ns=" + reply.getAccessNs();
                }
            };
            System.out.println("result=ok\telapsed_ms=" + elapsedMs(start) + "\t" + fields);
            exit = 0;
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription().replaceAll("\\s+", " ");
            System.out.println("result=error\telapsed_ms=" + elapsedMs(start) + "\tcode=" + e.getStatus().getCode() + "\tmessage="
                + description);
            exit = 1;
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(2, TimeUnit.SECONDS);
        }
        System.exit(exit);
    }

    private static boolean usage(String mode, int extra) {
        return switch (mode) {
            case "describe" -> extra == 0;
            case "ping" -> extra == 1 || extra == 2;
            case "dsm-open" -> extra == 3;
            case "dsm-access" -> extra == 2;
            default -> false;
        };
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
