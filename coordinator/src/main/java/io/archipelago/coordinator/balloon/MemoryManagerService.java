package io.archipelago.coordinator.balloon;

import io.archipelago.control.proto.ManagerStatusRequest;
import io.archipelago.control.proto.MemoryManagerGrpc;
import io.archipelago.control.proto.MemoryManagerStatus;
import io.archipelago.control.proto.ReleaseRegionReply;
import io.archipelago.control.proto.ReleaseRegionRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.NoSuchElementException;

/** The coordinator's {@code MemoryManager} control API: the meta-level manager's figures, and releasing a dead kernel's region. */
public final class MemoryManagerService extends MemoryManagerGrpc.MemoryManagerImplBase {

    private final MetaLevelManager manager;

    public MemoryManagerService(MetaLevelManager manager) {
        this.manager = manager;
    }

    @Override
    public void status(ManagerStatusRequest request, StreamObserver<MemoryManagerStatus> response) {
        response.onNext(manager.status());
        response.onCompleted();
    }

    @Override
    public void releaseRegion(ReleaseRegionRequest request, StreamObserver<ReleaseRegionReply> response) {
        int returned;
        try {
            returned = manager.releaseRegion(request.getName());
        } catch (NoSuchElementException e) {
            response.onError(Status.NOT_FOUND.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RegionStillInUseException e) {
            response.onError(Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(ReleaseRegionReply.newBuilder().setName(request.getName()).setBlocksReturned(returned).build());
        response.onCompleted();
    }
}
