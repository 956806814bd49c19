package io.archipelago.kernel.task.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.AccessorKind;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.layout.RecordLayout;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shared task table between kernels of two data models, over a real mmap'd global memory. */
@Timeout(30)
class TaskTableTest {

    @TempDir
    Path dir;
    private GlobalMemory memory;
    private RegionRegistry registry;

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "tasks", new MemoryGeometry(32L << 20, 4096, 1 << 20, 8), 2);
        registry = RegionRegistry.create(dir.resolve("regions.cm"));
    }

    @AfterEach
    void tearDown() {
        registry.close();
        memory.close();
    }

    private TypedMemory kernel(int id, DataModel model) {
        memory.ownership().claimFree(id, 8);
        return TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(id, model.id() + "-" + id, 100 + id, model));
    }

    @Test
    void theDescriptorIsLaidOutAsItsDiagramSays() {
        var type = io.archipelago.typed.TypedInterface.of(TaskDescriptor.class).record();
        RecordLayout x86 = DataModel.X86_64.layoutEngine().record(type);
        RecordLayout arm = DataModel.ARMV7.layoutEngine().record(type);
        Map<String, long[]> expected = Map.of("owner", new long[] {0, 0}, "nw_gate", new long[] {20, 20}, "nr_threads", new long[] {24, 24},
            "nvcsw", new long[] {64, 60}, "nivcsw", new long[] {72, 64}, "steps", new long[] {80, 72}, "data", new long[] {128, 120},
            "shared", new long[] {136, 124}, "regs", new long[] {144, 128}, "comm", new long[] {208, 192});
        expected.forEach((member, offsets) -> {
            assertThat(x86.member(member).orElseThrow().offset()).as("x86_64 " + member).isEqualTo(offsets[0]);
            assertThat(arm.member(member).orElseThrow().offset()).as("armv7 " + member).isEqualTo(offsets[1]);
        });
        assertThat(x86.size()).as("a page per descriptor").isEqualTo(4096);
        assertThat(arm.size()).isEqualTo(4096);
    }

    @Test
    void kernelsOfAnotherDataModelReadTheTableThroughMorphedAccessors() {
        TypedMemory arm = kernel(0, DataModel.ARMV7);
        TypedMemory x86 = kernel(1, DataModel.X86_64);
        TaskTable created = TaskTable.open(arm, 64, io.archipelago.typed.proto.Coherence.HARDWARE);
        TaskTable attached = TaskTable.open(x86, 128, io.archipelago.typed.proto.Coherence.HARDWARE);
        assertThat(created.accessor()).isEqualTo(AccessorKind.NATIVE);
        assertThat(attached.accessor()).isEqualTo(AccessorKind.MORPHED);
        assertThat(attached.slots()).as("the creator's size wins").isEqualTo(64);
        assertThat(attached.epochHostNs()).isEqualTo(created.epochHostNs()).isPositive();

        int pid = created.allocatePid();
        long slot = created.claimSlot(0, pid);
        TaskDescriptor task = created.view(slot);
        task.tgid(pid);
        task.commString("counter");
        task.regs(7, 1L << 40);
        task.nvcsw(4_000_000_000L);
        task.pid(pid);

        assertThat(attached.slotOf(pid)).hasValue(slot);
        TaskDescriptor seen = attached.view(slot);
        assertThat(seen.commString()).isEqualTo("counter");
        assertThat(seen.regs(7)).isEqualTo(1L << 40);
        assertThat(seen.nvcsw()).as("an armv7 unsigned long, read by x86_64 code").isEqualTo(4_000_000_000L);
        assertThat(attached.ownership(slot)).isEqualTo(new Ownership(0, Ownership.NONE));

        created.freeSlot(slot, pid);
        assertThat(attached.slotOf(pid)).isEmpty();
    }

    @Test
    void pidsAreUniqueAcrossKernelsRacing() throws InterruptedException {
        TaskTable a = TaskTable.open(kernel(0, DataModel.X86_64), 64, io.archipelago.typed.proto.Coherence.HARDWARE);
        TaskTable b = TaskTable.open(kernel(1, DataModel.PPC32), 64, io.archipelago.typed.proto.Coherence.HARDWARE);
        Set<Integer> pids = ConcurrentHashMap.newKeySet();
        List<Thread> threads = IntStream.range(0, 4).mapToObj(i -> Thread.ofPlatform().start(() -> {
            TaskTable table = i % 2 == 0 ? a : b;
            for (int n = 0; n < 2_000; n++) {
                assertThat(pids.add(table.allocatePid())).isTrue();
            }
        })).toList();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(pids).hasSize(8_000);
    }

    @Test
    void ownershipChangesByCompareAndSetOnly() {
        TaskTable a = TaskTable.open(kernel(0, DataModel.X86_64), 16, io.archipelago.typed.proto.Coherence.HARDWARE);
        TaskTable b = TaskTable.open(kernel(1, DataModel.ARMV7), 16, io.archipelago.typed.proto.Coherence.HARDWARE);
        Set<Long> slots = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            slots.add((i % 2 == 0 ? a : b).claimSlot(i % 2, 100 + i));
        }
        assertThat(slots).hasSize(16);
        assertThatThrownBy(() -> a.claimSlot(0, 999)).isInstanceOf(TaskTable.TaskTableFullException.class).hasMessageContaining("16 slots");
        long slot = slots.iterator().next();
        Ownership owner = a.ownership(slot);
        Ownership pending = owner.migratingTo(1 - owner.owner());
        assertThat(a.changeOwnership(slot, owner, pending)).isTrue();
        assertThat(a.changeOwnership(slot, owner, pending)).as("a second migration is refused").isFalse();
        Ownership taken = new Ownership(pending.migratingTo(), Ownership.NONE);
        assertThat(b.changeOwnership(slot, pending, taken)).as("the destination takes it").isTrue();
        assertThat(a.changeOwnership(slot, pending, owner)).as("the source can no longer take it back").isFalse();
        assertThat(a.ownership(slot)).isEqualTo(taken);
    }

    @Test
    void ownershipWordsEncodeBothKernels() {
        Ownership ownership = new Ownership(3, 7);
        assertThat(Ownership.of(ownership.word())).isEqualTo(ownership);
        assertThat(Ownership.of(0).free()).isTrue();
        assertThat(Ownership.of(Ownership.owned(0))).isEqualTo(new Ownership(0, Ownership.NONE));
    }
}
