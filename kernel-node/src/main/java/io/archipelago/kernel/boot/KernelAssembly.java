package io.archipelago.kernel.boot;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelContext;

import io.archipelago.interconnect.mailbox.Mailbox;
import io.archipelago.kernel.devices.NicDriverService;
import io.archipelago.kernel.faults.FaultControlService;
import io.archipelago.kernel.dsm.DsmService;
import io.archipelago.kernel.energy.EnergyService;
import io.archipelago.kernel.mailbox.MailboxService;
import io.archipelago.kernel.memory.MemoryService;
import io.archipelago.kernel.messages.ObjectOwnerService;
import io.archipelago.kernel.messages.OwnedObject;
import io.archipelago.kernel.migration.Migrations;
import io.archipelago.kernel.task.TaskService;
import io.archipelago.kernel.task.control.OwnerRouting;
import io.archipelago.kernel.task.control.TaskControlService;
import io.archipelago.kernel.typed.TypedMemoryService;
import io.archipelago.typed.region.TypedMemory;
import java.util.List;

/**
 * The composition root of a kernel (as Aeron's {@code MediaDriver} builds its agents from one
 * context): every service is built here, in start order, with what it needs as constructor
 * arguments, so that a service cannot be started before one it uses (the code would not
 * compile). Each line starts its service before the next is built; the kernel closes them in
 * reverse order. The plug-ins on the class path ({@link KernelPlugin}: the benchmarks' workloads,
 * on a bench cluster's kernels only) start theirs last.
 */
public final class KernelAssembly {

    private KernelAssembly() {
    }

    /** Builds and starts every service of {@code kernel}, in start order. */
    public static void assemble(Kernel kernel, Kernel.Services services) {
        assemble(kernel, services, KernelPlugin.onClassPath());
    }

    /** Builds and starts every service of {@code kernel}, then those of {@code plugins}, in start order. */
    public static void assemble(Kernel kernel, Kernel.Services services, List<KernelPlugin> plugins) {
        KernelContext context = kernel.context();
        // the interrupt line every later service registers its handlers on
        Mailbox mailbox = services.start(new MailboxService(kernel)).mailbox();
        services.bind(new FaultControlService(kernel.name(), mailbox));
        MemoryService memory = services.start(new MemoryService(kernel, mailbox));
        DsmService dsm = services.start(new DsmService(kernel, mailbox, context.dsmTimeout()));
        // software-coherent regions go through the DSM
        TypedMemory typed = services.start(new TypedMemoryService(kernel, memory.allocator(), dsm)).typed();
        TaskService tasks = services.start(new TaskService(kernel, mailbox, typed));
        Migrations migrations = services.start(new Migrations(tasks, dsm::handOver));
        services.bind(new TaskControlService(tasks, tasks.interrupts(), migrations, new OwnerRouting(tasks, migrations)));
        services.start(new EnergyService(kernel, tasks.scheduler(), tasks.clock(), tasks.interrupts(), dsm::pagesHeld));
        services.start(new NicDriverService(kernel, typed, tasks.interrupts()));
        ObjectOwnerService objects = services.start(new ObjectOwnerService(kernel, typed, mailbox, ownedObjects(kernel, plugins)));
        KernelPlugin.Services shared = new KernelPlugin.Services(kernel, typed, dsm, objects.owners());
        for (KernelPlugin plugin : plugins) {
            plugin.controlServices(shared).forEach(services::bind);
            plugin.services(shared).forEach(services::start);
        }
    }

    /** The one plug-in's object operations, if one brings them. */
    private static OwnedObject.Binder ownedObjects(Kernel kernel, List<KernelPlugin> plugins) {
        List<KernelPlugin> serving = plugins.stream().filter(p -> p.ownedObjects() != OwnedObject.Binder.NONE).toList();
        if (serving.size() > 1) {
            throw new IllegalStateException("kernel " + kernel.name() + ": plug-ins " + serving.stream().map(KernelPlugin::name).toList()
                + " each bring the operations of owned objects; expected one at most");
        }
        return serving.isEmpty() ? OwnedObject.Binder.NONE : serving.getFirst().ownedObjects();
    }
}
