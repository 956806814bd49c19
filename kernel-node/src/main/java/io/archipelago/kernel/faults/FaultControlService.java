package io.archipelago.kernel.faults;

import io.archipelago.control.proto.ArmFaultRequest;
import io.archipelago.control.proto.FaultControlGrpc;
import io.archipelago.control.proto.FaultState;
import io.archipelago.control.proto.FaultsRequest;
import io.archipelago.control.proto.LinkFaultRule;
import io.archipelago.control.proto.LinkFaultsRequest;
import io.archipelago.interconnect.mailbox.LinkFaults;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control API of fault injection in one kernel (`archipelago faults`): arms its named
 * protocol points ({@link FaultPoints}) and sets the faults its mailbox applies to the words it
 * receives ({@link LinkFaults}).
 */
public final class FaultControlService extends FaultControlGrpc.FaultControlImplBase {

    private static final Logger LOG = LoggerFactory.getLogger(FaultControlService.class);

    private final String kernelName;
    private final Mailbox mailbox;

    public FaultControlService(String kernelName, Mailbox mailbox) {
        this.kernelName = kernelName;
        this.mailbox = mailbox;
    }

    @Override
    public void arm(ArmFaultRequest request, StreamObserver<FaultState> response) {
        try {
            FaultPoints.Point point = FaultPoints.Point.byLabel(request.getPoint());
            if (request.getAction().equalsIgnoreCase("disarm")) {
                FaultPoints.disarm(point);
                LOG.warn("kernel {}: fault at {} disarmed", kernelName, point.label());
                response.onNext(state());
                response.onCompleted();
                return;
            }
            FaultPoints.Action action;
            try {
                action = FaultPoints.Action.valueOf(request.getAction().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("fault action: expected crash, stop or disarm, found '" + request.getAction() + "'");
            }
            if (request.getDelayMs() < 0) {
                throw new IllegalArgumentException("fault delay: expected >= 0 ms, found " + request.getDelayMs());
            }
            FaultPoints.arm(point, new FaultPoints.Fault(action, request.getDelayMs()));
            LOG.warn("kernel {}: fault armed at {}: {}", kernelName, point.label(), FaultPoints.armed().get(point.label()));
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("kernel " + kernelName + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(state());
        response.onCompleted();
    }

    @Override
    public void setLinkFaults(LinkFaultsRequest request, StreamObserver<FaultState> response) {
        LinkFaults faults = mailbox.linkFaults();
        try {
            LinkFaults.Rule rule = new LinkFaults.Rule(request.getDrop(), request.getDuplicate(), request.getReorder(), request.getDelayMs());
            if (request.getPeer() < LinkFaults.ALL_PEERS) {
                throw new IllegalArgumentException("link fault peer: expected a kernel id or -1 (every peer), found " + request.getPeer());
            }
            if (request.getClear()) {
                faults.clear();
            }
            if (request.getReseed()) {
                faults.seed(request.getSeed());
            }
            if (request.getPeer() == LinkFaults.ALL_PEERS) {
                faults.setAll(rule);
            } else {
                faults.set(request.getPeer(), rule);
            }
            LOG.warn("kernel {}: link faults now {} (seed {})", kernelName, faults.rules(), faults.seedValue());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("kernel " + kernelName + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(state());
        response.onCompleted();
    }

    @Override
    public void faults(FaultsRequest request, StreamObserver<FaultState> response) {
        response.onNext(state());
        response.onCompleted();
    }

    private FaultState state() {
        LinkFaults faults = mailbox.linkFaults();
        LinkFaults.Injected injected = faults.injected();
        FaultState.Builder state = FaultState.newBuilder().setKernel(kernelName).putAllArmed(FaultPoints.armed()).setSeed(faults.seedValue())
            .setWordsDropped(injected.dropped()).setWordsDuplicated(injected.duplicated()).setWordsReordered(injected.reordered())
            .setWordsDelayed(injected.delayed());
        faults.rules().forEach((peer, rule) -> state.addRules(LinkFaultRule.newBuilder().setPeer(peer).setDrop(rule.drop())
            .setDuplicate(rule.duplicate()).setReorder(rule.reorder()).setDelayMs(rule.delayMs())));
        return state.build();
    }
}
