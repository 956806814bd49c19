package io.archipelago.kernel.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.kernel.InJvmCluster;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.dsm.DsmService;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.kernel.memory.MemoryService;
import io.archipelago.kernel.task.KernelThread;
import io.archipelago.kernel.task.model.Ownership;
import io.archipelago.kernel.task.TaskService;
import io.archipelago.kernel.task.control.OwnerRouting;
import io.archipelago.kernel.typed.TypedMemoryService;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.typed.region.TypedMemory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a migration refuses, and that a refused migration leaves its thread running where it
 * was: one kernel with its task service and migrations built as the composition root builds
 * them, requests entering through the owner routing as the control API's do, in this JVM,
 * and other kernels that are only registered (or answer with a mailbox only). Migrations that
 * succeed between kernel processes are tested by the integration tests.
 */
@Timeout(60)
class MigrationsTest {

    private static final int SOURCE = 0;
    private static final int OTHER = 1;

    @TempDir
    Path directory;

    private InJvmCluster cluster;
    private TaskService tasks;
    private OwnerRouting routing;
    private int tid;

    @BeforeEach
    void startSource() {
        cluster = InJvmCluster.create(directory, 2);
        Kernel kernel = cluster.attach(cluster.context(SOURCE).taskCoherence("hardware"));
        Mailbox mailbox = start(new MailboxService(kernel)).mailbox();
        MemoryService memory = start(new MemoryService(kernel, mailbox));
        DsmService dsm = start(new DsmService(kernel, mailbox, Duration.ofSeconds(5)));
        TypedMemory typed = start(new TypedMemoryService(kernel, memory.allocator(), dsm)).typed();
        tasks = start(new TaskService(kernel, mailbox, typed));
        cluster.running(SOURCE);
        routing = new OwnerRouting(tasks, start(new Migrations(tasks)));
        tid = tasks.spawn("counter", 0, 1, false, Map.of()).tids().getFirst();
    }

    @AfterEach
    void closeCluster() {
        cluster.close();
    }

    private <S extends KernelService> S start(S service) {
        try {
            service.start();
        } catch (Exception e) {
            throw new IllegalStateException(service.name() + " did not start", e);
        }
        return cluster.closeLater(service);
    }

    private MigrationException refusal(int destination) {
        MigrateRequest request = MigrateRequest.newBuilder().setTid(tid).setToId(destination).setMode(MigrationMode.SHARED_MEMORY)
            .setHops(2).build();
        return catchThrowableOfType(MigrationException.class, () -> routing.migrate(request, destination));
    }

    private void assertStillRunsOnTheSource() {
        KernelThread thread = tasks.localThread(tid).orElseThrow(() -> new AssertionError("thread " + tid + " left the source"));
        assertThat(tasks.table().ownership(thread.slot())).isEqualTo(new Ownership(SOURCE, Ownership.NONE));
        long steps = thread.descriptor().steps();
        InJvmCluster.await(() -> thread.descriptor().steps() > steps, Duration.ofSeconds(10), "thread " + tid + " runs more steps");
    }

    @Test
    void aThreadIsNotMigratedToTheKernelItRunsOn() {
        MigrationException refused = refusal(SOURCE);

        assertThat(refused.kind()).isEqualTo(MigrationException.Kind.INVALID);
        assertThat(refused).hasMessageContaining("already runs on kernel k0");
        assertStillRunsOnTheSource();
    }

    @Test
    void aKernelThatIsNoMemberIsRefusedByName() {
        MigrationException refused = refusal(6);

        assertThat(refused.kind()).isEqualTo(MigrationException.Kind.UNKNOWN_KERNEL);
        assertThat(refused).hasMessage("no kernel 6 in membership");
        assertStillRunsOnTheSource();
    }

    @Test
    void aKernelThatIsNotRunningIsRefusedWithItsState() {
        cluster.attach(OTHER); // registered, BOOTING
        MigrationException booting = refusal(OTHER);
        assertThat(booting.kind()).isEqualTo(MigrationException.Kind.DEAD_KERNEL);
        assertThat(booting).hasMessageContaining("to kernel k1: it is BOOTING").hasMessageContaining("keeps running on k0");

        cluster.dead(OTHER);
        MigrationException dead = refusal(OTHER);
        assertThat(dead.kind()).isEqualTo(MigrationException.Kind.DEAD_KERNEL);
        assertThat(dead).hasMessageContaining("it is DEAD (declared dead by the test)");
        assertStillRunsOnTheSource();
    }

    @Test
    void aSecondMigrationWaitsForTheFirst() {
        cluster.attach(OTHER);
        cluster.running(OTHER);
        long slot = tasks.localThread(tid).orElseThrow().slot();
        Ownership mine = new Ownership(SOURCE, Ownership.NONE);
        assertThat(tasks.table().changeOwnership(slot, mine, mine.migratingTo(OTHER))).isTrue(); // a migration under way

        MigrationException refused = refusal(OTHER);

        assertThat(refused.kind()).isEqualTo(MigrationException.Kind.UNDER_WAY);
        assertThat(refused).hasMessageContaining("a migration of thread " + tid + " to k1 is already under way");
        assertThat(tasks.table().changeOwnership(slot, mine.migratingTo(OTHER), mine)).isTrue();
        assertStillRunsOnTheSource();
    }

    @Test
    void aThreadThatIsNotInTheTaskTableIsUnknown() {
        int unknown = tid + 1000;
        MigrateRequest request = MigrateRequest.newBuilder().setTid(unknown).setToId(OTHER).setHops(2).build();

        MigrationException refused = catchThrowableOfType(MigrationException.class, () -> routing.migrate(request, OTHER));

        assertThat(refused.kind()).isEqualTo(MigrationException.Kind.UNKNOWN_THREAD);
        assertThat(refused).hasMessage("no thread " + unknown + " in the task table");
    }

    @Test
    void aDestinationThatRefusesLeavesTheThreadRunningOnTheSource() {
        Kernel other = cluster.attach(OTHER);
        Mailbox refusing = start(new MailboxService(other)).mailbox();
        refusing.onInterrupt(MailboxType.MIGRATE, request ->
            request.reply(MailboxType.NACK, (Migrations.NACK_ATTACH_FAILED << 21) | request.payload()));
        cluster.running(OTHER);

        MigrationException refused = refusal(OTHER);

        assertThat(refused.kind()).isEqualTo(MigrationException.Kind.REFUSED);
        assertThat(refused).hasMessageStartingWith("kernel k1 refused thread " + tid + ": ");
        assertThat(tasks.kernel().counters().value("migrations.failed")).isEqualTo(1);
        assertThat(tasks.kernel().counters().value("migrations.out")).isZero();
        assertStillRunsOnTheSource();
    }
}
