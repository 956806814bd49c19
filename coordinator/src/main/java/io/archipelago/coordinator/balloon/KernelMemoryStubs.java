package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.KernelMemoryGrpc.KernelMemoryBlockingStub;

/**
 * How the balloon's cluster-wide views reach each kernel's page allocator: a stub of the control
 * API's memory service of the kernel listening at {@code control} ({@code host:port}). The
 * coordinator's channels provide it; the balloon package needs nothing else of them.
 */
@FunctionalInterface
public interface KernelMemoryStubs {

    KernelMemoryBlockingStub memory(String control);
}
