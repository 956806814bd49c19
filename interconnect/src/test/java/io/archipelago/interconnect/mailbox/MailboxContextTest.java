package io.archipelago.interconnect.mailbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.auth.ClusterSecret;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class MailboxContextTest {

    private static MailboxContext valid() {
        return new MailboxContext().memberId(1).memberName("k1").secret(ClusterSecret.generate()).serve(false);
    }

    @Test
    void theDefaultsAreTheConfigurationsAndConclude() {
        MailboxContext context = valid().conclude();
        assertThat(context.fifoDepth()).isEqualTo(MailboxConfiguration.FIFO_DEPTH_DEFAULT).isEqualTo(4);
        assertThat(context.loopSpin()).isEqualTo(Duration.ofNanos(MailboxConfiguration.LOOP_SPIN_US_DEFAULT * 1000L));
        assertThat(context.loopPoll()).isEqualTo(MailboxContext.LoopPoll.IDLE_CORE);
        assertThat(context.fifoFullTimeout()).isEqualTo(MailboxConfiguration.FIFO_FULL_TIMEOUT_DEFAULT);
        assertThat(context.transport()).isEqualTo(MailboxTransport.TCP);
        assertThat(context.settingProblems()).isEmpty();
    }

    @Test
    void everyBadSettingIsNamedInOneMessageWithTheValueFoundAndWhatWasExpected() {
        MailboxContext context = valid().fifoDepth(0).loopSpin(Duration.ofMillis(5)).loopPoll("sometimes").spin(Duration.ofMillis(11))
            .linkLiveness(Duration.ofMillis(500)).connectTimeout(Duration.ZERO);
        assertThat(context.settingProblems()).hasSize(6);
        assertThatThrownBy(context::conclude)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("invalid mailbox configuration:")
            .hasMessageContaining("FIFO depth: expected 1 to 1024 words, found 0 (archipelago.mailbox.fifo-depth)")
            .hasMessageContaining("loop spin: expected 0 to 1000 us of polling before the interrupt context blocks, found 5000 us "
                + "(archipelago.mailbox.loop-spin-us)")
            .hasMessageContaining("loop poll: expected idle-core or always, found 'sometimes' (archipelago.mailbox.loop-poll)")
            .hasMessageContaining("spin: expected 0 to 10000 us of spinning before parking, found 11000 us")
            .hasMessageContaining("link liveness: expected at least 2000 ms")
            .hasMessageContaining("connect timeout: expected a duration > 0, found PT0S");
    }

    @Test
    void aNegativeLoopSpinIsRefusedEvenBelowAMicrosecond() {
        assertThat(valid().loopSpin(Duration.ofNanos(-500)).settingProblems()).singleElement().asString()
            .contains("loop spin: expected 0 to 1000 us");
    }

    @Test
    void aSetterReplacesAWrongValueReadFromText() {
        MailboxContext context = valid().loopPoll("sometimes");
        assertThat(context.settingProblems()).hasSize(1);
        context.loopPoll(MailboxContext.LoopPoll.ALWAYS);
        assertThat(context.settingProblems()).isEmpty();
        assertThat(context.conclude().loopPoll()).isEqualTo(MailboxContext.LoopPoll.ALWAYS);
    }

    @Test
    void aWrongPropertyIsReportedByConcludeNotThrownByTheConstructor() {
        String saved = System.getProperty(MailboxConfiguration.IO_PROP);
        System.setProperty(MailboxConfiguration.IO_PROP, "carrier-pigeon");
        try {
            MailboxContext context = valid();
            assertThatThrownBy(context::conclude)
                .hasMessageContaining("io: expected auto, epoll or nio, found 'carrier-pigeon' (archipelago.mailbox.io)");
            assertThat(context.io(MailboxContext.Io.NIO).conclude().io()).isEqualTo(MailboxContext.Io.NIO);
        } finally {
            if (saved == null) {
                System.clearProperty(MailboxConfiguration.IO_PROP);
            } else {
                System.setProperty(MailboxConfiguration.IO_PROP, saved);
            }
        }
    }
}
