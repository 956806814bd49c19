package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.wire.Frame;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
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
                core.deliver(link, word.word());
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
            ctx.write(new Frame.Word(link.takeOwedCredits(), word.word()), promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
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
