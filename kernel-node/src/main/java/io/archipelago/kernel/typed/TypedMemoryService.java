package io.archipelago.kernel.typed;

import io.archipelago.control.proto.AttachRegionRequest;
import io.archipelago.control.proto.CreateRegionRequest;
import io.archipelago.control.proto.FieldValue;
import io.archipelago.control.proto.FieldsReply;
import io.archipelago.control.proto.FieldsRequest;
import io.archipelago.control.proto.ListRegionsRequest;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.control.proto.RegionList;
import io.archipelago.control.proto.SetAsideRecord;
import io.archipelago.control.proto.TypedMemoryControlGrpc;
import io.archipelago.interconnect.platform.Platform;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.memory.KernelOutOfMemoryException;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.typed.FormatMismatchException;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.SoftwareCoherence;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.ViewPath;
import io.archipelago.typed.access.RemoteLineCosts;
import io.archipelago.typed.alloc.OutOfPagesException;
import io.archipelago.typed.alloc.PageAllocator;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Contract;
import io.archipelago.typed.registry.RegionRegistry;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's typed shared memory (paper 1): opens the cluster's region registry, gives the
 * kernel a {@link TypedMemory} in its own data model, allocating from its page blocks, and
 * serves the {@code TypedMemoryControl} API (create, attach, read and write fields, list).
 * Other services are built with its {@link #typed()}.
 */
public final class TypedMemoryService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(TypedMemoryService.class);

    private final Kernel kernel;
    private final PageAllocator allocator;
    private final SoftwareCoherence coherence;
    private volatile RegionRegistry registry;
    private volatile TypedMemory typed;
    private KernelCountersArea.Counter created;
    private KernelCountersArea.Counter attached;

    /**
     * @param allocator where regions take their pages (the kernel's buddy allocator and balloon driver)
     * @param coherence what software-coherent regions go through (the DSM)
     */
    public TypedMemoryService(Kernel kernel, PageAllocator allocator, SoftwareCoherence coherence) {
        this.kernel = kernel;
        this.allocator = allocator;
        this.coherence = coherence;
    }

    @Override
    public String name() {
        return "typed-memory";
    }

    @Override
    public void start() {
        this.registry = RegionRegistry.open(kernel.context().clusterDirectory().regionsFile());
        // pages come from the kernel's page allocator (buddy allocator + balloon driver)
        this.typed = TypedMemory.forKernel(kernel.memory(), registry,
            new TypedMemory.Identity(kernel.id(), kernel.name(), kernel.incarnation(), kernel.context().dataModel(),
                kernel.context().coherenceDomain()),
            allocator);
        typed.useSoftwareCoherence(coherence);
        // a hardware-coherent region homed in another domain: attachable where the platform models remote memory
        typed.useRemoteLineCosts(home -> {
            Platform.Costs costs = kernel.context().platform().costs(kernel.context().coherenceDomain(), home);
            return new RemoteLineCosts(costs.lineReadNs(), costs.lineWriteNs());
        });
        this.created = kernel.counters().counter(KernelCounter.TYPED_REGIONS_CREATED);
        this.attached = kernel.counters().counter(KernelCounter.TYPED_REGIONS_ATTACHED);
    }

    /** This kernel's typed shared memory. */
    public TypedMemory typed() {
        return typed;
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new Control());
    }

    @Override
    public void close() {
        RegionRegistry open = registry;
        if (open != null) {
            open.close();
        }
    }

    private Class<?> view(String name) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("no view given: name a @Typed interface, e.g. "
                + io.archipelago.kernel.typed.views.TaskStruct.class.getName());
        }
        try {
            return Class.forName(name, true, TypedMemoryService.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ViewNotFoundException("no view " + name + " on the class path of kernel " + kernel.name());
        }
    }

    private static final class ViewNotFoundException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ViewNotFoundException(String message) {
            super(message);
        }
    }

    private final class Control extends TypedMemoryControlGrpc.TypedMemoryControlImplBase {

        @Override
        public void createRegion(CreateRegionRequest request, StreamObserver<RegionInfo> response) {
            answer(response, () -> {
                ArrayLayout arrangement = request.getStructOfArrays() ? ArrayLayout.STRUCT_OF_ARRAYS : ArrayLayout.ARRAY_OF_STRUCTS;
                Contract contract;
                io.archipelago.typed.proto.Coherence coherence = request.getSoftwareCoherent()
                    ? io.archipelago.typed.proto.Coherence.SOFTWARE : io.archipelago.typed.proto.Coherence.HARDWARE;
                if (!request.getView().isEmpty()) {
                    contract = typed.create(request.getName(), view(request.getView()), request.getCount(), arrangement, coherence, r -> { })
                        .contract();
                } else {
                    String source = request.getHeaderName().isEmpty() ? "header" : request.getHeaderName();
                    var type = HeaderParser.parse(source, request.getHeader()).record(request.getType());
                    contract = typed.create(request.getName(), type, request.getCount(), arrangement, coherence);
                }
                created.increment();
                LOG.info("kernel {} created region '{}': {} x {} ({} bytes at 0x{})", kernel.name(), contract.getName(), contract.getCount(),
                    contract.getTypeName(), contract.getLocation().getBytes(), Long.toHexString(contract.getLocation().getOffset()));
                return RegionInfos.of(registry.get(contract.getName()).orElse(contract));
            });
        }

        @Override
        public void attachRegion(AttachRegionRequest request, StreamObserver<RegionInfo> response) {
            answer(response, () -> {
                TypedRegion<?> region = typed.attach(request.getName(), view(request.getView()),
                    request.getInterpreted() ? TypedMemory.Access.INTERPRETED : TypedMemory.Access.GENERATED);
                attached.increment();
                LOG.info("kernel {} attached region '{}' ({}, {}) with {}: {}", kernel.name(), region.name(), region.contract().getTypeName(),
                    region.dataModel(), region.view().getSimpleName(), region.accessor());
                return RegionInfos.of(registry.get(region.name()).orElseThrow()).toBuilder().setAccessor(region.accessor().name()).build();
            });
        }

        @Override
        public void writeFields(FieldsRequest request, StreamObserver<FieldsReply> response) {
            answer(response, () -> {
                Class<?> view = view(request.getView());
                TypedRegion<?> region = typed.attach(request.getRegion(), view);
                Object element = region.at(request.getIndex());
                FieldsReply.Builder reply = reply(region);
                for (FieldValue field : request.getFieldsList()) {
                    Object value = switch (field.getValueCase()) {
                        case INTEGER -> field.getInteger();
                        case REAL -> field.getReal();
                        case BOOLEAN -> field.getBoolean();
                        case VALUE_NOT_SET -> throw new IllegalArgumentException("no value to write to '" + field.getPath() + "'");
                    };
                    ViewPath.write(element, view, field.getPath(), value);
                    reply.addFields(field);
                }
                return reply.build();
            });
        }

        @Override
        public void readFields(FieldsRequest request, StreamObserver<FieldsReply> response) {
            answer(response, () -> {
                Class<?> view = view(request.getView());
                TypedRegion<?> region = typed.attach(request.getRegion(), view);
                Object element = region.at(request.getIndex());
                FieldsReply.Builder reply = reply(region);
                for (FieldValue field : request.getFieldsList()) {
                    Object value = ViewPath.read(element, view, field.getPath());
                    FieldValue.Builder read = FieldValue.newBuilder().setPath(field.getPath());
                    switch (value) {
                        case Long l -> read.setInteger(l);
                        case Double d -> read.setReal(d);
                        case Boolean b -> read.setBoolean(b);
                        default -> throw new IllegalStateException("unexpected value " + value);
                    }
                    reply.addFields(read);
                }
                return reply.build();
            });
        }

        @Override
        public void listRegions(ListRegionsRequest request, StreamObserver<RegionList> response) {
            answer(response, () -> {
                RegionList.Builder list = RegionList.newBuilder();
                registry.all().forEach(contract -> list.addRegions(RegionInfos.of(contract)));
                registry.setAside().forEach(bad -> list.addSetAside(SetAsideRecord.newBuilder().setName(bad.name())
                    .setReason(bad.reason())));
                return list.build();
            });
        }

        private FieldsReply.Builder reply(TypedRegion<?> region) {
            return FieldsReply.newBuilder().setKernel(kernel.name()).setDataModel(kernel.context().dataModel().id())
                .setAccessor(region.accessor().name());
        }
    }

    /** Runs a call and maps what can go wrong to a status that says it. */
    private static <T> void answer(StreamObserver<T> response, Supplier<T> call) {
        T result;
        try {
            result = call.get();
        } catch (RegionException.Exists e) {
            response.onError(Status.ALREADY_EXISTS.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (KernelOutOfMemoryException e) {
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RegionException.Unknown | ViewNotFoundException e) {
            response.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (FormatMismatchException | RegionException | OutOfPagesException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IndexOutOfBoundsException e) {
            response.onError(Status.OUT_OF_RANGE.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IllegalArgumentException e) {
            // header parse errors, values that do not fit, bad views and paths, invalid pointers
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            LOG.warn("typed memory call failed", e);
            response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
            return;
        }
        response.onNext(result);
        response.onCompleted();
    }
}
