package io.archipelago.cli;

import io.archipelago.control.proto.AttachRegionRequest;
import io.archipelago.control.proto.CreateRegionRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsReply;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.ListRegionsRequest;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.control.proto.TypedMemoryControlGrpc.TypedMemoryControlBlockingStub;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.config.ClusterConfig.KernelSpec;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.control.auth.ControlAuthentication;
import io.archipelago.kernel.typed.views.TaskStruct;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.header.HeaderParser;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The demo scene of typed shared memory (paper 1): the first kernel creates an array of
 * {@code task_struct}s in its own layout; a kernel of another data model attaches it with the
 * same Java view, reads and writes it in place through a morphed accessor, and the creator
 * sees the writes.
 */
final class TypedMemoryAct implements DemoAct {

    private static final String REGION = "demo.tasks";
    private static final String VIEW = TaskStruct.class.getName();

    @Override
    public String title() {
        return "typed shared memory: kernels of different ABIs share task_structs in place (archipelago regions)";
    }

    @Override
    public void run(Coordinator cluster, PrintWriter out) throws Exception {
        List<KernelSpec> kernels = cluster.config().kernels();
        KernelSpec creator = kernels.getFirst();
        KernelSpec other = kernels.stream().filter(k -> !k.island().dataModel().equals(creator.island().dataModel())).findFirst()
            .orElse(kernels.getLast());
        String header;
        try (InputStream in = TypedMemoryAct.class.getClassLoader().getResourceAsStream(LayoutCommand.BUNDLED + "kernel-structs.h")) {
            header = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        RecordType task = HeaderParser.parse("kernel-structs.h", header).record("task_struct");
        DataModel creatorModel = DataModel.byId(creator.island().dataModel());
        DataModel otherModel = DataModel.byId(other.island().dataModel());
        List<ManagedChannel> channels = new ArrayList<>();
        try {
            TypedMemoryControlBlockingStub a = stub(cluster, creator.name(), channels);
            TypedMemoryControlBlockingStub b = stub(cluster, other.name(), channels);
            out.printf(Locale.ROOT, "struct task_struct (kernel-structs.h) is %d bytes on %s and %d bytes on %s.%n",
                creatorModel.layoutEngine().record(task).size(), creatorModel, otherModel.layoutEngine().record(task).size(), otherModel);
            // Kernels of different coherence domains share a region only if the DSM keeps it coherent.
            boolean acrossDomains = !creator.island().coherenceDomain().equals(other.island().coherenceDomain());
            RegionInfo region = a.createRegion(CreateRegionRequest.newBuilder().setName(REGION).setHeader(header)
                .setHeaderName("kernel-structs.h").setType("task_struct").setCount(8).setSoftwareCoherent(acrossDomains).build());
            out.printf(Locale.ROOT, "%s (%s) creates '%s': %d x %s in its own layout, %d bytes at global address 0x%x, %s-coherent%s%n",
                creator.name(), creatorModel, REGION, region.getCount(), region.getType(), region.getBytes(), region.getGlobalAddress(),
                region.getCoherence().toLowerCase(Locale.ROOT), acrossDomains ? " (the kernels are in coherence domains "
                    + creator.island().coherenceDomain() + " and " + other.island().coherenceDomain() + ")" : "");
            a.attachRegion(AttachRegionRequest.newBuilder().setName(REGION).setView(VIEW).build());
            write(a, 1, integer("pid", 1), integer("comm[0]", 'i'), integer("comm[1]", 'n'), integer("comm[2]", 'i'), integer("comm[3]", 't'),
                integer("nvcsw", 3_000_000_000L), integer("se.vruntime", 1L << 40));
            out.printf("%s writes task 1: pid 1, comm \"init\", nvcsw 3000000000, se.vruntime 2^40%n", creator.name());

            String accessor = b.attachRegion(AttachRegionRequest.newBuilder().setName(REGION).setView(VIEW).build()).getAccessor();
            out.printf("%s (%s) attaches it with the same view (%s): the format check passes, its accessor is %s%n", other.name(),
                otherModel, TaskStruct.class.getSimpleName(), accessor);
            FieldsReply seen = read(b, 1, "pid", "comm[0]", "comm[1]", "comm[2]", "comm[3]", "nvcsw", "se.vruntime");
            out.printf("%s reads task 1 in place: pid %d, comm \"%s\", nvcsw %d, se.vruntime %d%n", other.name(), seen.getFields(0).getInteger(),
                comm(seen), seen.getFields(5).getInteger(), seen.getFields(6).getInteger());
            write(b, 1, integer("prio", 120), integer("nvcsw", seen.getFields(5).getInteger() + 1));
            out.printf("%s writes prio 120 and nvcsw + 1, in %s's layout%n", other.name(), creatorModel);
            FieldsReply back = read(a, 1, "prio", "nvcsw");
            out.printf("%s sees prio %d, nvcsw %d: the data was never converted%n%n", creator.name(), back.getFields(0).getInteger(),
                back.getFields(1).getInteger());
            RegionsCommand.printTable(a.listRegions(ListRegionsRequest.getDefaultInstance()), out);
            out.println(acrossDomains
                ? "(software-coherent: each kernel reads and writes its private copy of the pages it holds; the DSM moves them, "
                    + "and the data stays in the creator's format)"
                : "(hardware-coherent: the kernels share one coherence domain and read and write global memory directly)");
        } finally {
            channels.forEach(ManagedChannel::shutdownNow);
        }
    }

    private static String comm(FieldsReply reply) {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 4; i++) {
            text.append((char) reply.getFields(i).getInteger());
        }
        return text.toString();
    }

    private static FieldValue integer(String path, long value) {
        return FieldValue.newBuilder().setPath(path).setInteger(value).build();
    }

    private static void write(TypedMemoryControlBlockingStub kernel, long index, FieldValue... fields) {
        kernel.writeFields(FieldsRequest.newBuilder().setRegion(REGION).setView(VIEW).setIndex(index).addAllFields(List.of(fields)).build());
    }

    private static FieldsReply read(TypedMemoryControlBlockingStub kernel, long index, String... paths) {
        FieldsRequest.Builder request = FieldsRequest.newBuilder().setRegion(REGION).setView(VIEW).setIndex(index);
        for (String path : paths) {
            request.addFields(FieldValue.newBuilder().setPath(path));
        }
        return kernel.readFields(request.build());
    }

    private static TypedMemoryControlBlockingStub stub(Coordinator cluster, String kernel, List<ManagedChannel> channels) {
        KernelRecord record = cluster.membership().byName(kernel)
            .orElseThrow(() -> new CliException("kernel " + kernel + " is not in membership"));
        ManagedChannel channel = NettyChannelBuilder.forAddress(record.getControl().getHost(), record.getControl().getPort()).usePlaintext()
            .intercept(ControlAuthentication.client(cluster.secret(), "demo")).build();
        channels.add(channel);
        return TypedMemoryControlGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }
}
