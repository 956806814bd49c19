package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Authenticated gRPC channels to cluster members' control or message endpoints, one per key (a
 * kernel id, a {@code host:port}), made on first use and shut down together. Every channel
 * carries {@link ControlAuthentication#client} for the cluster secret, so a member that checks
 * calls accepts them; callers set deadlines per call.
 *
 * @param <K> what a channel is found by
 */
public final class ControlChannels<K> implements AutoCloseable {

    private final ClusterSecret secret;
    private final String caller;
    private final Map<K, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * @param caller the name calls are made under (shown by the callee in its logs and refusals)
     */
    public ControlChannels(ClusterSecret secret, String caller) {
        this.secret = secret;
        this.caller = caller;
    }

    /**
     * The channel for {@code key}; the first call builds it from {@code target} (address and
     * transport options), which may throw to say the member cannot be reached: nothing is then
     * cached.
     */
    public ManagedChannel channel(K key, Function<K, NettyChannelBuilder> target) {
        ManagedChannel channel = channels.get(key);
        return channel != null ? channel : channels.computeIfAbsent(key, k -> authenticated(target.apply(k)).build());
    }

    /** A builder made plaintext and authenticated with this cluster's secret (for a channel the caller closes itself). */
    public NettyChannelBuilder authenticated(NettyChannelBuilder builder) {
        return builder.usePlaintext().intercept(ControlAuthentication.client(secret, caller));
    }

    /** Shuts every channel down, waiting up to 2 s for each. */
    @Override
    public void close() {
        for (ManagedChannel channel : channels.values()) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels.values()) {
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        channels.clear();
    }
}
