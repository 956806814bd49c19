package io.archipelago.it.containers;

import io.archipelago.control.proto.DescribeRequest;
import io.archipelago.control.proto.KernelControlGrpc;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.interconnect.auth.ControlAuthentication;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs <em>inside</em> a cluster's container (copied there by {@link ContainerCluster}, with the
 * image's own jars on its class path) and asks a kernel's control API, across the container
 * network, to describe itself, with a deadline: the view one member has of another. Prints one
 * line of tab-separated {@code key=value} pairs and exits 0 when the kernel answered, 1 when
 * the call failed (with the gRPC status and its description), 2 on bad arguments.
 *
 * <pre>java -cp /opt/probe:/opt/archipelago/lib/* io.archipelago.it.containers.ControlProbe describe HOST PORT SECRET_FILE DEADLINE_MS</pre>
 *
 * The first argument is the mode. When the mailbox lands, a {@code ping} mode goes beside
 * {@code describe}: it asks the kernel at HOST:PORT (its KernelMailbox service) to ping a peer
 * kernel by id and prints the same kind of line, so that pings across containers are one more
 * case of {@link ContainerCluster#probe}.
 */
public final class ControlProbe {

    private ControlProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 5 || !"describe".equals(args[0])) {
            System.out.println("result=usage\tmessage=expected describe HOST PORT SECRET_FILE DEADLINE_MS, found " + String.join(" ", args));
            System.exit(2);
        }
        String host = args[1];
        int port = Integer.parseInt(args[2]);
        ClusterSecret secret = ClusterSecret.readFrom(Path.of(args[3]));
        long deadlineMs = Long.parseLong(args[4]);
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext()
            .intercept(ControlAuthentication.client(secret, "probe")).build();
        long start = System.nanoTime();
        int exit;
        try {
            KernelStatus status = KernelControlGrpc.newBlockingStub(channel).withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
                .describe(DescribeRequest.getDefaultInstance());
            System.out.println("result=ok\telapsed_ms=" + elapsedMs(start) + "\tname=" + status.getName() + "\tid=" + status.getId()
                + "\tpid=" + status.getPid() + "\thost=" + status.getHost() + "\tstate=" + status.getState() + "\tuptime_ms="
                + status.getUptimeMs());
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

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
