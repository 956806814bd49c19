package io.archipelago.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.archipelago.control.proto.AttachRegionRequest;
import io.archipelago.control.proto.CreateRegionRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsReply;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.ListRegionsRequest;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.control.proto.RegionList;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.control.proto.TypedMemoryControlGrpc.TypedMemoryControlBlockingStub;
import io.archipelago.coordinator.config.IslandConfig;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.kernel.typed.views.TaskStruct;
import io.archipelago.testing.MiniCluster;
import io.archipelago.typed.CType;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.Typed;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.RecordLayout;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Typed shared memory across real kernel processes of three data models in one coherence
 * domain: an x86_64 kernel creates an array of {@code task_struct}s from the C header; an armv7
 * kernel and a big-endian ppc32 kernel attach it with the same Java view, read and write it in
 * place (morphed accessors), and the creator sees their writes. The bytes are also checked
 * directly in the mmap'd global memory.
 */
@Timeout(300)
class TypedSharedMemoryIT {

    private static final String VIEW = TaskStruct.class.getName();
    private static final List<IslandConfig> THREE_ABIS = List.of(
        new IslandConfig("x86", "x86_64", 1, 1.0, "a", "cortex-a9", 1),
        new IslandConfig("arm", "armv7", 1, 0.5, "a", "cortex-m3", 1),
        new IslandConfig("ppc", "ppc32", 1, 0.5, "a", "cortex-m3", 1));

    /** A view of task_struct an old kernel build might have: it expects a member the header does not have. */
    @Typed("task_struct")
    public interface TaskWithLegacyMember {
        @CType("int") int pid();
        @CType("unsigned long") long legacy_flags();
    }

