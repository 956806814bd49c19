package io.archipelago.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership across processes: the other side is a child JVM ({@link Child}) on the same files,
 * as kernels and the coordinator are.
 */
@Timeout(120)
class MembershipTest {

    @TempDir
    Path dir;

    @Test
    void aWriteByAnotherProcessIsSeenAtTheNextRead() throws Exception {
        Path file = dir.resolve("membership.cm");
        try (Membership coordinator = Membership.create(file)) {
            coordinator.put(record(0, "strong-0", KernelState.BOOTING));
            assertThat(coordinator.get(0)).map(KernelRecord::getState).contains(KernelState.BOOTING);

            Process child = child("update", file.toString(), "0", "RUNNING");
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child finished").isTrue();
            assertThat(child.exitValue()).as("the child failed: %s", output(child)).isZero();
            assertThat(coordinator.get(0)).as("written by the child").map(KernelRecord::getState).contains(KernelState.RUNNING);

            coordinator.update(0, r -> r.toBuilder().setState(KernelState.DEAD).build());
            assertThat(coordinator.get(0)).as("read your own write").map(KernelRecord::getState).contains(KernelState.DEAD);
            assertThat(coordinator.register(record(1, "weak-0", KernelState.BOOTING))).isEmpty();
            assertThat(coordinator.all()).extracting(KernelRecord::getName).containsExactly("strong-0", "weak-0");
            assertThat(coordinator.byName("weak-0")).map(KernelRecord::getKernelId).contains(1);
            coordinator.remove(1);
            assertThat(coordinator.all()).extracting(KernelRecord::getName).containsExactly("strong-0");
        }
    }

    /**
     * A process killed inside the map, holding one of its segment locks, leaves that lock held
     * (checked in the same run, so the test cannot pass without the orphaned lock); reads between
     * state changes still answer from the snapshot, and the next write, from another process,
     * releases the orphan and goes through at once.
     */
    @Test
    void aProcessKilledHoldingASegmentLockStopsNeitherReadsNorWrites() throws Exception {
        Path file = dir.resolve("membership.cm");
        try (Membership membership = Membership.create(file)) {
            membership.put(record(0, "strong-0", KernelState.RUNNING));
            assertThat(membership.get(0)).isPresent();

            Process holder = child("hold", file.toString(), "0");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
                String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
                assertThat(line).as("the child took the write lock").isEqualTo("locked");
            } finally {
                holder.destroyForcibly(); // SIGKILL: no finally block of the child runs
            }
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();

            try (ExternalMapQueryContext<Integer, byte[], ?> context = membership.map().queryContext(0)) {
                assertThat(context.readLock().tryLock()).as("the dead child's lock is still held").isFalse();
            }
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                assertThat(membership.get(0)).map(KernelRecord::getName).contains("strong-0");
                assertThat(membership.all()).hasSize(1);
                assertThat(membership.byName("strong-0")).isPresent();
            }, "a read with no state change since the last one waited for the map's lock");

            assertTimeoutPreemptively(Duration.ofSeconds(1), () -> {
                membership.update(0, r -> r.toBuilder().setState(KernelState.DEAD).build());
                assertThat(membership.get(0)).map(KernelRecord::getState).contains(KernelState.DEAD);
            }, "a write after the holder died waited for the orphaned segment lock");
            assertThat(membership.recoveries()).as("releases of a dead holder's locks").isEqualTo(1);
            try (ExternalMapQueryContext<Integer, byte[], ?> context = membership.map().queryContext(0)) {
                assertThat(context.readLock().tryLock()).as("the orphaned lock was released").isTrue();
            }
            Process writer = child("update", file.toString(), "0", "RUNNING");
            assertThat(writer.waitFor(60, TimeUnit.SECONDS)).as("another process's write finished").isTrue();
            assertThat(writer.exitValue()).as("the other process failed: %s", output(writer)).isZero();
            assertThat(membership.get(0)).map(KernelRecord::getState).contains(KernelState.RUNNING);
        }
    }

    @Test
    void aKernelIsFoundByItsNameOrByTheIdStatusPrints() throws Exception {
        Path file = dir.resolve("membership.cm");
        try (Membership membership = Membership.create(file)) {
            membership.put(record(0, "strong-0", KernelState.RUNNING));
            membership.put(record(1, "weak-1", KernelState.RUNNING));
            membership.put(record(2, "1", KernelState.RUNNING));

            assertThat(membership.byNameOrId("weak-1")).map(KernelRecord::getKernelId).contains(1);
            assertThat(membership.byNameOrId("0")).map(KernelRecord::getName).contains("strong-0");
            assertThat(membership.byNameOrId("1")).map(KernelRecord::getKernelId).as("a name wins over an id").contains(2);
            assertThat(membership.byNameOrId("7")).isEmpty();
            assertThat(membership.byNameOrId("-1")).isEmpty();
            assertThat(membership.byNameOrId("99999999999999")).isEmpty();
            assertThat(membership.describeKernels()).isEqualTo("strong-0 (0), weak-1 (1), 1 (2)");
        }
    }

    @Test
    void aForeignOrMissingGenerationFileIsRefusedNamingWhatWasFound() throws Exception {
        Path file = dir.resolve("membership.cm");
        Membership.create(file).close();
        Path generation = Membership.generationFile(file);
        assertThat(generation.getFileName().toString()).isEqualTo("membership.cm.gen");

        Files.write(generation, "NOTOURS!........................".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> Membership.open(file))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("expected magic ARCHMGEN")
            .hasMessageContaining("found 4e4f544f55525321");

        Files.write(generation, new byte[3]);
        assertThatThrownBy(() -> Membership.open(file))
            .hasMessageContaining("expected 32 bytes, found 3");

        Files.delete(generation);
        assertThatThrownBy(() -> Membership.open(file))
            .isInstanceOf(UncheckedIOException.class)
            .hasMessageContaining("no map generation file at " + generation);
    }

    private static KernelRecord record(int id, String name, KernelState state) {
        return KernelRecord.newBuilder().setKernelId(id).setName(name).setState(state).setIncarnation(id + 1).build();
    }

    /** A JVM like this one (same class path and options) running {@link Child}. */
    private static Process child(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(option -> option.startsWith("--") || option.startsWith("-D")).toList());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static String output(Process process) {
        try {
            return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String readLine(BufferedReader reader) {
        try {
            String line;
            while ((line = reader.readLine()) != null && !line.equals("locked")) {
                // the child's log lines
            }
            return line;
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The other process: {@code update <file> <id> <state>}, or {@code hold <file> <id>} (locks the id's segment, then waits to be killed). */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (Membership membership = Membership.open(Path.of(args[1]))) {
                int id = Integer.parseInt(args[2]);
                if (args[0].equals("update")) {
                    membership.update(id, r -> r.toBuilder().setState(KernelState.valueOf(args[3])).build()).orElseThrow();
                    return;
                }
                membership.holdingAccessLock(() -> {
                    try (ExternalMapQueryContext<Integer, byte[], ?> context = membership.map().queryContext(id)) {
                        context.writeLock().lock();
                        System.out.println("locked");
                        System.out.flush();
                        Thread.sleep(Duration.ofMinutes(2));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return null;
                });
            }
        }
    }
}
