package io.archipelago.workloads;

import io.archipelago.kernel.KernelService;
import io.archipelago.kernel.boot.KernelPlugin;
import io.archipelago.kernel.messages.OwnedObject;
import io.archipelago.workloads.dsm.DsmControlService;
import io.archipelago.workloads.shmvsmsg.BenchObject;
import io.archipelago.workloads.shmvsmsg.ShmVsMsgService;
import io.grpc.BindableService;
import java.util.List;

/**
 * The kernel side of the benchmarks, as a plug-in ({@link KernelPlugin}) that only the clusters of
 * {@code archipelago bench}, {@code archipelago demo} and the tests load: {@code bench dsm}'s
 * workloads on software-coherent regions ({@link DsmControlService}), {@code bench shm-vs-msg}'s
 * workloads ({@link ShmVsMsgService}) and the operations of the objects a kernel owns and serves
 * by messages ({@link BenchObject}). A cluster started with {@code up} launches its kernels
 * without this jar, so it carries none of this code nor these control calls.
 */
public final class BenchWorkloads implements KernelPlugin {

    /** The plug-in's name, as a launcher asks for it (the kernel class path's plug-ins). */
    public static final String NAME = "bench-workloads";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public OwnedObject.Binder ownedObjects() {
        return (region, first, count) -> new BenchObject(region, first, count, BenchObject.Sharing.OWNER, 1);
    }

    @Override
    public List<KernelService> services(Services kernel) {
        return List.of(new ShmVsMsgService(kernel.kernel(), kernel.typed(), kernel.owners()));
    }

    @Override
    public List<BindableService> controlServices(Services kernel) {
        return List.of(new DsmControlService(kernel.kernel(), kernel.dsm(), kernel.typed()));
    }
}
