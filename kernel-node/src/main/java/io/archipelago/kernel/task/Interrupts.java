package io.archipelago.kernel.task;

import io.archipelago.directory.proto.KernelRecord;
import io.archipelago.directory.proto.KernelState;
import io.archipelago.interconnect.mailbox.Interrupt;
import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.kernel.sched.Scheduler;
import io.archipelago.memory.KernelCountersArea;
import io.archipelago.trace.TraceEvent;
import io.archipelago.trace.TraceRing;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A kernel's interrupt lines: IRQ words from devices (the coordinator, a tool) or forwarded by
 * other kernels wake the threads waiting on the line here; a device's interrupt is forwarded to
 * every other kernel with a thread waiting on it. Observers (the energy meter, the NIC driver) are
 * told of every IRQ word on the interrupt context.
 */
public final class Interrupts {

    private static final Logger LOG = LoggerFactory.getLogger(Interrupts.class);

    private final Kernel kernel;
    private final Mailbox mailbox;
    private final Scheduler scheduler;
    private final ExecutorService worker;
    private final ExecutorService io;
    private final KernelCountersArea.Counter irqRaised;
    private final KernelCountersArea.Counter irqWoken;
    private final KernelCountersArea.Counter irqForwarded;
    /** Told of every IRQ word this kernel handles, on the interrupt context (the energy meter charges the handler). */
    private final List<InterruptObserver> interruptObservers = new CopyOnWriteArrayList<>();

    /** Told of an IRQ word on the interrupt context: must not block nor touch shared memory that can fault. */
    @FunctionalInterface
    public interface InterruptObserver {
        /** @param fromDevice sent by a device (the coordinator), not forwarded by another kernel */
        void onInterrupt(int line, boolean fromDevice);
    }

    /**
     * @param worker where a raised line wakes its threads (off the interrupt context)
     * @param io     where IRQ words to other kernels are sent (a send may wait)
     */
    Interrupts(Kernel kernel, Mailbox mailbox, Scheduler scheduler, ExecutorService worker, ExecutorService io) {
        this.kernel = kernel;
        this.mailbox = mailbox;
        this.scheduler = scheduler;
        this.worker = worker;
        this.io = io;
        KernelCountersArea counters = kernel.counters();
        this.irqRaised = counters.counter(KernelCounter.IRQ_RECEIVED);
        this.irqWoken = counters.counter(KernelCounter.IRQ_WOKEN);
        this.irqForwarded = counters.counter(KernelCounter.IRQ_FORWARDED);
    }

    /**
     * Interrupt line {@code irq} was raised here: wakes this kernel's threads waiting on it. A
     * device interrupt (not one forwarded by another kernel) is also forwarded, as an IRQ word, to
     * every other kernel with a thread waiting on the line (each kernel says how many of its
     * threads wait on each device line in its signals, {@link io.archipelago.memory.KernelSignals}).
     *
     * @return {woken here, kernels forwarded to}
     */
    public int[] raise(int irq, boolean fromDevice) {
        irqRaised.increment();
        int woken = scheduler.irq(irq);
        irqWoken.add(woken);
        int forwarded = 0;
        if (fromDevice) {
            for (KernelRecord record : kernel.membership().all()) {
                int other = record.getKernelId();
                if (other == kernel.id() || record.getState() != KernelState.RUNNING || kernel.memory().countersArea(other).signals().irqWaiters(irq) <= 0) {
                    continue;
                }
                io.execute(() -> {
                    try {
                        mailbox.send(other, MailboxType.IRQ, irq);
                    } catch (RuntimeException e) {
                        LOG.warn("kernel {}: cannot forward IRQ {} to kernel {}: {}", kernel.name(), irq, other, e.getMessage());
                    }
                });
                forwarded++;
            }
            irqForwarded.add(forwarded);
        }
        return new int[] {woken, forwarded};
    }

    /** Adds an observer of every IRQ word this kernel handles, called on the interrupt context: it must not block. */
    public void observe(InterruptObserver observer) {
        interruptObservers.add(observer);
    }

    /** An IRQ word: from a device (the coordinator, a tool) or forwarded by another kernel. Never touches shared state here. */
    void onIrq(Interrupt interrupt) {
        int irq = interrupt.payload();
        for (InterruptObserver observer : interruptObservers) {
            observer.onInterrupt(irq, !MemberIds.isKernel(interrupt.sender()));
        }
        boolean fromDevice = !MemberIds.isKernel(interrupt.sender());
        kernel.trace().instant(TraceEvent.IRQ, TraceRing.INTERRUPT_TRACK, irq, fromDevice ? 1 : 0);
        worker.execute(() -> raise(irq, fromDevice));
    }
}