    static String kernelStructsHeader() {
        try (InputStream in = TypedSharedMemoryIT.class.getResourceAsStream("/archipelago/headers/kernel-structs.h")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Authenticated TypedMemoryControl stubs for the kernels of a cluster, closed with it. */
    static final class Kernels implements AutoCloseable {
        private final MiniCluster cluster;
        private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

        Kernels(MiniCluster cluster) {
            this.cluster = cluster;
        }

        TypedMemoryControlBlockingStub typed(String kernel) {
            KernelRecord record = cluster.coordinator().membership().byName(kernel)
                .orElseThrow(() -> new AssertionError("no kernel " + kernel + "; the cluster:\n" + cluster.describe()));
            // by incarnation: a restarted kernel serves on another port
            ManagedChannel channel = channels.computeIfAbsent(kernel + "@" + record.getIncarnation(), name -> NettyChannelBuilder
                .forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
                .intercept(ControlAuthentication.client(cluster.coordinator().secret(), "typed-it")).build());
            return TypedMemoryControlGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channels.values().forEach(ManagedChannel::shutdownNow);
        }
    }

    private static FieldValue integer(String path, long value) {
        return FieldValue.newBuilder().setPath(path).setInteger(value).build();
    }

    private static FieldValue path(String path) {
        return FieldValue.newBuilder().setPath(path).build();
    }

    private static FieldsReply write(TypedMemoryControlBlockingStub kernel, String region, long index, FieldValue... fields) {
        return kernel.writeFields(FieldsRequest.newBuilder().setRegion(region).setView(VIEW).setIndex(index).addAllFields(List.of(fields))
            .build());
    }

    private static Map<String, Long> read(TypedMemoryControlBlockingStub kernel, String region, long index, String... paths) {
        FieldsRequest.Builder request = FieldsRequest.newBuilder().setRegion(region).setView(VIEW).setIndex(index);
        for (String p : paths) {
            request.addFields(path(p));
        }
        Map<String, Long> values = new java.util.LinkedHashMap<>();
        kernel.readFields(request.build()).getFieldsList().forEach(f -> values.put(f.getPath(), f.getInteger()));
        return values;
    }

    @Test
    void kernelsOfThreeDataModelsShareTaskStructsInPlace() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(THREE_ABIS, "typed-three-abis"); Kernels kernels = new Kernels(cluster)) {
            TypedMemoryControlBlockingStub x86 = kernels.typed("x86-0");
            TypedMemoryControlBlockingStub arm = kernels.typed("arm-0");
            TypedMemoryControlBlockingStub ppc = kernels.typed("ppc-0");

            RegionInfo created = x86.createRegion(CreateRegionRequest.newBuilder().setName("tasks").setHeader(kernelStructsHeader())
                .setHeaderName("kernel-structs.h").setType("task_struct").setCount(64).build());
            RecordLayout layout = DataModel.X86_64.layoutEngine().record(
                HeaderParser.parse("kernel-structs.h", kernelStructsHeader()).record("task_struct"));
            assertThat(created.getDataModel()).isEqualTo("x86_64");
            assertThat(created.getElementSize()).isEqualTo(layout.size());
            assertThat(created.getBytes()).isEqualTo(64 * layout.size());
            assertThat(created.getCreator()).isEqualTo("x86-0");

            assertThat(x86.attachRegion(attach("tasks")).getAccessor()).isEqualTo("NATIVE");
            assertThat(arm.attachRegion(attach("tasks")).getAccessor()).isEqualTo("MORPHED");
            assertThat(ppc.attachRegion(attach("tasks")).getAccessor()).isEqualTo("MORPHED");

            long element6 = created.getGlobalAddress() + 6 * created.getElementSize();
            write(x86, "tasks", 5, integer("pid", 1234), integer("nvcsw", 3_000_000_000L), integer("comm[0]", 'b'), integer("comm[1]", 'o'),
                integer("se.vruntime", 1L << 40), integer("tasks.next", element6), integer("state", 0x80000001L));

            Map<String, Long> expected = Map.of("pid", 1234L, "nvcsw", 3_000_000_000L, "comm[0]", (long) 'b', "comm[1]", (long) 'o',
                "se.vruntime", 1L << 40, "tasks.next", element6, "state", 0x80000001L);
            String[] paths = expected.keySet().toArray(String[]::new);
            assertThat(read(arm, "tasks", 5, paths)).as("armv7 reads the x86_64 layout in place").containsExactlyInAnyOrderEntriesOf(expected);
            assertThat(read(ppc, "tasks", 5, paths)).as("ppc32 reads the x86_64 layout in place").containsExactlyInAnyOrderEntriesOf(expected);

            FieldsReply armWrite = write(arm, "tasks", 5, integer("prio", 120), integer("nvcsw", 4_000_000_000L));
            assertThat(armWrite.getAccessor()).isEqualTo("MORPHED");
            assertThat(armWrite.getDataModel()).isEqualTo("armv7");
            write(ppc, "tasks", 7, integer("pid", 77), integer("se.vruntime", 99), integer("parent", created.getGlobalAddress() + 5 * layout.size()));

            assertThat(read(x86, "tasks", 5, "prio", "nvcsw", "pid")).as("the creator sees the armv7 kernel's writes")
                .containsExactly(Map.entry("prio", 120L), Map.entry("nvcsw", 4_000_000_000L), Map.entry("pid", 1234L));
            assertThat(read(x86, "tasks", 7, "pid", "se.vruntime", "parent")).as("the creator sees the ppc32 kernel's writes")
                .containsExactly(Map.entry("pid", 77L), Map.entry("se.vruntime", 99L),
                    Map.entry("parent", created.getGlobalAddress() + 5 * layout.size()));

            // The bytes themselves, in the x86_64 layout, in the mmap'd file (read by this test process).
            MemorySegment memory = cluster.coordinator().memory().segment();
            long base5 = created.getGlobalAddress() + 5 * layout.size();
            long base7 = created.getGlobalAddress() + 7 * layout.size();
            assertThat(memory.get(ValueLayout.JAVA_INT_UNALIGNED, base5 + offset(layout, "pid"))).isEqualTo(1234);
            assertThat(memory.get(ValueLayout.JAVA_LONG_UNALIGNED, base5 + offset(layout, "nvcsw"))).isEqualTo(4_000_000_000L);
            assertThat(memory.get(ValueLayout.JAVA_INT_UNALIGNED, base5 + offset(layout, "prio"))).isEqualTo(120);
            assertThat(memory.get(ValueLayout.JAVA_BYTE, base5 + offset(layout, "comm"))).isEqualTo((byte) 'b');
            assertThat(memory.get(ValueLayout.JAVA_INT_UNALIGNED, base7 + offset(layout, "pid"))).isEqualTo(77);

            // The registry records every attachment; the CLI lists them.
            RegionList regions = x86.listRegions(ListRegionsRequest.getDefaultInstance());
            // (the kernels' own regions, of the task service and of the NIC driver, are left out)
            assertThat(regions.getRegionsList().stream().filter(r -> !systemRegion(r))).singleElement()
                .satisfies(r -> assertThat(r.getAttachedList())
                .extracting(a -> a.getKernel() + ":" + a.getDataModel() + ":" + a.getAccessor())
                .containsExactlyInAnyOrder("x86-0:x86_64:NATIVE", "arm-0:armv7:MORPHED", "ppc-0:ppc32:MORPHED"));
            Cli.Result cli = Cli.run(Duration.ofSeconds(60), "regions", "--json", "--home", cluster.root().toString(), "--cluster",
                cluster.coordinator().config().cluster());
            assertThat(cli.exitCode()).as("%s", cli).isZero();
            JsonNode listed = null;
            for (JsonNode region : new ObjectMapper().readTree(cli.out()).get("regions")) {
                if (region.get("name").asText().equals("tasks")) {
                    listed = region;
                }
            }
            assertThat(listed).as("region 'tasks' in `regions --json`: %s", cli.out()).isNotNull();
            assertThat(listed.get("type").asText()).isEqualTo("struct task_struct");
            assertThat(listed.get("data_model").asText()).isEqualTo("x86_64");
            assertThat(listed.get("count").asLong()).isEqualTo(64);
            assertThat(listed.get("bytes").asLong()).isEqualTo(64 * layout.size());
            assertThat(listed.get("attached")).hasSize(3);
        }
    }

