package io.archipelago.kernel.mailbox;

import io.archipelago.control.proto.KernelMailboxGrpc;
import io.archipelago.control.proto.MailboxPingReply;
import io.archipelago.control.proto.MailboxPingRequest;
import io.archipelago.control.proto.MailboxStreamReply;
import io.archipelago.control.proto.MailboxStreamRequest;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/** The kernel's {@code KernelMailbox} control API: pings and NOP streams from this kernel, on a normal thread. */
final class MailboxControlService extends KernelMailboxGrpc.KernelMailboxImplBase {

    static final int MAX_ROUND_TRIPS = 500_000;
    static final int MAX_STREAM_WORDS = 50_000_000;

    private final Mailbox mailbox;

    MailboxControlService(Mailbox mailbox) {
        this.mailbox = mailbox;
    }

    @Override
    public void ping(MailboxPingRequest request, StreamObserver<MailboxPingReply> responseObserver) {
        if (request.getRoundTrips() < 1 || request.getRoundTrips() > MAX_ROUND_TRIPS || request.getWarmup() < 0
            || request.getWarmup() > MAX_ROUND_TRIPS) {
            responseObserver.onError(Status.INVALID_ARGUMENT.withDescription("round_trips must be 1 to " + MAX_ROUND_TRIPS
                + " and warmup 0 to " + MAX_ROUND_TRIPS + ", found " + request.getRoundTrips() + " and " + request.getWarmup())
                .asRuntimeException());
            return;
        }
        Duration timeout = Duration.ofMillis(request.getTimeoutMs() > 0 ? request.getTimeoutMs() : 2000);
        try {
            long[] samples;
            if (request.getInterruptContext()) {
                if (request.getWarmup() > 0) {
                    mailbox.pingFromInterruptContext(request.getPeer(), request.getWarmup(), timeout);
                }
                samples = mailbox.pingFromInterruptContext(request.getPeer(), request.getRoundTrips(), timeout);
            } else {
                for (int i = 0; i < request.getWarmup(); i++) {
                    mailbox.ping(request.getPeer(), timeout);
                }
                samples = new long[request.getRoundTrips()];
                for (int i = 0; i < samples.length; i++) {
                    samples[i] = mailbox.ping(request.getPeer(), timeout);
                }
            }
            MailboxPingReply.Builder reply = MailboxPingReply.newBuilder()
                .setPeer(mailbox.describePeer(request.getPeer()))
                .setTransport(mailbox.carrier(request.getPeer()).orElse(mailbox.context().transport()).id())
                .setIo(mailbox.io())
                .setFifoDepth(mailbox.context().fifoDepth())
                .setLoopSpinUs((int) (mailbox.context().loopSpin().toNanos() / 1000))
                .setLoopPoll(mailbox.context().loopPoll().id())
                .setModelledWordNs(mailbox.context().wordLatency().applyAsLong(request.getPeer()));
            for (long sample : samples) {
                reply.addRttNs(sample);
            }
            responseObserver.onNext(reply.build());
            responseObserver.onCompleted();
        } catch (MailboxException | IllegalArgumentException e) {
            responseObserver.onError(status(e).asRuntimeException());
        }
    }

    @Override
    public void stream(MailboxStreamRequest request, StreamObserver<MailboxStreamReply> responseObserver) {
        if (request.getWords() < 1 || request.getWords() > MAX_STREAM_WORDS) {
            responseObserver.onError(Status.INVALID_ARGUMENT.withDescription("words must be 1 to " + MAX_STREAM_WORDS + ", found "
                + request.getWords()).asRuntimeException());
            return;
        }
        Duration fifoFull = request.getFifoFullTimeoutMs() > 0 ? Duration.ofMillis(request.getFifoFullTimeoutMs())
            : mailbox.context().fifoFullTimeout();
        Duration timeout = Duration.ofMillis(request.getTimeoutMs() > 0 ? request.getTimeoutMs() : 10_000);
        try {
            Mailbox.StreamResult result = mailbox.stream(request.getPeer(), request.getWords(), fifoFull, timeout);
            responseObserver.onNext(MailboxStreamReply.newBuilder()
                .setPeer(mailbox.describePeer(request.getPeer()))
                .setWords(result.words())
                .setElapsedNs(result.elapsedNanos())
                .setFifoFullWaits(result.fifoFullWaits())
                .setFifoDepth(mailbox.context().fifoDepth())
                .build());
            responseObserver.onCompleted();
        } catch (MailboxException | IllegalArgumentException e) {
            responseObserver.onError(status(e).asRuntimeException());
        }
    }

    private Status status(RuntimeException e) {
        String message = mailbox.memberName() + ": " + e.getMessage();
        if (!(e instanceof MailboxException failure)) {
            return Status.INVALID_ARGUMENT.withDescription(message);
        }
        Status status = switch (failure.reason()) {
            case NO_REPLY -> Status.DEADLINE_EXCEEDED;
            case FIFO_FULL -> Status.RESOURCE_EXHAUSTED;
            case AUTHENTICATION -> Status.UNAUTHENTICATED;
            case WOULD_BLOCK_INTERRUPT_CONTEXT -> Status.INTERNAL;
            case UNREACHABLE, DISCONNECTED, CLOSED -> Status.UNAVAILABLE;
        };
        return status.withDescription(message + " [" + failure.reason() + "]");
    }
}
