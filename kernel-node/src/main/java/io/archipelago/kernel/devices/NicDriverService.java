package io.archipelago.kernel.devices;

import com.google.protobuf.ByteString;
import io.archipelago.devices.proto.NicDriverGrpc;
import io.archipelago.devices.proto.NicLatencies;
import io.archipelago.devices.proto.NicLatenciesRequest;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.task.Interrupts;
import io.archipelago.kernel.task.model.TaskRegions;
import io.archipelago.memory.DeviceMemory;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.typed.region.TypedMemory;
import io.archipelago.typed.region.TypedRegion;
import io.archipelago.typed.proto.Coherence;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network interface's driver, K2's example of a <em>shadowed</em> service: its state (ring
 * index, statistics, configuration: {@link NicDriverState}) is one region shared by the strong and
 * the weak kernel through the DSM, so whichever kernel the interrupt was routed to runs the same
 * driver on the same state. The interrupt handler only hands off (it must not touch shared memory
 * that can fault): the driver thread takes every packet the device published, in an exclusive
 * section over the state, and rings the device's doorbell ({@code consumed}).
 * <p>
 * Which state it runs on is the device's driver-mode register ({@link DeviceMemory#driverMode()},
 * set with {@code archipelago devices --driver}): shared (default: the software-coherent
 * {@code nic0.driver}) or private (the hardware-coherent {@code nic0.driver.<kernel>}: private to
 * this kernel, which must then take every NIC interrupt: routing "strong"); that is how
 * {@code bench driver} compares the two on one cluster. {@code -Darchipelago.nic.driver=off}: no driver. Counters: {@code nic.packets}, {@code nic.errors}, {@code nic.polls},
 * {@code nic.latency_ns_sum} and {@code nic.latency_ns_max} (from the packet's arrival at the
 * device to its taking, host monotonic time); every packet's latency also goes into an HdrHistogram
 * {@link Recorder}, whose intervals the {@code NicDriver} control service hands out (the
 * percentiles of {@code bench driver}).
 */
public final class NicDriverService implements KernelService {

    public static final String MODE_PROP = "archipelago.nic.driver";
    public static final String SHARED_REGION = "nic0.driver";
    private static final Logger LOG = LoggerFactory.getLogger(NicDriverService.class);

    private final Kernel kernel;
    private final TypedMemory typed;
    private final Interrupts interrupts;
    private String mode;
    private DeviceMemory ring;
    private TypedRegion<NicDriverState> shared;
    private TypedRegion<NicDriverState> own;
    private KernelCountersArea.Counter pollNs;
    private ExecutorService driver;
    private final AtomicBoolean pending = new AtomicBoolean();
    private KernelCountersArea.Counter packets;
    private KernelCountersArea.Counter errors;
    private KernelCountersArea.Counter polls;
    private KernelCountersArea.Counter latencySum;
    private KernelCountersArea.Counter latencyMax;
    private KernelCountersArea.Counter numberSum;
    private KernelCountersArea.Counter numberSquares;
    /** Every taken packet's latency in ns (written by the driver thread, intervals taken by the control service). */
    private final Recorder latencies = new Recorder(3);

    /**
     * @param typed where the driver's state regions live
     * @param interrupts whose IRQ words tell the driver a packet is there
     */
    public NicDriverService(Kernel kernel, TypedMemory typed, Interrupts interrupts) {
        this.kernel = kernel;
        this.typed = typed;
        this.interrupts = interrupts;
    }

    @Override
    public String name() {
        return "nic";
    }

