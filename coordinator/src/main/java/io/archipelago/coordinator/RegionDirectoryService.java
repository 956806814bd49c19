package io.archipelago.coordinator;

import io.archipelago.control.proto.ListRegionsRequest;
import io.archipelago.control.proto.RegionDirectoryGrpc;
import io.archipelago.control.proto.RegionList;
import io.archipelago.control.proto.SetAsideRecord;
import io.archipelago.kernel.typed.RegionInfos;
import io.archipelago.typed.registry.RegionRegistry;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** Serves the cluster's region registry to the CLI ({@code archipelago regions}). */
final class RegionDirectoryService extends RegionDirectoryGrpc.RegionDirectoryImplBase {

    private final RegionRegistry regions;

    RegionDirectoryService(RegionRegistry regions) {
        this.regions = regions;
    }

    @Override
    public void listRegions(ListRegionsRequest request, StreamObserver<RegionList> response) {
        RegionList.Builder list = RegionList.newBuilder();
        try {
            regions.all().forEach(contract -> list.addRegions(RegionInfos.of(contract)));
            regions.setAside().forEach(bad -> list.addSetAside(SetAsideRecord.newBuilder().setName(bad.name()).setReason(bad.reason())));
        } catch (RuntimeException e) {
            response.onError(Status.INTERNAL.withDescription("cannot read the region registry: " + e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(list.build());
        response.onCompleted();
    }
}
