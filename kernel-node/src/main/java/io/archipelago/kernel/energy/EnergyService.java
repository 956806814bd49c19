package io.archipelago.kernel.energy;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.TimelineCounters;
import io.archipelago.kernel.sched.CoreInterval;
import io.archipelago.kernel.sched.CoreSpeed;
import io.archipelago.kernel.sched.CoreState;
import io.archipelago.kernel.sched.CoreTimeline;
import io.archipelago.kernel.sched.Scheduler;
import io.archipelago.kernel.sched.VirtualClock;
import io.archipelago.kernel.task.Interrupts;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.memory.KernelSignals;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's energy meter: integrates its island's {@link PowerModel} over the scheduler's core
 * states ({@link EnergyMeter} on the {@code CoreTimeline}) and over the interrupts it handles, and
 * publishes, every {@value #PUBLISH_MS} ms while the kernel is awake, in its counters area:
 * <ul>
 *   <li>{@code energy.uj} (total) and its parts {@code energy.busy_uj}, {@code .idle_uj},
 *       {@code .sleep_uj}, {@code .wakeup_uj}, {@code .irq_uj}; {@code energy.wakeups} (core
 *       deep-sleep exits), {@code energy.irq_wakeups} (interrupts that found the kernel asleep);</li>
 * </ul>
 * on the kernel's timeline, the counter tracks of its energy, DSM pages held and free pages
 * ({@link TimelineCounters}), and in its signals ({@link KernelSignals#asleep(boolean)}, not a counter: others act on it)
 * whether the kernel sleeps (no core ran a step and no interrupt was handled for longer than the
 * model's sleep threshold, in virtual time). This is what the coordinator's interrupt router reads
 * (K2's rule: do not wake a sleeping strong domain), without asking the kernel.
 */
public final class EnergyService implements KernelService {

    private static final Logger LOG = LoggerFactory.getLogger(EnergyService.class);
    static final int PUBLISH_MS = 2;
    /**
     * While the kernel sleeps nothing it publishes changes but the sleep energy, so the publisher
     * backs off, doubling its period up to this; a core that runs or an interrupt wakes it at once.
     * An idle cluster of many kernels would otherwise spend most of its CPU here (500 wake-ups a
     * second per kernel; at a 200 ms cap still a sixth of a sixteen-kernel cluster's idle CPU).
     * What a sleeping kernel's counters miss meanwhile is its sleep energy (microwatts) for up to
     * this long; the asleep signal is not delayed (a core that runs or an interrupt wakes the publisher).
     */
    static final int ASLEEP_PUBLISH_MAX_MS = 1000;

    private final Kernel kernel;
    private final Scheduler scheduler;
    private final VirtualClock clock;
    private final Interrupts interrupts;
    private final LongSupplier pagesHeld;
    private CoreTimeline timeline;
    private EnergyMeter meter;
    private PowerModel model;
    private Thread publisher;
    private volatile boolean closed;
    private volatile boolean publishedAsleep;
    private volatile long lastIrqNs = Long.MIN_VALUE / 2;
    private KernelCountersArea.Counter total;
    private KernelCountersArea.Counter busy;
    private KernelCountersArea.Counter idle;
    private KernelCountersArea.Counter sleep;
    private KernelCountersArea.Counter wakeup;
    private KernelCountersArea.Counter irq;
    private KernelCountersArea.Counter wakeups;
    private KernelCountersArea.Counter irqWakeups;
    private KernelSignals signals;
    private TimelineCounters timelineCounters;

    /**
     * @param scheduler  whose core timeline the meter charges
     * @param clock      the scheduler's virtual clock
     * @param interrupts whose IRQ words the meter charges to the handler (and which wake a sleeping kernel)
     * @param pagesHeld  how many DSM pages the kernel holds now (the DSM's count), put on the timeline with the energy
     */
    public EnergyService(Kernel kernel, Scheduler scheduler, VirtualClock clock, Interrupts interrupts, LongSupplier pagesHeld) {
        this.kernel = kernel;
        this.pagesHeld = pagesHeld;
        this.scheduler = scheduler;
        this.clock = clock;
        this.interrupts = interrupts;
    }

    @Override
    public String name() {
        return "energy";
    }

    @Override
    public void start() {
        this.timeline = scheduler.timeline();
        this.model = PowerModel.parse(kernel.context().powerModel());
        long irqNs = new CoreSpeed(kernel.context().speed(), kernel.context().baseHz()).nanos(model.irqCycles());
        this.meter = new EnergyMeter(model, timeline.cores(), startOfTimeline(), irqNs);
        KernelCountersArea counters = kernel.counters();
        this.total = counters.counter(KernelCounter.ENERGY_UJ);
        this.busy = counters.counter(KernelCounter.ENERGY_BUSY_UJ);
        this.idle = counters.counter(KernelCounter.ENERGY_IDLE_UJ);
        this.sleep = counters.counter(KernelCounter.ENERGY_SLEEP_UJ);
        this.wakeup = counters.counter(KernelCounter.ENERGY_WAKEUP_UJ);
        this.irq = counters.counter(KernelCounter.ENERGY_IRQ_UJ);
        this.wakeups = counters.counter(KernelCounter.ENERGY_WAKEUPS);
        this.irqWakeups = counters.counter(KernelCounter.ENERGY_IRQ_WAKEUPS);
        this.signals = counters.signals();
        this.timelineCounters = new TimelineCounters(kernel.trace(), counters, pagesHeld);
        timeline.addListener(meter);
        timeline.addListener(interval -> wakePublisher());
        interrupts.observe((line, fromDevice) -> onInterrupt());
        publisher = Thread.ofPlatform().daemon().name("energy-" + kernel.name()).start(this::publishLoop);
        LOG.info("kernel {}: energy meter up: {}", kernel.name(), model);
    }

    /** Where the timeline began: the open interval of core 0 at start (or now). */
    private long startOfTimeline() {
        CoreInterval open = timeline.openInterval(0);
        long recorded = timeline.totals(0).recordedUntilNs();
        return open != null ? open.startNs() : recorded;
    }

    public PowerModel model() {
        return model;
    }

    public EnergyMeter meter() {
        return meter;
    }

    /** Energy up to now (the open intervals and the idle time since included). */
    public EnergyMeter.Energy read() {
        long now = clock.now();
        CoreInterval[] open = new CoreInterval[timeline.cores()];
        for (int i = 0; i < open.length; i++) {
            open[i] = timeline.openInterval(i);
        }
        return meter.read(open, now);
    }

    /**
     * Whether the kernel sleeps now: no core runs a step, none ran one and no interrupt was
     * handled within the model's sleep threshold (virtual time).
     */
    public boolean asleep() {
        if (scheduler.active()) {
            return false;
        }
        long now = clock.now();
        long threshold = model.sleepAfterNs();
        if (now - lastIrqNs <= threshold) {
            return false;
        }
        for (int i = 0; i < timeline.cores(); i++) {
            CoreInterval open = timeline.openInterval(i);
            // the open interval is BUSY (busy until its end) or IDLE (since its start: BUSY before it, or the kernel's boot)
            long lastBusyEnd = open == null ? timeline.totals(i).recordedUntilNs()
                : open.state() == CoreState.BUSY ? open.endNs() : open.startNs();
            if (now - lastBusyEnd <= threshold) {
                return false;
            }
        }
        return true;
    }

    /** On the interrupt context: charge the handler (and a wake-up if it found the kernel asleep). */
    private void onInterrupt() {
        boolean wasAsleep = asleep();
        long now = clock.now();
        meter.interrupt(wasAsleep, now);
        lastIrqNs = now;
        signals.asleep(false);
        wakePublisher();
    }

    /** Called by the cores and the interrupt context: cheap unless the publisher is backing off. */
    private void wakePublisher() {
        if (publishedAsleep) {
            publishedAsleep = false;
            LockSupport.unpark(publisher);
        }
    }

    private void publishLoop() {
        long periodMs = PUBLISH_MS;
        while (!closed) {
            publishedAsleep = true; // armed before looking: activity while publishing leaves an unpark permit
            boolean sleeping = publish();
            if (!sleeping) {
                publishedAsleep = false;
            }
            periodMs = sleeping ? Math.min(periodMs * 2, ASLEEP_PUBLISH_MAX_MS) : PUBLISH_MS;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(periodMs));
        }
    }

    /** Publishes the counters; whether the kernel sleeps. */
    private boolean publish() {
        try {
            EnergyMeter.Energy e = read();
            busy.set(e.busyPj() / 1_000_000);
            idle.set(e.idlePj() / 1_000_000);
            sleep.set(e.sleepPj() / 1_000_000);
            wakeup.set(e.wakeupPj() / 1_000_000);
            irq.set(e.irqPj() / 1_000_000);
            total.set(e.totalPj() / 1_000_000);
            wakeups.set(e.wakeups());
            irqWakeups.set(e.irqWakeups());
            timelineCounters.sample(); // this tick puts the kernel's gauges (energy, pages held, free pages) on its timeline
            boolean sleeping = asleep();
            signals.asleep(sleeping);
            return sleeping;
        } catch (RuntimeException e) {
            LOG.warn("kernel {}: energy meter could not publish: {}", kernel.name(), e.toString());
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (publisher != null) {
            LockSupport.unpark(publisher);
        }
    }
}
