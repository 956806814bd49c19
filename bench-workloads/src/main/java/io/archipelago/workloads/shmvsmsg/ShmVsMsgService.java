package io.archipelago.workloads.shmvsmsg;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.messages.OwnerChannels;
import io.archipelago.kernel.messages.views.BenchItem;
import io.archipelago.messages.proto.ObjectReply;
import io.archipelago.shmvsmsg.proto.MarshalFigures;
import io.archipelago.shmvsmsg.proto.MarshalObject;
import io.archipelago.shmvsmsg.proto.MarshalReply;
import io.archipelago.shmvsmsg.proto.MarshalRequest;
import io.archipelago.shmvsmsg.proto.PrepareReply;
import io.archipelago.shmvsmsg.proto.PrepareRequest;
import io.archipelago.shmvsmsg.proto.RunReply;
import io.archipelago.shmvsmsg.proto.RunRequest;
import io.archipelago.shmvsmsg.proto.ShmVsMsgControlGrpc;
import io.archipelago.shmvsmsg.proto.TouchReply;
import io.archipelago.shmvsmsg.proto.TouchRequest;
import io.archipelago.typed.RegionException;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.proto.ArrayLayout;
import io.archipelago.typed.proto.Coherence;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The kernel's side of {@code archipelago bench shm-vs-msg}: creates and fills the objects (as
 * their creator and owner), and runs an operation one way on its own threads, timing it where it
 * happens, in the kernel process (see {@link Workload}). Also times Protocol Buffers encode and
 * decode of the objects in this process, against copying them out of typed shared memory.
 */
public final class ShmVsMsgService implements KernelService {

    private final Kernel kernel;
    private final TypedMemory typed;
    private final OwnerChannels owners;

    /** @param owners streams to the owners of other kernels' objects (the message side of the comparison) */
    public ShmVsMsgService(Kernel kernel, TypedMemory typed, OwnerChannels owners) {
        this.kernel = kernel;
        this.typed = typed;
        this.owners = owners;
    }

    @Override
    public String name() {
        return "shm-vs-msg";
    }

    @Override
    public void start() {
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new Control());
    }

    @Override
    public void close() {
    }

    private TypedMemory typed() {
        return typed;
    }

    private final class Control extends ShmVsMsgControlGrpc.ShmVsMsgControlImplBase {

        @Override
        public void prepare(PrepareRequest request, StreamObserver<PrepareReply> response) {
            answer(response, () -> {
                TypedRegion<BenchItem> region;
                if (typed().registry().get(request.getRegion()).isEmpty()) {
                    try {
                        region = typed().create(request.getRegion(), BenchItem.class, request.getCount(), ArrayLayout.ARRAY_OF_STRUCTS,
                            request.getSoftwareCoherent() ? Coherence.SOFTWARE : Coherence.HARDWARE, r -> { });
                    } catch (RegionException.Exists raced) {
                        region = typed().attach(request.getRegion(), BenchItem.class);
                    }
                } else {
                    region = typed().attach(request.getRegion(), BenchItem.class);
                }
                BenchItem item = region.at(0);
                for (long i = 0; i < region.count(); i++) {
                    region.moveTo(item, i);
                    BenchObject.fill(item, i);
                }
                return PrepareReply.newBuilder().setRegion(region.name()).setCount(region.count()).setElementSize(region.layout().size())
                    .setDataModel(region.dataModel().id()).setAccessor(region.accessor().name()).build();
            });
        }

        @Override
        public void touch(TouchRequest request, StreamObserver<TouchReply> response) {
            answer(response, () -> {
                TypedRegion<BenchItem> region = typed().attach(request.getRegion(), BenchItem.class);
                BenchObject object = new BenchObject(region, request.getFirst(), request.getCount(),
                    region.softwareCoherent() ? BenchObject.Sharing.SOFTWARE : BenchObject.Sharing.HARDWARE, 1);
                long start = System.nanoTime();
                object.touch(start);
                return TouchReply.newBuilder().setElapsedNs(System.nanoTime() - start).build();
            });
        }

        @Override
        public void run(RunRequest request, StreamObserver<RunReply> response) {
            answer(response, () -> new Workload(kernel, typed(), owners(), request).run());
        }

        @Override
        public void marshal(MarshalRequest request, StreamObserver<MarshalReply> response) {
            answer(response, () -> marshalFigures(request));
        }
    }

    private OwnerChannels owners() {
        return owners;
    }

    /**
     * Encode (build the reply from typed memory and serialise it: the owner's work), decode (parse
     * it: the requester's work) and copy (read the same members in place: the shared-memory way),
     * interleaved in short rounds so that drift hits all three alike.
     */
    private MarshalReply marshalFigures(MarshalRequest request) {
        TypedRegion<BenchItem> region = typed().attach(request.getRegion(), BenchItem.class);
        MarshalReply.Builder reply = MarshalReply.newBuilder();
        long warmup = TimeUnit.MILLISECONDS.toNanos(Math.max(1, request.getWarmupMs()));
        long measure = TimeUnit.MILLISECONDS.toNanos(Math.max(1, request.getMeasureMs()));
        for (MarshalObject spec : request.getObjectsList()) {
            BenchObject object = new BenchObject(region, spec.getFirst(), spec.getCount(), BenchObject.Sharing.OWNER, 1);
            byte[] encoded = encode(object);
            long[] copy = new long[object.structLongs()];
            Sampler encode = new Sampler(() -> encode(object).length);
            Sampler decode = new Sampler(() -> {
                try {
                    ObjectReply decoded = ObjectReply.parseFrom(encoded);
                    return decoded.getItems(decoded.getItemsCount() - 1).getStamp();
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException("cannot decode what was just encoded: " + e.getMessage(), e);
                }
            });
            Sampler read = new Sampler(() -> object.readStruct(copy));
            long target = Sampler.DEFAULT_TARGET_NANOS * 10;
            int encodeBatch = encode.warmUp(warmup / 3, target);
            int decodeBatch = decode.warmUp(warmup / 3, target);
            int copyBatch = read.warmUp(warmup / 3, target);
            Histogram encodeNs = Sampler.histogram();
            Histogram decodeNs = Sampler.histogram();
            Histogram copyNs = Sampler.histogram();
            long round = TimeUnit.MILLISECONDS.toNanos(5);
            long end = System.nanoTime() + measure;
            while (System.nanoTime() - end < 0) {
                encode.measureUntil(System.nanoTime() + round, encodeBatch, encodeNs);
                decode.measureUntil(System.nanoTime() + round, decodeBatch, decodeNs);
                read.measureUntil(System.nanoTime() + round, copyBatch, copyNs);
            }
            reply.addFigures(MarshalFigures.newBuilder().setBytes(object.bytes()).setEncodedBytes(encoded.length)
                .setEncode(com.google.protobuf.ByteString.copyFrom(Sampler.encode(encodeNs)))
                .setDecode(com.google.protobuf.ByteString.copyFrom(Sampler.encode(decodeNs)))
                .setCopy(com.google.protobuf.ByteString.copyFrom(Sampler.encode(copyNs))));
            if ((encode.checksum() ^ decode.checksum() ^ read.checksum()) == 42) {
                reply.setError(""); // keeps the results alive
            }
        }
        return reply.build();
    }

    private static byte[] encode(BenchObject object) {
        ObjectReply.Builder builder = ObjectReply.newBuilder();
        object.readStruct(builder);
        return builder.build().toByteArray();
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> body) {
        T reply;
        try {
            reply = body.get();
        } catch (RegionException | IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription(e.getClass().getSimpleName() + ": " + e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(reply);
        response.onCompleted();
    }
}
