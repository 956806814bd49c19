package io.archipelago.kernel.boot;

import io.archipelago.kernel.Kernel;
import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.dsm.DsmService;
import io.archipelago.kernel.messages.OwnedObject;
import io.archipelago.kernel.messages.OwnerChannels;
import io.archipelago.typed.region.TypedMemory;
import io.grpc.BindableService;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Services a kernel runs only when their jar is on its class path, found with a
 * {@link ServiceLoader} (a {@code META-INF/services} entry): the benchmarks' kernel-side workloads
 * are one, which only the benchmarks' clusters load, so that a cluster started with {@code up}
 * carries none of their code or control calls. {@link KernelAssembly} starts a plug-in's services
 * last, after every service of the kernel, before it reports RUNNING.
 */
public interface KernelPlugin {

    /** Short name for logs and errors. */
    String name();

    /** The objects this kernel owns and serves by messages, if the plug-in brings their operations. */
    default OwnedObject.Binder ownedObjects() {
        return OwnedObject.Binder.NONE;
    }

    /** The plug-in's services, in start order, built on the kernel's. */
    List<KernelService> services(Services kernel);

    /** Control calls the plug-in serves with no service of its own to start or close. */
    default List<BindableService> controlServices(Services kernel) {
        return List.of();
    }

    /** What a plug-in's services are built with: the kernel's shared resources and its public services. */
    record Services(Kernel kernel, TypedMemory typed, DsmService dsm, OwnerChannels owners) {
    }

    /** The plug-ins on this process's class path, in class path order. */
    static List<KernelPlugin> onClassPath() {
        return ServiceLoader.load(KernelPlugin.class, KernelPlugin.class.getClassLoader()).stream().map(ServiceLoader.Provider::get).toList();
    }
}
