package io.archipelago.cli;

import io.archipelago.control.proto.DsmAccessReply;
import io.archipelago.control.proto.DsmAccessRequest;
import io.archipelago.control.proto.DsmControlGrpc;
import io.archipelago.control.proto.DsmOpenReply;
import io.archipelago.control.proto.DsmOpenRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.kernel.KernelCounter;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Demo scene: a shadowed structure (K2's shadowed services) shared by the strong and the weak
 * kernel, which sit in different coherence domains: a software-coherent region whose page moves
 * to whichever kernel writes it, over the mailbox, and the DSM counters that show it.
 */
final class DsmAct implements TwoKernelAct {

    private static final String REGION = "demo-shadowed";
    private static final int WRITES = 6;

    @Override
    public String title() {
        return "the software DSM: a shadowed structure written in turn by kernels of two coherence domains";
    }

    @Override
    public void run(Coordinator cluster, KernelStatus strong, KernelStatus weak, PrintWriter out) {
        try (KernelChannels channels = new KernelChannels(cluster.secret(), "demo")) {
            DsmOpenReply region = channels.stub(strong.getControl(), DsmControlGrpc::newBlockingStub).withDeadlineAfter(60, TimeUnit.SECONDS)
                .open(DsmOpenRequest.newBuilder().setRegion(REGION).setCount(4).setCreate(true).build());
            channels.stub(weak.getControl(), DsmControlGrpc::newBlockingStub).withDeadlineAfter(60, TimeUnit.SECONDS).open(DsmOpenRequest.newBuilder().setRegion(REGION).build());
            out.printf(Locale.ROOT, "%s (domain %s) created software-coherent region '%s' (struct dsm_cell, %d page at frame %d); %s (domain %s) "
                    + "attached it%n", strong.getName(), strong.getDomain(), REGION, region.getPages(), region.getFirstPageFrame(), weak.getName(),
                weak.getDomain());
            for (int i = 0; i < WRITES; i++) {
                KernelStatus writer = i % 2 == 0 ? strong : weak;
                DsmAccessReply reply = channels.stub(writer.getControl(), DsmControlGrpc::newBlockingStub).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .access(DsmAccessRequest.newBuilder().setRegion(REGION).setCell(0).build());
                out.printf(Locale.ROOT, "  %-9s (%s) value := %d  %s%n", writer.getName(), writer.getDataModel(), reply.getValue(),
                    reply.getFaulted() ? String.format(Locale.ROOT, "page fault: page obtained and usable after %.0f us",
                        reply.getAccessNs() / 1000.0) : "page already VALID here: no message");
            }
            for (KernelStatus kernel : cluster.status().getKernelsList()) {
                if (kernel.getId() == strong.getId() || kernel.getId() == weak.getId()) {
                    StringBuilder line = new StringBuilder(kernel.getName()).append(" DSM counters:");
                    kernel.getCountersList().stream()
                        .filter(c -> Stream.of(KernelCounter.DSM_FAULTS, KernelCounter.DSM_CLAIMS, KernelCounter.DSM_PAGES_RECEIVED,
                                KernelCounter.DSM_PAGES_SENT, KernelCounter.DSM_DEFERRED_REQUESTS).map(KernelCounter::label).toList()
                            .contains(c.getLabel()))
                        .forEach(c -> line.append(' ').append(c.getLabel().substring(4)).append('=').append(c.getValue()));
                    out.println(line);
                }
            }
            out.println("(claims: pages taken from global memory when no kernel held them; pages received/sent: GET_EXCLUSIVE "
                + "answered by PUT_EXCLUSIVE, the holder writing its copy back first)");
            out.println("(`archipelago bench dsm` measures page transfers against the mailbox round trip)");
        } catch (io.grpc.StatusRuntimeException e) {
            throw new CliException("the DSM scene failed: " + e.getStatus().getDescription());
        }
    }
}
