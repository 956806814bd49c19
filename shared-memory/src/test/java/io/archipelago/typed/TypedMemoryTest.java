package io.archipelago.typed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.proto.RegionState;
import io.archipelago.typed.access.RemoteLineCosts;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.registry.RegionRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Typed memory of several kernels of different data models, over one real mmap'd global memory file. */
class TypedMemoryTest {

    @Typed("list_head")
    public interface ListHead {
        @CType("struct list_head *") long next();
        void next(long next);
        @CType("struct list_head *") long prev();
        void prev(long prev);
    }

    @Typed("task")
    public interface Task extends TypedObject {
        @CType("int") int pid();
        void pid(int pid);
        @CType("unsigned long") long nvcsw();
        void nvcsw(long nvcsw);
        @CType("char[16]") byte comm(int i);
        void comm(int i, byte c);
        @CType("struct list_head") ListHead tasks();
        @CType("struct task *") long parent();
        void parent(long parent);
        @CType("double") double load();
        void load(double load);
    }

    /** The view an older kernel build has: fewer members, and nvcsw as an int. */
    @Typed("task")
    public interface OldTask {
        @CType("unsigned long") int nvcsw();
        @CType("int") int pid();
    }

    @Typed("task")
    public interface TaskWithMissingMember {
        @CType("int") int pid();
        @CType("int") int exit_code();
    }

    @Typed("task")
    public interface TaskWithWrongKind {
        @CType("int") int load();
    }

    @Typed("counter")
    public interface Counter {
        @CType("unsigned long") long value();
        void value(long value);
    }