    @Test
    void aRegionOfA32BitBigEndianKernelRefusesValuesItsLayoutCannotHold() {
        try (MiniCluster cluster = MiniCluster.start(THREE_ABIS, "typed-narrow"); Kernels kernels = new Kernels(cluster)) {
            TypedMemoryControlBlockingStub x86 = kernels.typed("x86-0");
            TypedMemoryControlBlockingStub ppc = kernels.typed("ppc-0");
            RegionInfo created = ppc.createRegion(CreateRegionRequest.newBuilder().setName("ppc-tasks").setView(VIEW).setCount(8).build());
            assertThat(created.getDataModel()).isEqualTo("ppc32");
            assertThat(x86.attachRegion(attach("ppc-tasks")).getAccessor()).isEqualTo("MORPHED");

            write(x86, "ppc-tasks", 2, integer("nvcsw", 4_000_000_000L), integer("pid", -7), integer("se.vruntime", 1L << 50));
            assertThat(read(ppc, "ppc-tasks", 2, "nvcsw", "pid", "se.vruntime"))
                .containsExactly(Map.entry("nvcsw", 4_000_000_000L), Map.entry("pid", -7L), Map.entry("se.vruntime", 1L << 50));
            // big-endian, 4-byte unsigned long, in the file
            RecordLayout ppcLayout = DataModel.PPC32.layoutEngine().record(io.archipelago.typed.TypedInterface.of(TaskStruct.class).record());
            long base = created.getGlobalAddress() + 2 * ppcLayout.size();
            MemorySegment memory = cluster.coordinator().memory().segment();
            assertThat(memory.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), base + offset(ppcLayout, "nvcsw")))
                .isEqualTo((int) 4_000_000_000L);

