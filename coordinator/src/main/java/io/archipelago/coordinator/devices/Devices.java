package io.archipelago.coordinator.devices;

import io.archipelago.coordinator.config.DevicesConfig;
import io.archipelago.devices.proto.DeviceStatus;
import io.archipelago.devices.proto.KernelInterrupts;
import io.archipelago.directory.Membership;
import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.memory.DeviceMemory;
import io.archipelago.memory.GlobalMemory;
import io.archipelago.memory.MemoryGeometry;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's emulated devices: a periodic timer (line {@value #TIMER_LINE}), a network
 * interface whose packets arrive at a configurable rate into the receive ring of
 * {@link DeviceMemory} (line {@value #NIC_LINE}), and a DMA engine that copies global memory and
 * signals completion (line {@value #DMA_LINE}). Every interrupt is delivered to exactly one
 * kernel, chosen by {@link IrqRouter} (K2's rule), as an IRQ mailbox word from the coordinator.
 * <p>
 * One device thread raises every interrupt in order (arrivals are written into the ring there,
 * then the word is sent); it never waits for a kernel other than for FIFO credit (bounded by the
 * mailbox's FIFO-full timeout, after which the interrupt counts as undelivered).
 */
public final class Devices implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    public static final int TIMER_LINE = DeviceMemory.TIMER_LINE;
    public static final int NIC_LINE = DeviceMemory.NIC_LINE;
    public static final int DMA_LINE = DeviceMemory.DMA_LINE;

    private final DeviceMemory area;
    private final GlobalMemory memory;
    private final Membership membership;
    private final Mailbox mailbox;
    private final IrqRouter router;
    private final ScheduledExecutorService thread;
    private final Map<Integer, long[]> delivered = new TreeMap<>();
    private final Map<Integer, String> names = new TreeMap<>();
    private ScheduledFuture<?> nic;
    private ScheduledFuture<?> timer;
    private double nicRate;
    private long timerPeriodUs;
    private volatile String routing = IrqRouter.K2;
    /** The coordinator's timeline: every interrupt raised and where it was routed, and why (null: not recorded). */
    private volatile TraceRing timeline;
    private long avoided;
    private long undelivered;
    private long dmaTransfers;

    private Devices(DeviceMemory area, GlobalMemory memory, Membership membership, Mailbox mailbox, double strongSpeed) {
        this.area = area;
        this.memory = memory;
        this.membership = membership;
        this.mailbox = mailbox;
        this.router = new IrqRouter(membership, memory, strongSpeed);
        this.thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("devices").factory());
    }

    /**
     * Creates the device area in a new global memory and the (stopped) devices.
     *
     * @param strongSpeed the speed of the cluster's fastest configured island: its kernels are the strong domain
     */
    public static Devices create(GlobalMemory memory, Membership membership, Mailbox mailbox, double strongSpeed) {
        return new Devices(DeviceMemory.create(memory), memory, membership, mailbox, strongSpeed);
    }

    /** Sets what the configuration says the devices boot with. */
    public void configure(DevicesConfig config) {
        routing(config.routing());
        driver(config.driver());
        timerPeriod(config.timerPeriodUs());
        nicRate(config.nicRatePerS());
    }

    /** Sets the NIC's arrival rate (packets per second, 0 stops it). */
    public synchronized void nicRate(double perSecond) {
        DevicesConfig.checkNicRate(perSecond);
        if (nic != null) {
            nic.cancel(false);
            nic = null;
        }
        nicRate = perSecond;
        if (perSecond > 0) {
            long periodNs = Math.round(1e9 / perSecond);
            nic = thread.scheduleAtFixedRate(this::packetArrives, periodNs, periodNs, TimeUnit.NANOSECONDS);
        }
    }

    /** Sets the timer's period (microseconds, 0 stops it). */
    public synchronized void timerPeriod(long periodUs) {
        DevicesConfig.checkTimerPeriod(periodUs);
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        timerPeriodUs = periodUs;
        if (periodUs > 0) {
            timer = thread.scheduleAtFixedRate(this::tick, periodUs, periodUs, TimeUnit.MICROSECONDS);
        }
    }

    /** Records every interrupt raised and its routing decision on the coordinator's interrupt track of {@code ring}. */
    public void timeline(TraceRing ring) {
        this.timeline = ring;
    }

    public void routing(String policy) {
        routing = DevicesConfig.checkRouting(policy);
    }

    /** The NIC driver's state: "shared" (the shadowed driver) or "private" (each kernel's own). */
    public void driver(String mode) {
        area.driverMode(DevicesConfig.checkDriver(mode).equals("private") ? DeviceMemory.DRIVER_PRIVATE : DeviceMemory.DRIVER_SHARED);
    }

    public synchronized void resetCounts() {
        delivered.clear();
        avoided = 0;
        undelivered = 0;
    }

    public DeviceMemory area() {
        return area;
    }

    /**
     * The DMA engine: copies {@code length} bytes from {@code source} to {@code destination} (offsets
     * in global memory, each range inside one data block; the destination's block owned by
     * {@code kernelId}), on the device thread, then raises the DMA line.
     *
     * @return the transfer's number and the kernel its completion interrupt went to (-1: none)
     */
    public long[] dma(long source, long destination, long length, int kernelId) {
        MemoryGeometry g = memory.geometry();
        if (length <= 0 || length > g.blockSize()) {
            throw new IllegalArgumentException("DMA length: expected 1 to " + g.blockSize() + " bytes, found " + length);
        }
        checkRange("source", source, length, g);
        checkRange("destination", destination, length, g);
        int owner = memory.ownership().owner((int) (destination / g.blockSize()));
        if (owner != kernelId) {
            throw new IllegalArgumentException("DMA destination " + destination + " is in block " + destination / g.blockSize()
                + ", owned by " + io.archipelago.memory.BlockOwnershipTable.describeOwner(owner) + ", not by kernel " + kernelId);
        }
        try {
            return thread.submit(() -> {
                MemorySegment all = memory.segment();
                MemorySegment.copy(all, source, all, destination, length);
                area.dmaDone(length);
                long transfer;
                synchronized (this) {
                    transfer = ++dmaTransfers;
                }
                return new long[] {transfer, raise(DMA_LINE)};
            }).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("DMA failed: " + e.getCause(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("DMA: the device thread did not run the transfer within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static void checkRange(String what, long offset, long length, MemoryGeometry g) {
        long firstData = (long) g.systemBlocks() * g.blockSize();
        long end = g.blockOffset(g.blockCount());
        if (offset < firstData || offset + length > end || offset / g.blockSize() != (offset + length - 1) / g.blockSize()) {
            throw new IllegalArgumentException("DMA " + what + " [" + offset + ", " + (offset + length) + "): expected a range inside one "
                + "data block (from " + firstData + " to " + end + ")");
        }
    }

    private void packetArrives() {
        try {
            long now = System.nanoTime();
            ByteBuffer payload = ByteBuffer.allocate(24).putLong(area.produced()).putLong(now).putLong(now ^ 0x5DEECE66DL);
            if (area.receive(payload.array(), now) >= 0) {
                raise(NIC_LINE);
            }
        } catch (RuntimeException e) {
            LOG.warn("NIC: arrival failed: {}", e.toString());
        }
    }

    private void tick() {
        try {
            area.timerTick();
            raise(TIMER_LINE);
        } catch (RuntimeException e) {
            LOG.warn("timer: tick failed: {}", e.toString());
        }
    }

    /** Routes one interrupt and sends its IRQ word; returns the kernel it went to, or -1. Device thread only. */
    private int raise(int line) {
        TraceRing trace = timeline;
        if (trace != null) {
            trace.instant(TraceEvent.IRQ_RAISED, TraceRing.INTERRUPT_TRACK, line, 0);
        }
        IrqRouter.Decision decision = router.decide(line, routing);
        if (trace != null) {
            trace.instant(TraceEvent.IRQ_ROUTED, TraceRing.INTERRUPT_TRACK, line, decision.decision().packed());
        }
        Optional<IrqRouter.Route> route = decision.route();
        if (route.isEmpty()) {
            synchronized (this) {
                undelivered++;
            }
            return -1;
        }
        IrqRouter.Route r = route.get();
        try {
            mailbox.send(r.kernelId(), MailboxType.IRQ, line);
        } catch (RuntimeException e) {
            LOG.debug("IRQ {} to {} not delivered: {}", line, r.name(), e.getMessage());
            synchronized (this) {
                undelivered++;
            }
            return -1;
        }
        synchronized (this) {
            delivered.computeIfAbsent(r.kernelId(), k -> new long[3])[line]++;
            names.put(r.kernelId(), r.name());
            if (r.avoidedStrongWakeup()) {
                avoided++;
            }
        }
        return r.kernelId();
    }

    public synchronized DeviceStatus status() {
        DeviceStatus.Builder b = DeviceStatus.newBuilder().setNicRatePerS(nicRate).setTimerPeriodUs(timerPeriodUs).setRouting(routing)
            .setTimerLine(TIMER_LINE).setNicLine(NIC_LINE).setDmaLine(DMA_LINE).setPackets(area.produced()).setDropped(area.dropped())
            .setConsumed(area.consumed()).setRingSlots(area.ringSlots()).setDeviceAreaOffset(area.offset()).setTimerTicks(area.timerTicks())
            .setDmaTransfers(area.dmaTransfers()).setDmaBytes(area.dmaBytes()).setStrongWakeupsAvoided(avoided).setUndelivered(undelivered)
            .setDriver(area.driverMode() == DeviceMemory.DRIVER_PRIVATE ? "private" : "shared");
        Map<Integer, String> all = new TreeMap<>(names);
        for (KernelRecord r : membership.all()) {
            all.putIfAbsent(r.getKernelId(), r.getName());
        }
        for (Map.Entry<Integer, String> e : all.entrySet()) {
            long[] counts = delivered.getOrDefault(e.getKey(), new long[3]);
            b.addKernels(KernelInterrupts.newBuilder().setKernelId(e.getKey()).setName(e.getValue()).setStrong(router.isStrong(e.getKey()))
                .setTimer(counts[TIMER_LINE]).setNic(counts[NIC_LINE]).setDma(counts[DMA_LINE]).setAsleep(router.asleep(e.getKey())));
        }
        return b.build();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
