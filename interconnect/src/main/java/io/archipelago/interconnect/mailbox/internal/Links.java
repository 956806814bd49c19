package io.archipelago.interconnect.mailbox.internal;

import io.archipelago.interconnect.mailbox.MailboxEndpoint;
import io.archipelago.interconnect.mailbox.MailboxException;
import io.archipelago.interconnect.mailbox.MailboxException.Reason;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.interconnect.mailbox.PeerAddress;
import io.archipelago.interconnect.mailbox.wire.Frame;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life cycle of a mailbox's links: established lazily when a word must go to a peer (found
 * through the {@link io.archipelago.interconnect.mailbox.PeerDirectory}, with retries within the
 * deadline), bound one per pair of members (when both connect at once, the link initiated by the
 * lower id wins on both sides), replaced when a peer restarts, and lost when a peer dies, which
 * fails the requests waiting on it.
 * <p>
 * Methods marked "(interrupt context)" run on the mailbox's event loop only; {@link #awaitLink}
 * runs on normal threads.
 */
final class Links {

    private static final Logger LOG = LoggerFactory.getLogger(Links.class);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final MailboxCore core;

    Links(MailboxCore core) {
        this.core = core;
    }

    /** Waits (bounded) until a link to the peer is bound, establishing it if needed, with retries. */
    Link awaitLink(PeerQueue queue, long deadline) {
        Link link = queue.openLink();
        if (link != null) {
            return link;
        }
        long backoff = TimeUnit.MILLISECONDS.toNanos(5);
        while (true) {
            core.checkOpen(queue.peerId);
            CompletableFuture<Link> attempt = connect(queue);
            long remaining = deadline - System.nanoTime();
            try {
                if (remaining <= 0) {
                    throw new TimeoutException();
                }
                link = attempt.get(remaining, TimeUnit.NANOSECONDS);
                if (link.open) {
                    return link;
                }
            } catch (ExecutionException e) {
                link = queue.openLink();
                if (link != null) {
                    return link;
                }
                if (e.getCause() instanceof LinkAttemptFailure failure && failure.retriable
                    && deadline - System.nanoTime() > backoff) {
                    LockSupport.parkNanos(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
                    continue;
                }
                if (e.getCause() instanceof MailboxException failure) {
                    throw new MailboxException(failure.reason(), queue.peerId, failure.getMessage(), failure);
                }
                throw new MailboxException(Reason.UNREACHABLE, queue.peerId, "cannot reach " + core.describe(queue) + ": " + e.getCause(),
                    e.getCause());
            } catch (TimeoutException e) {
                link = queue.openLink();
                if (link != null) {
                    return link;
                }
                MailboxException last = queue.lastFailure;
                throw new MailboxException(Reason.UNREACHABLE, queue.peerId, "no link to " + core.describe(queue) + " could be established in "
                    + core.context.connectTimeout().toMillis() + " ms" + (last == null ? "" : ": " + last.getMessage()), last);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MailboxException(Reason.UNREACHABLE, queue.peerId, "interrupted while connecting to " + core.describe(queue));
            }
            link = queue.openLink();
            if (link != null) {
                return link;
            }
        }
    }

    private CompletableFuture<Link> connect(PeerQueue queue) {
        if (core.loop.inEventLoop()) {
            return ensureAttempt(queue);
        }
        CompletableFuture<Link> result = new CompletableFuture<>();
        try {
            core.loop.execute(() -> ensureAttempt(queue).whenComplete((link, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(link);
                }
            }));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new MailboxException(Reason.CLOSED, queue.peerId, "the mailbox of " + core.selfName + " is closed"));
        }
        return result;
    }

    // ------------------------------------------------------------------ link life cycle (interrupt context)

    /** (interrupt context) The attempt in flight for this peer, starting one if there is none. */
    CompletableFuture<Link> ensureAttempt(PeerQueue queue) {
        Link link = queue.openLink();
        if (link != null) {
            return CompletableFuture.completedFuture(link);
        }
        if (queue.attempt != null) {
            return queue.attempt;
        }
        CompletableFuture<Link> attempt = new CompletableFuture<>();
        queue.attempt = attempt;
        queue.attemptStartedNanos = System.nanoTime();
        if (core.closed()) {
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.CLOSED, queue.peerId, "the mailbox of " + core.selfName + " is closed",
                false));
            return attempt;
        }
        // Membership is a Chronicle Map: never read it on the interrupt context.
        CompletableFuture.supplyAsync(() -> core.context.directory().resolve(queue.peerId), core.resolver)
            .whenCompleteAsync((address, error) -> startConnect(queue, attempt, address, error), core.loop);
        return attempt;
    }

    private void startConnect(PeerQueue queue, CompletableFuture<Link> attempt, Optional<PeerAddress> found, Throwable error) {
        if (attempt.isDone()) {
            return;
        }
        int peer = queue.peerId;
        if (error != null) {
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.UNREACHABLE, peer, "cannot look up member " + peer
                + " in the directory: " + error.getMessage(), true, error));
            return;
        }
        if (found.isEmpty()) {
            boolean kernel = MemberIds.isKernel(peer);
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.UNREACHABLE, peer, core.describe(queue) + " is not in the directory"
                + (kernel ? " (not a member, or not registered yet)" : " and has no link to us: only it can initiate one"), kernel));
            return;
        }
        PeerAddress address = found.get();
        queue.peerName = address.name();
        LOG.debug("mailbox of {}: {} resolved after {} us", core.selfName, core.describe(queue),
            (System.nanoTime() - queue.attemptStartedNanos) / 1000);
        if (!address.alive()) {
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.UNREACHABLE, peer, core.describe(queue) + " is not alive"
                + (address.reason().isEmpty() ? "" : ": " + address.reason()), false));
            return;
        }
        if (address.endpoint() == null) {
            boolean kernel = MemberIds.isKernel(peer);
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.UNREACHABLE, peer, core.describe(queue) + (kernel
                ? " has not published a mailbox endpoint (yet)" : " publishes no mailbox endpoint and has no link to us: only it can "
                + "initiate one"), kernel));
            return;
        }
        MailboxEndpoint target = address.endpoint();
        Bootstrap bootstrap = new Bootstrap().group(core.loop)
            .channel(core.io.clientChannel(target.transport()))
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, core.context.connectTimeout().toMillis()))
            .handler(core.initializer(queue, attempt));
        if (target.transport() == MailboxTransport.TCP) {
            bootstrap.option(ChannelOption.TCP_NODELAY, true);
            core.io.livenessOptions(core.context.linkLiveness()).forEach(
                (option, value) -> bootstrap.option(Links.<Object>cast(option), value));
        }
        ChannelFuture connecting = bootstrap.connect(core.io.address(target));
        queue.attemptChannel = connecting.channel();
        connecting.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.UNREACHABLE, peer, "cannot connect to " + core.describe(queue)
                    + " at " + target + ": " + f.cause().getMessage(), true, f.cause()));
            }
        });
    }

    /** (interrupt context) An attempt failed: record why, and retry or drop what the interrupt context queued. */
    void attemptFailed(PeerQueue queue, CompletableFuture<Link> attempt, LinkAttemptFailure failure) {
        if (queue.attempt == attempt) {
            queue.attempt = null;
            queue.attemptChannel = null;
        }
        if (attempt.isDone()) {
            return;
        }
        queue.lastFailure = failure;
        attempt.completeExceptionally(failure);
        LOG.debug("mailbox of {}: link attempt to {} failed: {}", core.selfName, core.describe(queue), failure.getMessage());
        if (!queue.backlog.isEmpty() && queue.openLink() == null) {
            boolean young = System.nanoTime() - queue.backlogSinceNanos < core.context.connectTimeout().toNanos();
            if (failure.retriable && young && !core.closed()) {
                if (!queue.retryScheduled) {
                    queue.retryScheduled = true;
                    core.loop.schedule(() -> {
                        queue.retryScheduled = false;
                        if (!queue.backlog.isEmpty() && queue.openLink() == null) {
                            ensureAttempt(queue);
                        }
                    }, 20, TimeUnit.MILLISECONDS);
                }
            } else {
                dropBacklog(queue, failure.getMessage());
            }
        }
    }

    /**
     * (interrupt context) An initiator's handshake succeeded, the acceptor sent WELCOME: bind.
     */
    void outboundLinkUp(PeerQueue queue, CompletableFuture<Link> attempt, Link link) {
        if (core.closed()) {
            link.channel.close();
            attemptFailed(queue, attempt, new LinkAttemptFailure(Reason.CLOSED, queue.peerId, "the mailbox of " + core.selfName + " is closed",
                false));
            return;
        }
        Link existing = queue.openLink();
        if (existing != null && existing != link) {
            unbind(existing, "replaced by a newer link");
            existing.channel.close();
        }
        if (queue.attempt == attempt) {
            queue.attempt = null;
            queue.attemptChannel = null;
        }
        bind(queue, link);
        attempt.complete(link);
    }

    /**
     * (interrupt context) An acceptor verified an initiator's proof: accept the link, or refuse it
     * when it would be a second link for the pair. When both members connect at once, the link
     * initiated by the lower id wins on both sides.
     *
     * @return null to accept, or why to refuse
     */
    Frame.RefuseReason acceptInbound(Link link) {
        if (core.closed()) {
            return Frame.RefuseReason.CLOSING;
        }
        PeerQueue queue = core.queue(link.peerId);
        if (queue.attempt != null && !queue.attempt.isDone()) {
            if (core.selfId < link.peerId) {
                return Frame.RefuseReason.DUPLICATE; // our attempt (initiated by the lower id) wins
            }
            // theirs wins: our attempt is abandoned once their link is bound (inboundLinkUp)
        }
        Link existing = queue.openLink();
        if (staleIncarnation(link, existing)) {
            return Frame.RefuseReason.STALE_INCARNATION;
        }
        if (existing != null) {
            boolean sameIncarnation = existing.peerIncarnation == link.peerIncarnation;
            if (sameIncarnation && existing.initiatedByUs && core.selfId < link.peerId) {
                return Frame.RefuseReason.DUPLICATE;
            }
            unbind(existing, sameIncarnation ? "replaced by a new link from " + link.peerName
                : link.peerName + " restarted (incarnation " + existing.peerIncarnation + " -> " + link.peerIncarnation + ")");
            existing.channel.close();
        }
        return null;
    }

    /**
     * Whether an inbound link comes from an incarnation membership does not show as live: one declared DEAD (a stopped
     * kernel that resumed), or an older one than the incarnation whose link is bound now. Such a link must not replace
     * the live incarnation's. A peer the directory does not know (the coordinator, tests without one) is not judged.
     */
    private boolean staleIncarnation(Link link, Link existing) {
        Optional<PeerAddress> known = core.context.directory().resolve(link.peerId);
        if (known.isEmpty()) {
            return false;
        }
        PeerAddress live = known.get();
        boolean stale = live.incarnation() == link.peerIncarnation ? !live.alive()
            : existing != null && existing.peerIncarnation == live.incarnation();
        if (stale) {
            LOG.warn("mailbox of {}: refused a link from {} incarnation {}: membership shows incarnation {} {}", core.selfName,
                link.peerName, link.peerIncarnation, live.incarnation(), live.alive() ? "alive" : live.reason());
        }
        return stale;
    }

    /** (interrupt context) An accepted link is welcomed: bind it, and let it settle our own attempt if one is in flight. */
    void inboundLinkUp(Link link) {
        PeerQueue queue = core.queue(link.peerId);
        bind(queue, link);
        CompletableFuture<Link> attempt = queue.attempt;
        if (attempt != null) {
            Channel abandoned = queue.attemptChannel;
            queue.attempt = null;
            queue.attemptChannel = null;
            attempt.complete(link);
            if (abandoned != null) {
                abandoned.close();
            }
        }
    }

    private void bind(PeerQueue queue, Link link) {
        link.bound = true;
        link.queue = queue;
        queue.peerName = link.peerName;
        queue.boundTo(link.peerIncarnation);
        queue.link = link;
        core.metrics.links.increment();
        if (link.onRings()) {
            core.ringLinkBound(link);
        }
        if (link.initiatedByUs) {
            LOG.info("mailbox of {}: link with {} established in {} ms", core.selfName, core.describe(queue),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - queue.attemptStartedNanos));
        } else {
            LOG.info("mailbox of {}: link with {} accepted", core.selfName, core.describe(queue));
        }
        core.drainBacklog(queue, link);
    }

    /** (interrupt context) Unbinds a link that closed or was replaced; requests waiting on that peer fail. */
    void unbind(Link link, String why) {
        link.open = false;
        if (!link.bound) {
            return;
        }
        link.bound = false;
        PeerQueue queue = link.queue;
        if (queue.link == link) {
            queue.link = null;
        }
        if (link.onRings()) {
            core.ringLinkUnbound(link);
        }
        core.metrics.linkLosses.increment();
        LOG.info("mailbox of {}: link with {} lost: {}", core.selfName, core.describe(queue), why);
        queue.failPending(new MailboxException(core.closed() ? Reason.CLOSED : Reason.DISCONNECTED, link.peerId, "the link to "
            + core.describe(queue) + " closed (" + why + ") while a request waited for its reply"));
        BoundedWait.wakeAll(link.creditWaiters);
        if (!queue.backlog.isEmpty() && queue.openLink() == null) {
            dropBacklog(queue, "the link closed: " + why);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> ChannelOption<T> cast(ChannelOption<?> option) {
        return (ChannelOption<T>) option;
    }

    private void dropBacklog(PeerQueue queue, String why) {
        int lost = queue.backlog.size();
        queue.backlog.clear();
        core.metrics.lost(lost);
        LOG.warn("mailbox of {}: dropped {} word(s) the interrupt context had queued for {}: {}", core.selfName, lost, core.describe(queue), why);
    }
}
