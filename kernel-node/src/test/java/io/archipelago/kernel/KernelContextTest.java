package io.archipelago.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.interconnect.mailbox.MailboxConfiguration;
import io.archipelago.interconnect.mailbox.MailboxContext;
import io.archipelago.interconnect.mailbox.MailboxTransport;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class KernelContextTest {

    @TempDir
    Path directory;

    @Test
    void theDefaultsAreTheConfigurationsAndTheKernelsContextOwnsTheMailboxs() {
        KernelContext context = new KernelContext().directory(directory).conclude();
        assertThat(context.island()).isEqualTo(KernelConfiguration.ISLAND_DEFAULT);
        assertThat(context.dsmTimeout()).isEqualTo(KernelConfiguration.DSM_TIMEOUT_DEFAULT).isEqualTo(Duration.ofSeconds(10));
        assertThat(context.fifoDepth()).isEqualTo(MailboxConfiguration.FIFO_DEPTH_DEFAULT).isEqualTo(4);
        assertThat(context.transport()).isEqualTo(KernelConfiguration.TRANSPORT_DEFAULT);
        assertThat(context.mailbox().transport()).as("concluded: the kernel's transport in its mailbox's context")
            .isEqualTo(MailboxTransport.SHM);
        context.fifoDepth(16);
        assertThat(context.mailbox().fifoDepth()).as("one setting, one place").isEqualTo(16);
    }

    @Test
    void everyBadSettingTheMailboxsTooIsNamedInOneMessage() {
        KernelContext context = new KernelContext().directory(directory).cores(0).speed(100).transport("smoke-signals").fifoDepth(2000)
            .dsmTimeout(Duration.ofHours(1)).heartbeatInterval(Duration.ZERO).taskSlots(8);
        context.mailbox().loopSpin(Duration.ofMillis(3)).loopPoll("never");
        assertThatThrownBy(context::conclude)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("invalid kernel configuration:")
            .hasMessageContaining("cores: expected 1 to 256, found 0")
            .hasMessageContaining("speed: expected a relative speed > 0 and <= 64 (1.0 = base frequency), found 100.0")
            .hasMessageContaining("mailbox transport: expected 'shm', 'tcp' or 'unix', found 'smoke-signals'")
            .hasMessageContaining("mailbox FIFO depth: expected 1 to 1024 words, found 2000")
            .hasMessageContaining("mailbox loop spin: expected 0 to 1000 us of polling before the interrupt context blocks, found 3000 us")
            .hasMessageContaining("mailbox loop poll: expected idle-core or always, found 'never'")
            .hasMessageContaining("dsm timeout: expected 1 ms to 10 min, found 3600000 ms")
            .hasMessageContaining("heartbeat interval: expected 1 to 10000 ms, found 0 ms")
            .hasMessageContaining("task slots (archipelago.tasks.slots): expected 16 to 4096, found 8");
    }

    @Test
    void theKernelsTransportReplacesTheOneTheMailboxReadFromTheSameProperty() {
        KernelContext context = new KernelContext().directory(directory).transport("unix").conclude();
        assertThat(context.mailbox().transport()).isEqualTo(MailboxTransport.UNIX);
        assertThat(context.mailbox().loopPoll()).isEqualTo(MailboxContext.LoopPoll.IDLE_CORE);
    }
}
