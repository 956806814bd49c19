package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.wire.Frame;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interrupt-dispatch stage of the mailbox pipeline, for one authenticated link: words go to
 * {@link MailboxCore#deliver} (requests waiting for them, or interrupt handlers), credits to the
 * sending side, and outgoing words are framed here, on the interrupt context, with the credits
 * owed to the peer at that moment.
 */
final class LinkHandler extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(LinkHandler.class);

    private final MailboxCore core;
    private final Link link;
    /** Stamped words not yet due, in arrival order: {due (monotonic ns), word}. */
    private final ArrayDeque<long[]> held = new ArrayDeque<>();
    /** The task that delivers {@link #held}'s first word when it is due; null when none is set. */
    private ScheduledFuture<?> drain;

    LinkHandler(MailboxCore core, Link link) {
        this.core = core;
        this.link = link;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        switch (msg) {
            case Frame.Word word -> {
                if (word.credits() > 0) {
                    core.creditsArrived(link, word.credits());
                }
                if (word.sentAtNanos() != 0) {
                    hold(ctx, word);
                } else {
                    core.deliver(link, word.word());
                }
            }
            case Frame.Credit credit -> core.creditsArrived(link, credit.credits());
            case Frame.FifoFull full -> {
                if (link.onRings()) {
                    core.ringFifoFull(link);
                } else {
                    link.peerWaiting = true;
                }
            }
            case Frame.Doorbell doorbell -> {
                // nothing to do here: the interrupt context looks at its rings each time round its loop
            }
            case Frame.Malformed malformed -> core.malformed(link, malformed.problem());
            case Frame other -> core.malformed(link, "a " + other.getClass().getSimpleName().toUpperCase()
                + " handshake frame on an established link");
            default -> ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        core.readComplete(link, ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof OutboundWord word) {
            // under a modelled latency the word carries its send time, and the peer holds it to the model
            ctx.write(new Frame.Word(link.takeOwedCredits(), word.word(), core.wordHoldNanos(link) > 0 ? System.nanoTime() : 0), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    /**
     * A stamped word is delivered no earlier than its send time + the pair's modelled latency, and
     * after every word that arrived before it (the link's order): one not yet due, or behind one
     * held, waits in {@link #held} until a task on this link's event loop (the interrupt context)
     * delivers it. It is not consumed meanwhile, so its FIFO credit goes back only then: the
     * sender's back-pressure is kept, as in a ring.
     */
    private void hold(ChannelHandlerContext ctx, Frame.Word word) {
        long due = word.sentAtNanos() + core.wordHoldNanos(link);
        if (held.isEmpty() && due - System.nanoTime() <= 0) {
            core.deliver(link, word.word());
            return;
        }
        held.addLast(new long[] {due, word.word()});
        if (drain == null) {
            scheduleDrain(ctx);
        }
    }

    private void scheduleDrain(ChannelHandlerContext ctx) {
        long wait = held.getFirst()[0] - System.nanoTime();
        drain = ctx.executor().schedule(() -> deliverDue(ctx), Math.max(0, wait), TimeUnit.NANOSECONDS);
    }

    private void deliverDue(ChannelHandlerContext ctx) {
        drain = null;
        while (!held.isEmpty() && held.getFirst()[0] - System.nanoTime() <= 0) {
            core.deliver(link, (int) held.removeFirst()[1]);
        }
        core.readComplete(link, ctx);
        if (!held.isEmpty()) {
            scheduleDrain(ctx);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (drain != null) {
            drain.cancel(false);
            drain = null;
        }
        held.clear(); // the link is gone: its words with it, as an unread ring's are dropped
        core.links.unbind(link, "connection closed");
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            core.malformed(link, cause.getMessage() + "; the stream cannot be resynchronised, closing the link");
        } else if (cause instanceof IOException) {
            LOG.debug("mailbox of {}: {}: {}", core.selfName, link, cause.getMessage());
        } else {
            LOG.warn("mailbox of {}: {} failed; closing it", core.selfName, link, cause);
        }
        ctx.close();
    }
}
