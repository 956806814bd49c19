package io.archipelago.kernel;

import io.grpc.BindableService;
import java.util.List;

/**
 * A service of a kernel (page allocator, mailbox, DSM, scheduler...): built by
 * {@code boot.KernelAssembly} with the kernel's shared resources and the services it needs as
 * constructor arguments, started in that order when the kernel boots, after global memory and
 * membership, before the kernel reports RUNNING; closed in reverse order when it stops. A
 * service may expose gRPC services on the kernel's control API.
 */
public interface KernelService extends AutoCloseable {

    /** Short name for logs and errors. */
    String name();

    /** Starts the service (the services it was built with have started); throwing here fails the boot with the message. */
    void start() throws Exception;

    /** gRPC services this kernel service adds to the control API (served with cluster authentication). */
    default List<BindableService> controlServices() {
        return List.of();
    }

    @Override
    void close();
}
