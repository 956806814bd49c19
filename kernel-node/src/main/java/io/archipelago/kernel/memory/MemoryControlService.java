package io.archipelago.kernel.memory;

import io.archipelago.control.proto.AllocatePagesReply;
import io.archipelago.control.proto.AllocatePagesRequest;
import io.archipelago.control.proto.BlockUse;
import io.archipelago.control.proto.FreePagesReply;
import io.archipelago.control.proto.FreePagesRequest;
import io.archipelago.control.proto.InflateReply;
import io.archipelago.control.proto.InflateRequest;
import io.archipelago.control.proto.KernelMemoryGrpc;
import io.archipelago.control.proto.KernelMemoryInfo;
import io.archipelago.control.proto.MemoryInfoRequest;
import io.archipelago.control.proto.PageAllocation;
import io.archipelago.control.proto.VerifyPagesReply;
import io.archipelago.control.proto.VerifyPagesRequest;
import io.archipelago.typed.alloc.BuddyPageAllocator;
import io.archipelago.typed.alloc.PageRun;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/** The kernel's {@code KernelMemory} control API: movable pages through the kernel's allocator, and what the allocator holds. */
final class MemoryControlService extends KernelMemoryGrpc.KernelMemoryImplBase {

    static final int MAX_COUNT = 100_000;

    private final MemoryService service;

    MemoryControlService(MemoryService service) {
        this.service = service;
    }

    @Override
    public void allocatePages(AllocatePagesRequest request, StreamObserver<AllocatePagesReply> response) {
        long totalPages = service.kernel().memory().geometry().pageCount();
        if (request.getPages() < 1 || request.getPages() > totalPages || request.getCount() < 1 || request.getCount() > MAX_COUNT) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("pages must be 1 to " + totalPages + " (the pages of global memory) and "
                + "count 1 to " + MAX_COUNT + ", found " + request.getPages() + " and " + request.getCount()).asRuntimeException());
            return;
        }
        AllocatePagesReply.Builder reply = AllocatePagesReply.newBuilder();
        for (int i = 0; i < request.getCount(); i++) {
            KernelPageAllocator.Allocated allocated;
            long start = System.nanoTime();
            try {
                allocated = service.kernelAllocator().allocatePages(request.getPages());
            } catch (KernelOutOfMemoryException e) {
                reply.setOutOfMemory(e.getMessage());
                break;
            }
            long latency = System.nanoTime() - start;
            MovablePages.Allocation allocation = service.movable().adopt(allocated.run(), !request.getSkipPattern());
            reply.addAllocations(PageAllocation.newBuilder().setHandle(allocation.handle()).setOffset(allocated.run().offset())
                .setPages(allocated.run().pages()).setLatencyNs(latency).setBalloonStep(allocated.ballooned()));
        }
        service.balloon().refreshProbes(); // the manager may ask this kernel for blocks right after
        response.onNext(reply.build());
        response.onCompleted();
    }

    @Override
    public void freePages(FreePagesRequest request, StreamObserver<FreePagesReply> response) {
        MovablePages movable = service.movable();
        List<Long> handles = request.getAll() ? movable.handles() : request.getHandlesList();
        int freed = 0;
        long pages = 0;
        for (long handle : handles) {
            PageRun run;
            try {
                run = movable.forget(handle);
            } catch (NoSuchElementException e) {
                response.onError(Status.NOT_FOUND.withDescription(e.getMessage() + " in kernel " + service.kernel().name() + " (" + freed
                    + " freed before it)").asRuntimeException());
                return;
            }
            service.buddy().free(run);
            freed++;
            pages += run.pages();
        }
        service.balloon().refreshProbes(); // blocks may be reclaimable now: the manager reads it at once
        response.onNext(FreePagesReply.newBuilder().setFreed(freed).setPages(pages).build());
        response.onCompleted();
    }

    @Override
    public void verifyPages(VerifyPagesRequest request, StreamObserver<VerifyPagesReply> response) {
        MovablePages movable = service.movable();
        List<String> corrupt = movable.verify();
        response.onNext(VerifyPagesReply.newBuilder().setAllocations(movable.allocations()).setPages(movable.pages())
            .addAllCorrupt(corrupt).build());
        response.onCompleted();
    }

    @Override
    public void inflate(InflateRequest request, StreamObserver<InflateReply> response) {
        if (request.getBlocks() < 0) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("blocks must be >= 0, found " + request.getBlocks()).asRuntimeException());
            return;
        }
        response.onNext(InflateReply.newBuilder().addAllReleased(service.balloon().inflate(request.getBlocks())).build());
        response.onCompleted();
    }

    @Override
    public void memoryInfo(MemoryInfoRequest request, StreamObserver<KernelMemoryInfo> response) {
        BuddyPageAllocator buddy = service.buddy();
        MovablePages movable = service.movable();
        KernelMemoryInfo.Builder info = KernelMemoryInfo.newBuilder().setKernelId(service.kernel().id()).setKernel(service.kernel().name());
        List<BlockUse> uses = new ArrayList<>();
        synchronized (movable) {
            synchronized (buddy) {
                for (int block : buddy.blocks()) {
                    info.addBlocks(block);
                    uses.add(BlockUse.newBuilder().setBlock(block).setUsedPages(buddy.usedPages(block))
                        .setMovablePages(movable.movablePages(block)).setIsolated(buddy.isolated(block)).build());
                }
                info.setFreePages(buddy.freePages()).setUsedPages(buddy.usedPages());
                for (int chunks : buddy.freeChunks()) {
                    info.addFreeChunks(chunks);
                }
            }
            info.setMovableAllocations(movable.allocations()).setMovablePages(movable.pages());
        }
        response.onNext(info.addAllBlockUse(uses).build());
        response.onCompleted();
    }
}
