package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxException.Reason;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.wire.Frame;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The authentication stage of the mailbox pipeline: a link carries words only after both sides
 * proved they know the cluster secret, with fresh challenges both ways; the secret never crosses
 * the socket.
 *
 * <pre>
 *   initiator                                   acceptor
 *      | HELLO(id, incarnation, target, depth, Ci) |
 *      |------------------------------------------>|  target must be the acceptor's id
 *      |  CHALLENGE(id, incarnation, depth, Ca)    |
 *      |<------------------------------------------|
 *      |  PROOF(HMAC(secret, "initiator", Ci, Ca, ids, incarnations))
 *      |------------------------------------------>|  wrong: REFUSE, close, auth_failures++
 *      |  WELCOME(HMAC(secret, "acceptor", ...))   |  or REFUSE(DUPLICATE) when a link exists
 *      |<------------------------------------------|
 *      | initiator checks the acceptor's proof: an impostor is dropped too
 * </pre>
 * <p>
 * The acceptor proves nothing before the initiator did, so a stranger learns no proof. Anything
 * else before WELCOME (garbage, a frame too long, a wrong proof, silence beyond the handshake
 * timeout) drops the connection and counts it in {@code mailbox.auth_failures}; a connection
 * closed by its own side before it sent anything is not counted. On success this handler
 * replaces itself with the {@link LinkHandler}.
 */
