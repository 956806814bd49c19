package io.archipelago.control.auth;

import io.archipelago.interconnect.auth.ClusterSecret;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The per-key cache of authenticated channels (channels are lazy: nothing here connects). */
@Timeout(30)
class ControlChannelsTest {

    @Test
    void oneChannelPerKeyBuiltOnceAndAllShutDownOnClose() {
        AtomicInteger built = new AtomicInteger();
        ManagedChannel first;
        ManagedChannel other;
        try (ControlChannels<String> channels = new ControlChannels<>(ClusterSecret.generate(), "test")) {
            first = channels.channel("127.0.0.1:1", key -> {
                built.incrementAndGet();
                return NettyChannelBuilder.forAddress("127.0.0.1", 1);
            });
            assertThat(channels.channel("127.0.0.1:1", key -> {
                throw new AssertionError("built twice");
            })).isSameAs(first);
            other = channels.channel("127.0.0.1:2", key -> NettyChannelBuilder.forAddress("127.0.0.1", 2));
            assertThat(other).isNotSameAs(first);
            assertThat(built).hasValue(1);
        }
        assertThat(first.isShutdown()).isTrue();
        assertThat(other.isShutdown()).isTrue();
    }

    @Test
    void aMemberThatCannotBeReachedIsNotCached() {
        try (ControlChannels<Integer> channels = new ControlChannels<>(ClusterSecret.generate(), "test")) {
            assertThatThrownBy(() -> channels.channel(7, key -> {
                throw new IllegalStateException("kernel 7 serves no control API yet");
            })).hasMessageContaining("kernel 7");
            ManagedChannel later = channels.channel(7, key -> NettyChannelBuilder.forAddress("127.0.0.1", 3));
            assertThat(later.isShutdown()).isFalse();
        }
    }
}