    @Override
    public void start() {
        this.mode = System.getProperty(MODE_PROP, "on").toLowerCase(Locale.ROOT);
        if (mode.equals("off")) {
            return;
        }
        if (!mode.equals("on")) {
            throw new IllegalArgumentException("-D" + MODE_PROP + ": expected on or off, found '" + mode + "'");
        }
        try {
            ring = DeviceMemory.attach(kernel.memory());
        } catch (IllegalStateException e) {
            LOG.warn("kernel {}: no NIC driver: {}", kernel.name(), e.getMessage());
            mode = "off";
            return;
        }
        try {
            shared = TaskRegions.createOrAttach(typed, SHARED_REGION, NicDriverState.class, 1, Coherence.SOFTWARE);
            own = TaskRegions.createOrAttach(typed, SHARED_REGION + "." + kernel.name(), NicDriverState.class, 1, Coherence.HARDWARE);
        } catch (RuntimeException e) {
            // the kernel's other services do not depend on the NIC: boot without its driver, and say why
            LOG.warn("kernel {}: no NIC driver: its state regions could not be created or attached: {}", kernel.name(), e.toString());
            mode = "off";
            return;
        }
        KernelCountersArea counters = kernel.counters();
        packets = counters.counter(KernelCounter.NIC_PACKETS);
        errors = counters.counter(KernelCounter.NIC_ERRORS);
        polls = counters.counter(KernelCounter.NIC_POLLS);
        latencySum = counters.counter(KernelCounter.NIC_LATENCY_NS_SUM);
        latencyMax = counters.counter(KernelCounter.NIC_LATENCY_NS_MAX);
        numberSum = counters.counter(KernelCounter.NIC_NUMBER_SUM);
        numberSquares = counters.counter(KernelCounter.NIC_NUMBER_SQUARES);
        pollNs = counters.counter(KernelCounter.NIC_POLL_NS_SUM);
        driver = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("nic-" + kernel.name()).factory());
        interrupts.observe((line, fromDevice) -> {
            if (line == DeviceMemory.NIC_LINE && fromDevice && pending.compareAndSet(false, true)) {
                driver.execute(this::poll);
            }
        });
        LOG.info("kernel {}: NIC driver (shared '{}', private '{}') on line {}, ring of {} slots at offset {}", kernel.name(), shared.name(), own.name(), DeviceMemory.NIC_LINE,
            ring.ringSlots(), ring.offset());
    }

    public String mode() {
        return mode;
    }

    /** Takes every packet the device has published (the driver's bottom half, on its own thread). */
    private void poll() {
        pending.set(false);
        long started = System.nanoTime();
        try {
            polls.increment();
            TypedRegion<NicDriverState> state = ring.driverMode() == DeviceMemory.DRIVER_PRIVATE ? own : shared;
            state.exclusive(0, s -> {
                if (s.ringSlots() == 0) {
                    s.ringSlots(ring.ringSlots());
                    s.irqLine(DeviceMemory.NIC_LINE);
                }
                // the device's doorbell is authoritative when the mode changed (the other state's index went on)
                long n = Math.max(s.next(), ring.consumed());
                long produced = ring.produced();
                long taken = 0;
                long bad = 0;
                long bytes = 0;
                long sum = 0;
                long squares = 0;
                while (n < produced) {
                    DeviceMemory.Packet packet = ring.read(n);
                    long now = System.nanoTime();
                    if (packet == null || !packet.intact()) {
                        bad++;
                    } else {
                        taken++;
                        bytes += packet.payload().length;
                        sum += n;
                        squares += n * n;
                        long latency = Math.max(0, now - packet.arrivalNs());
                        latencySum.add(latency);
                        latencies.recordValue(latency);
                        if (latency > latencyMax.get()) {
                            latencyMax.set(latency);
                        }
                    }
                    n++;
                }
                s.next(n);
                s.packets(s.packets() + taken);
                s.errors(s.errors() + bad);
                s.bytes(s.bytes() + bytes);
                s.numberSum(s.numberSum() + sum);
                s.numberSquares(s.numberSquares() + squares);
                ring.consumedUpTo(n);
                packets.add(taken);
                numberSum.add(sum);
                numberSquares.add(squares);
                errors.add(bad);
                return taken;
            });
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: NIC driver poll failed: {}", kernel.name(), e.toString());
        } finally {
            pollNs.add(System.nanoTime() - started);
        }
    }

    @Override
    public List<BindableService> controlServices() {
        return List.of(new NicDriverGrpc.NicDriverImplBase() {
            @Override
            public void latencies(NicLatenciesRequest request, StreamObserver<NicLatencies> reply) {
                if (driver == null) {
                    reply.onError(Status.FAILED_PRECONDITION.withDescription("kernel " + kernel.name() + " runs no NIC driver (mode " + mode
                        + ")").asRuntimeException());
                    return;
                }
                Histogram interval = latencies.getIntervalHistogram();
                ByteBuffer buffer = ByteBuffer.allocate(interval.getNeededByteBufferCapacity());
                int length = interval.encodeIntoCompressedByteBuffer(buffer);
                reply.onNext(NicLatencies.newBuilder().setKernel(kernel.name()).setCount(interval.getTotalCount())
                    .setHistogram(ByteString.copyFrom(buffer.array(), 0, length)).build());
                reply.onCompleted();
            }
        });
    }

    @Override
    public void close() {
        if (driver != null) {
            driver.shutdownNow();
        }
    }
}