final class AuthenticationHandler extends ChannelInboundHandlerAdapter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AuthenticationHandler.class);

    private static final byte[] INITIATOR_LABEL = "archipelago-mailbox-initiator".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACCEPTOR_LABEL = "archipelago-mailbox-acceptor".getBytes(StandardCharsets.US_ASCII);

    private final MailboxCore core;
    private final PeerQueue queue;               // initiator only
    private final CompletableFuture<Link> attempt; // initiator only
    private final byte[] ownChallenge = new byte[Frame.CHALLENGE_BYTES];
    private Frame.Hello hello;          // acceptor: the initiator's introduction
    private Frame.Challenge challenge;  // initiator: the acceptor's introduction
    private boolean finished;
    private ScheduledFuture<?> timeout;

    private AuthenticationHandler(MailboxCore core, PeerQueue queue, CompletableFuture<Link> attempt) {
        this.core = core;
        this.queue = queue;
        this.attempt = attempt;
        core.random.nextBytes(ownChallenge);
    }

    static AuthenticationHandler acceptor(MailboxCore core) {
        return new AuthenticationHandler(core, null, null);
    }

    static AuthenticationHandler initiator(MailboxCore core, PeerQueue queue, CompletableFuture<Link> attempt) {
        return new AuthenticationHandler(core, queue, attempt);
    }

    private boolean initiator() {
        return queue != null;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        long millis = core.handshakeTimeout().toMillis();
        timeout = ctx.executor().schedule(() -> {
            if (!finished) {
                if (initiator()) {
                    fail(ctx, Reason.UNREACHABLE, describeTarget() + " did not complete the mailbox handshake within " + millis + " ms", true);
                } else {
                    reject(ctx, "no proof of cluster membership within " + millis + " ms", null);
                }
            }
        }, millis, TimeUnit.MILLISECONDS);
        if (initiator()) {
            LOG.debug("mailbox of {}: connected to {} after {} us", core.selfName, describeTarget(),
                (System.nanoTime() - queue.attemptStartedNanos) / 1000);
            ctx.writeAndFlush(new Frame.Hello(Frame.VERSION, core.selfId, core.incarnation, queue.peerId, core.fifoDepth, core.memoryId, ownChallenge,
                core.selfName));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (finished) {
            return; // the connection is being dropped
        }
        if (initiator()) {
            initiatorRead(ctx, frame);
        } else {
            acceptorRead(ctx, frame);
        }
    }

    // ---------------------------------------------------------------- acceptor

    private void acceptorRead(ChannelHandlerContext ctx, Frame frame) {
        if (hello == null) {
            if (!(frame instanceof Frame.Hello h)) {
                reject(ctx, "expected a HELLO frame first, found " + describe(frame), null);
                return;
            }
            if (h.version() != Frame.VERSION) {
                reject(ctx, "mailbox protocol version " + h.version() + " from '" + h.name() + "', expected " + Frame.VERSION,
                    new Frame.Refuse(Frame.RefuseReason.BAD_VERSION, "expected mailbox protocol version " + Frame.VERSION));
                return;
            }
            if (h.senderId() < 0 || h.senderId() > MemberIds.MAX || h.senderId() == core.selfId || h.fifoDepth() < 1) {
                reject(ctx, "a HELLO with sender id " + h.senderId() + " and FIFO depth " + h.fifoDepth() + " (expected another member's "
                    + "id 0-" + MemberIds.MAX + " and a depth >= 1)", null);
                return;
            }
            if (h.targetId() != core.selfId) {
                finished = true;
                cancelTimeout();
                // a member with a stale endpoint: not an attack, say so and let it look again
                ctx.writeAndFlush(new Frame.Refuse(Frame.RefuseReason.NOT_ME, "this endpoint is " + core.selfName + " (member "
                    + core.selfId + "), not member " + h.targetId())).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            hello = h;
            ctx.writeAndFlush(new Frame.Challenge(core.selfId, core.incarnation, core.fifoDepth, core.memoryId, ownChallenge, core.selfName));
            return;
        }
        if (!(frame instanceof Frame.Proof proof)) {
            reject(ctx, "expected a PROOF frame from '" + hello.name() + "' (member " + hello.senderId() + "), found " + describe(frame), null);
            return;
        }
        if (!core.secret.verify(proof.proof(), proofParts(INITIATOR_LABEL, hello.challenge(), ownChallenge, hello.senderId(),
            core.selfId, hello.incarnation(), core.incarnation))) {
            reject(ctx, "wrong proof from '" + hello.name() + "' (member " + hello.senderId() + "): it does not know this cluster's secret",
                new Frame.Refuse(Frame.RefuseReason.WRONG_PROOF, "wrong proof: you do not know this cluster's secret"));
            return;
        }
        finished = true;
        cancelTimeout();
        Link link = new Link(ctx.channel(), hello.senderId(), hello.name(), hello.incarnation(), hello.fifoDepth(), false);
        Frame.RefuseReason refusal = core.links.acceptInbound(link);
        if (refusal != null) {
            ctx.writeAndFlush(new Frame.Refuse(refusal, switch (refusal) {
                case DUPLICATE -> "a link between " + core.selfName + " and you exists or is being established";
                case STALE_INCARNATION -> "membership does not show your incarnation " + hello.incarnation() + " as live";
                default -> core.selfName + " is closing";
            }))
                .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        core.decideRings(link, hello.memoryId(), hello.challenge(), ownChallenge);
        ctx.writeAndFlush(new Frame.Welcome(core.secret.prove(proofParts(ACCEPTOR_LABEL, hello.challenge(), ownChallenge,
            hello.senderId(), core.selfId, hello.incarnation(), core.incarnation))));
        ctx.pipeline().replace(this, "link", new LinkHandler(core, link));
        core.links.inboundLinkUp(link);
    }

    private void reject(ChannelHandlerContext ctx, String problem, Frame.Refuse answer) {
        finished = true;
        cancelTimeout();
        core.authenticationFailed(ctx.channel(), problem);
        if (answer != null && ctx.channel().isActive()) {
            ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    // ---------------------------------------------------------------- initiator

    private void initiatorRead(ChannelHandlerContext ctx, Frame frame) {
        if (frame instanceof Frame.Refuse refuse) {
            boolean wrongProof = refuse.reason() == Frame.RefuseReason.WRONG_PROOF;
            boolean retriable = refuse.reason() == Frame.RefuseReason.DUPLICATE || refuse.reason() == Frame.RefuseReason.NOT_ME;
            fail(ctx, wrongProof ? Reason.AUTHENTICATION : Reason.UNREACHABLE, describeTarget() + " refused the link ("
                + refuse.reason() + "): " + refuse.text(), retriable);
            return;
        }
        if (challenge == null) {
            if (!(frame instanceof Frame.Challenge c)) {
                impostor(ctx, "expected a CHALLENGE frame, found " + describe(frame));
                return;
            }
            if (c.id() != queue.peerId) {
                fail(ctx, Reason.UNREACHABLE, "the endpoint of " + describeTarget() + " is served by '" + c.name() + "' (member " + c.id()
                    + "): the directory's entry is stale", true);
                return;
            }
            if (c.fifoDepth() < 1) {
                impostor(ctx, "a CHALLENGE with FIFO depth " + c.fifoDepth() + " (expected >= 1)");
                return;
            }
            challenge = c;
            LOG.debug("mailbox of {}: challenged by {} after {} us", core.selfName, describeTarget(),
                (System.nanoTime() - queue.attemptStartedNanos) / 1000);
            ctx.writeAndFlush(new Frame.Proof(core.secret.prove(proofParts(INITIATOR_LABEL, ownChallenge, c.challenge(), core.selfId,
                c.id(), core.incarnation, c.incarnation()))));
            return;
        }
        if (!(frame instanceof Frame.Welcome welcome)) {
            impostor(ctx, "expected a WELCOME frame, found " + describe(frame));
            return;
        }
        if (!core.secret.verify(welcome.proof(), proofParts(ACCEPTOR_LABEL, ownChallenge, challenge.challenge(), core.selfId,
            challenge.id(), core.incarnation, challenge.incarnation()))) {
            impostor(ctx, "wrong proof in its WELCOME: it does not know this cluster's secret");
            return;
        }
        finished = true;
        cancelTimeout();
        Link link = new Link(ctx.channel(), challenge.id(), challenge.name(), challenge.incarnation(), challenge.fifoDepth(), true);
        core.decideRings(link, challenge.memoryId(), ownChallenge, challenge.challenge());
        ctx.pipeline().replace(this, "link", new LinkHandler(core, link));
        core.links.outboundLinkUp(queue, attempt, link);
    }

    private void impostor(ChannelHandlerContext ctx, String problem) {
        core.authenticationFailed(ctx.channel(), describeTarget() + " at this address failed to prove membership: " + problem);
        fail(ctx, Reason.AUTHENTICATION, describeTarget() + " failed to prove cluster membership: " + problem, false);
    }

    private void fail(ChannelHandlerContext ctx, Reason reason, String problem, boolean retriable) {
        finished = true;
        cancelTimeout();
        ctx.close();
        core.links.attemptFailed(queue, attempt, new LinkAttemptFailure(reason, queue.peerId, problem, retriable));
    }

    private String describeTarget() {
        return core.describe(queue);
    }

    // ---------------------------------------------------------------- both

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (finished) {
            ctx.close();
            return;
        }
        String problem = "unreadable bytes before authentication (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        if (initiator()) {
            if (cause instanceof java.io.IOException) {
                fail(ctx, Reason.UNREACHABLE, describeTarget() + ": " + cause.getMessage(), true);
            } else {
                impostor(ctx, problem);
            }
        } else if (cause instanceof java.io.IOException && abandonedBySimultaneousOpen()) {
            finished = true;
            cancelTimeout();
            ctx.close();
        } else if (cause instanceof java.io.IOException) {
            reject(ctx, "connection failed during the handshake: " + cause.getMessage(), null);
        } else {
            reject(ctx, problem, null);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!finished) {
            if (initiator()) {
                fail(ctx, Reason.UNREACHABLE, describeTarget() + " closed the connection during the mailbox handshake", true);
            } else if (hello == null || abandonedBySimultaneousOpen()) {
                // Closed by the other side before saying anything (a probe, or a member abandoning its half of a
                // simultaneous open before its HELLO left): nothing to drop, nothing to count.
                finished = true;
                cancelTimeout();
            } else {
                reject(ctx, "closed the connection during the handshake (no PROOF from '" + hello.name() + "')", null);
            }
        }
        cancelTimeout();
        ctx.fireChannelInactive();
    }

    /**
     * A member that gave up its half of a simultaneous open (the other link won) is no stranger:
     * we are linked with it already, or our own link to it is being established.
     */
    private boolean abandonedBySimultaneousOpen() {
        return hello != null && (core.linkedWith(hello.senderId(), hello.incarnation()) || core.connectingTo(hello.senderId()));
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    private static String describe(Frame frame) {
        return frame instanceof Frame.Malformed m ? "a malformed frame (" + m.problem() + ")" : frame.getClass().getSimpleName().toUpperCase();
    }

    private static byte[][] proofParts(byte[] label, byte[] initiatorChallenge, byte[] acceptorChallenge, int initiatorId, int acceptorId,
                                       long initiatorIncarnation, long acceptorIncarnation) {
        return new byte[][] {label, initiatorChallenge, acceptorChallenge,
            ByteBuffer.allocate(24).putInt(initiatorId).putInt(acceptorId).putLong(initiatorIncarnation).putLong(acceptorIncarnation).array()};
    }
}