            assertThatThrownBy(() -> write(x86, "ppc-tasks", 2, integer("nvcsw", 5_000_000_000L)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("cannot write 5000000000 to member 'nvcsw' of struct task_struct "
                        + "(unsigned long: 4 bytes, big-endian): it holds 0..4294967295 (no silent truncation)");
                });
            assertThat(read(ppc, "ppc-tasks", 2, "nvcsw")).as("nothing written").containsEntry("nvcsw", 4_000_000_000L);
        }
    }

    @Test
    void createsRaceCleanlyAndMistakesAreRefusedWithReasons() throws Exception {
        try (MiniCluster cluster = MiniCluster.start(THREE_ABIS, "typed-errors"); Kernels kernels = new Kernels(cluster)) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                for (int round = 0; round < 5; round++) {
                    String name = "race-" + round;
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<String>> outcomes = new ArrayList<>();
                    for (String kernel : List.of("arm-0", "ppc-0")) {
                        TypedMemoryControlBlockingStub stub = kernels.typed(kernel);
                        outcomes.add(pool.submit(() -> {
                            go.await();
                            try {
                                return "created by " + stub.createRegion(CreateRegionRequest.newBuilder().setName(name).setView(VIEW)
                                    .setCount(16).build()).getCreator();
                            } catch (StatusRuntimeException e) {
                                return e.getStatus().getCode().name();
                            }
                        }));
                    }
                    go.countDown();
                    List<String> results = new ArrayList<>();
                    for (Future<String> outcome : outcomes) {
                        results.add(outcome.get(60, TimeUnit.SECONDS));
                    }
                    assertThat(results).as("round %d", round).containsOnlyOnce("ALREADY_EXISTS").anyMatch(r -> r.startsWith("created by "));
                }
            } finally {
                pool.shutdownNow();
            }
            TypedMemoryControlBlockingStub x86 = kernels.typed("x86-0");
            assertThat(x86.listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList().stream()
                .filter(r -> !systemRegion(r))).as("besides the kernels' own regions").hasSize(5);

            assertThatThrownBy(() -> x86.attachRegion(attach("no-such-region"))).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).startsWith("no region 'no-such-region' in typed shared memory; regions: ")
                    .contains("race-0, race-1, race-2, race-3, race-4");
            });
            assertThatThrownBy(() -> x86.createRegion(CreateRegionRequest.newBuilder().setName("race-0").setView(VIEW).setCount(1).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                    assertThat(e.getStatus().getDescription()).contains("region 'race-0' already exists");
                });
            assertThatThrownBy(() -> x86.attachRegion(AttachRegionRequest.newBuilder().setName("race-1")
                .setView(TaskWithLegacyMember.class.getName()).build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("member 'legacy_flags' needed by TaskWithLegacyMember.legacy_flags() "
                        + "is missing from struct task_struct");
                });
            assertThatThrownBy(() -> x86.createRegion(CreateRegionRequest.newBuilder().setName("bad").setHeader("struct s { int x : 3; };")
                .setHeaderName("bad.h").setType("s").setCount(1).build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("bad.h:1:18: bit-fields are not supported");
                });
            assertThatThrownBy(() -> read(x86, "race-0", 16, "pid")).isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE));
        }
    }

    private static AttachRegionRequest attach(String name) {
        return AttachRegionRequest.newBuilder().setName(name).setView(VIEW).build();
    }

    private static long offset(RecordLayout layout, String member) {
        return layout.member(member).map(MemberLayout::offset).orElseThrow();
    }

    /** Regions the kernels create for themselves at boot: the task service's (tasks.*) and the shadowed NIC driver's (nic0.*). */
    static boolean systemRegion(RegionInfo region) {
        return region.getName().startsWith("tasks.") || region.getName().startsWith("nic0.");
    }
}