    @TempDir
    Path dir;
    private GlobalMemory memory;
    private RegionRegistry registry;
    private final List<TypedMemory> kernels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        memory = GlobalMemory.create(dir.resolve("memory.img"), "typed", new MemoryGeometry(32L << 20, 4096, 1 << 20, 8), 3);
        registry = RegionRegistry.create(dir.resolve("regions.cm"));
    }

    @AfterEach
    void tearDown() {
        registry.close();
        memory.close();
    }

    private TypedMemory kernel(int id, DataModel model) {
        memory.ownership().claimFree(id, 6);
        TypedMemory typed = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(id, model.id() + "-" + id, 100 + id, model));
        kernels.add(typed);
        return typed;
    }

    @Test
    void aForeignKernelReadsAndWritesInPlace() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory ppc = kernel(1, DataModel.PPC32);
        TypedRegion<Task> created = x86.create("tasks", Task.class, 4);
        assertThat(created.accessor()).isEqualTo(AccessorKind.NATIVE);
        Task t2 = created.at(2);
        t2.pid(42);
        t2.nvcsw(5_000_000_000L);
        t2.comm(0, (byte) 'i');
        t2.load(0.75);
        t2.tasks().next(created.addressOf(3));

        TypedRegion<Task> seen = ppc.attach("tasks", Task.class);
        assertThat(seen.accessor()).isEqualTo(AccessorKind.MORPHED);
        assertThat(seen.dataModel()).isEqualTo(DataModel.X86_64);
        Task p2 = seen.at(2);
        assertThat(p2.pid()).isEqualTo(42);
        assertThat(p2.nvcsw()).isEqualTo(5_000_000_000L);
        assertThat(p2.comm(0)).isEqualTo((byte) 'i');
        assertThat(p2.load()).isEqualTo(0.75);
        assertThat(p2.tasks().next()).isEqualTo(created.addressOf(3));
        p2.pid(43);
        p2.parent(created.addressOf(0));
        assertThat(t2.pid()).as("the creator sees the write in place").isEqualTo(43);
        assertThat(t2.parent()).isEqualTo(created.addressOf(0));

        Contract contract = registry.get("tasks").orElseThrow();
        assertThat(contract.getState()).isEqualTo(RegionState.READY);
        assertThat(contract.getAttachmentsList()).extracting(a -> a.getKernelName() + ":" + a.getAccessor())
            .containsExactlyInAnyOrder("x86_64-0:NATIVE", "ppc32-1:MORPHED");
        assertThat(contract.getLocation().getOffset() % 4096).isZero();
        assertThat(memory.ownership().owner(Math.toIntExact(contract.getLocation().getOffset() / memory.geometry().blockSize()))).isZero();
    }

    @Test
    void aRegionHomedInAnotherDomainIsAttachedOnlyWhereThePlatformModelsRemoteMemoryAndPaysItsCost() {
        memory.ownership().claimFree(0, 6);
        memory.ownership().claimFree(1, 6);
        TypedMemory home = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(0, "home-0", 100, DataModel.X86_64, "a"));
        TypedMemory far = TypedMemory.forKernel(memory, registry, new TypedMemory.Identity(1, "far-1", 101, DataModel.X86_64, "b"));
        TypedRegion<Counter> created = home.create("remote-counters", Counter.class, 2);
        assertThat(registry.get("remote-counters").orElseThrow().getHomeDomain()).isEqualTo("a");
        created.at(1).value(41);

        assertThatThrownBy(() -> far.attach("remote-counters", Counter.class))
            .as("no platform modelling remote memory: the domains share no coherent memory")
            .isInstanceOf(RegionException.class).hasMessageContaining("hardware-coherent in coherence domain a")
            .hasMessageContaining("domain b").hasMessageContaining("remote-line-read");

        far.useRemoteLineCosts(domain -> domain.equals("a") ? new RemoteLineCosts(1_000, 1_000) : RemoteLineCosts.NONE);
        Counter seen = far.attach("remote-counters", Counter.class).at(1);
        long start = System.nanoTime();
        assertThat(seen.value()).isEqualTo(41);
        assertThat(System.nanoTime() - start).as("a remote load pays the modelled 1 us").isGreaterThanOrEqualTo(1_000);
        seen.value(42);
        assertThat(created.at(1).value()).as("written in place, in the home domain's memory").isEqualTo(42);
        assertThat(seen.getClass().getName()).contains("$Remote");
        assertThat(created.at(1).getClass().getName()).doesNotContain("$Remote");
    }

    @Test
    void aTypeTooDeepToStoreIsRefusedAtAllocationWithAClearError() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypeDescription member = ScalarType.of(Scalar.INT);
        for (int i = 0; i < 10_000; i++) {
            member = new PointerType(member);
        }
        RecordType deep = RecordType.struct("deep", List.of(Field.of("p", member)));
        assertThatThrownBy(() -> x86.create("deep", deep, 1, ArrayLayout.ARRAY_OF_STRUCTS))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("region 'deep': type struct deep nests 10002 levels deep: over the type depth budget of 32 levels");
        assertThat(registry.all()).isEmpty();
        assertThat(registry.setAside()).isEmpty();
        assertThat(x86.create("counters", Counter.class, 1).at(0).value()).isZero();
    }

    @Test
    void anOlderViewWithFewerAndNarrowerMembersAttaches() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        TypedRegion<Task> tasks = x86.create("tasks", Task.class, 2);
        tasks.at(0).nvcsw(7);
        tasks.at(1).nvcsw(1L << 40);
        TypedRegion<OldTask> old = arm.attach("tasks", OldTask.class);
        assertThat(old.at(0).nvcsw()).isEqualTo(7);
        assertThatThrownBy(() -> old.at(1).nvcsw()).isInstanceOf(ValueDoesNotFitException.class)
            .hasMessageContaining("member 'nvcsw' of struct task (unsigned long: 8 bytes, little-endian) holds 1099511627776");
    }

    @Test
    void theFormatCheckRefusesMissingAndIncompatibleMembersNamingThem() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        x86.create("tasks", Task.class, 1);
        assertThatThrownBy(() -> arm.attach("tasks", TaskWithMissingMember.class)).isInstanceOf(FormatMismatchException.class)
            .hasMessageContaining("member 'exit_code' needed by TaskWithMissingMember.exit_code() is missing from struct task");
        assertThatThrownBy(() -> arm.attach("tasks", TaskWithWrongKind.class)).isInstanceOf(FormatMismatchException.class)
            .hasMessageContaining("member 'load' needed by TaskWithWrongKind.load() is double in the region, the view reads it as int (an integer)");
        assertThatThrownBy(() -> arm.attach("tasks", Counter.class)).isInstanceOf(FormatMismatchException.class)
            .hasMessageContaining("the view describes struct counter, the region holds struct task");
    }

    @Test
    void creatingAnExistingNameAndAttachingAnUnknownOneAreRefused() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        x86.create("tasks", Task.class, 1);
        assertThatThrownBy(() -> arm.create("tasks", Task.class, 3)).isInstanceOf(RegionException.Exists.class)
            .hasMessage("region 'tasks' already exists: 1 x struct task (x86_64), created by kernel x86_64-0 (id 0); attach it instead, "
                + "or choose another name");
        assertThatThrownBy(() -> arm.attach("nope", Task.class)).isInstanceOf(RegionException.Unknown.class)
            .hasMessage("no region 'nope' in typed shared memory; regions: tasks");
        assertThatThrownBy(() -> arm.create("bad name!", Task.class, 1)).hasMessageContaining("a region name is");
    }

    @Test
    void racingCreatesFromTwoKernelsLeaveExactlyOneRegionAndNoLeakedPages() throws Exception {
        TypedMemory a = kernel(0, DataModel.X86_64);
        TypedMemory b = kernel(1, DataModel.I386);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String name = "race-" + round;
                CountDownLatch start = new CountDownLatch(1);
                List<Future<String>> results = new ArrayList<>();
                for (TypedMemory kernel : List.of(a, b)) {
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            kernel.create(name, Task.class, 100);
                            return "created";
                        } catch (RegionException.Exists e) {
                            return "exists";
                        }
                    }));
                }
                start.countDown();
                List<String> outcomes = new ArrayList<>();
                for (Future<String> result : results) {
                    outcomes.add(result.get(30, TimeUnit.SECONDS));
                }
                assertThat(outcomes).containsExactlyInAnyOrder("created", "exists");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(registry.all()).hasSize(20);
        // the losers gave their pages back: first fit puts each kernel's next region in its first page no region covers
        for (int kernel = 0; kernel < 2; kernel++) {
            TypedRegion<Task> next = List.of(a, b).get(kernel).create("after-" + kernel, Task.class, 1);
            assertThat(next.contract().getLocation().getOffset()).as("kernel %d", kernel).isEqualTo(firstUncoveredPage(kernel, "after-"));
        }
    }

    private long firstUncoveredPage(int kernel, String excluded) {
        List<Contract> own = registry.all().stream().filter(c -> c.getLocation().getOwnerKernel() == kernel)
            .filter(c -> !c.getName().startsWith(excluded)).toList();
        int pageSize = memory.geometry().pageSize();
        for (int block : memory.ownership().blocksOwnedBy(kernel)) {
            for (long page = (long) block * memory.geometry().pagesPerBlock(); page < (block + 1L) * memory.geometry().pagesPerBlock(); page++) {
                long offset = page * pageSize;
                boolean covered = own.stream().anyMatch(c -> offset >= c.getLocation().getOffset()
                    && offset < c.getLocation().getOffset() + c.getLocation().getPages() * pageSize);
                if (!covered) {
                    return offset;
                }
            }
        }
        throw new AssertionError("kernel " + kernel + " has no free page");
    }

    @Test
    void sharedGlobalsAreOneVariableForEveryKernel() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        TypedMemory ppc = kernel(2, DataModel.PPC32);
        Counter jiffies = arm.global("jiffies", Counter.class);
        jiffies.value(1234);
        assertThat(x86.global("jiffies", Counter.class).value()).isEqualTo(1234);
        Counter big = ppc.global("jiffies", Counter.class);
        assertThat(big.value()).isEqualTo(1234);
        assertThatThrownBy(() -> big.value(1L << 33)).isInstanceOf(ValueDoesNotFitException.class);
        assertThat(registry.all()).hasSize(1);
        x86.create("tasks", Task.class, 1);
        assertThatThrownBy(() -> ppc.global("tasks", Task.class)).hasMessageContaining("not a shared global variable");
    }

    @Test
    void pointersAreDereferencedOnlyToElementsOfTheirType() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        TypedRegion<Task> tasks = x86.create("tasks", Task.class, 3);
        x86.global("jiffies", Counter.class);
        tasks.at(1).parent(tasks.addressOf(2));
        tasks.at(2).pid(99);

        Task child = arm.attach("tasks", Task.class).at(1);
        Task parent = arm.dereference(child.parent(), Task.class);
        assertThat(parent.pid()).isEqualTo(99);
        assertThat(parent.index()).isEqualTo(2);

        long counterAddress = registry.get("jiffies").orElseThrow().getLocation().getOffset();
        assertThatThrownBy(() -> arm.dereference(0, Task.class)).isInstanceOf(InvalidPointerException.class)
            .hasMessage("NULL pointer dereferenced as struct task");
        assertThatThrownBy(() -> arm.dereference(counterAddress, Task.class)).isInstanceOf(InvalidPointerException.class)
            .hasMessageContaining("is element 0 of region 'jiffies' (struct counter), not a struct task");
        assertThatThrownBy(() -> arm.dereference(tasks.addressOf(1) + 4, Task.class)).isInstanceOf(InvalidPointerException.class)
            .hasMessageContaining("points 4 bytes into element 1 of region 'tasks'");
        assertThatThrownBy(() -> arm.dereference(8, Task.class)).isInstanceOf(InvalidPointerException.class)
            .hasMessageContaining("is in no region of typed shared memory");
    }

    @Test
    void structOfArraysRegionsAndHeaderTypes() {
        TypedMemory x86 = kernel(0, DataModel.X86_64);
        TypedMemory arm = kernel(1, DataModel.ARMV7);
        var header = HeaderParser.parse("task.h", """
            struct list_head { struct list_head *next, *prev; };
            struct task { int pid; unsigned long nvcsw; char comm[16]; struct list_head tasks; struct task *parent; double load;
                          int exit_code; };
            """);
        Contract contract = arm.create("soa-tasks", header.record("task"), 10, ArrayLayout.STRUCT_OF_ARRAYS);
        assertThat(contract.getColumnsCount()).isEqualTo(7);
        TypedRegion<Task> fromX86 = x86.attach("soa-tasks", Task.class);
        assertThat(fromX86.accessor()).isEqualTo(AccessorKind.MORPHED);
        TypedRegion<Task> fromArm = arm.attach("soa-tasks", Task.class);
        assertThat(fromArm.accessor()).as("a struct of arrays is never the native layout").isEqualTo(AccessorKind.MORPHED);
        Task cursor = fromX86.at(0);
        for (int i = 0; i < 10; i++) {
            fromX86.moveTo(cursor, i);
            cursor.pid(i * 3);
            cursor.nvcsw(i);
        }
        TypedRegion<Task> interpreted = arm.attach("soa-tasks", Task.class, TypedMemory.Access.INTERPRETED);
        assertThat(interpreted.accessor()).isEqualTo(AccessorKind.INTERPRETED);
        for (int i = 0; i < 10; i++) {
            assertThat(fromArm.at(i).pid()).isEqualTo(i * 3);
            assertThat(interpreted.at(i).nvcsw()).isEqualTo(i);
        }
        assertThat(arm.dereference(fromArm.addressOf(7), Task.class).pid()).isEqualTo(21);
    }
}
