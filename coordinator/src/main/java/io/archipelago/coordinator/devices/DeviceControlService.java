package io.archipelago.coordinator.devices;

import io.archipelago.devices.proto.DeviceConfig;
import io.archipelago.devices.proto.DeviceControlGrpc;
import io.archipelago.devices.proto.DeviceStatus;
import io.archipelago.devices.proto.DeviceStatusRequest;
import io.archipelago.devices.proto.DmaReply;
import io.archipelago.devices.proto.DmaRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** The coordinator's {@code DeviceControl} API: configure the devices, read their state and the routing counts, run a DMA transfer. */
public final class DeviceControlService extends DeviceControlGrpc.DeviceControlImplBase {

    private final Devices devices;

    public DeviceControlService(Devices devices) {
        this.devices = devices;
    }

    @Override
    public void configure(DeviceConfig request, StreamObserver<DeviceStatus> response) {
        try {
            if (request.hasRouting()) {
                devices.routing(request.getRouting());
            }
            if (request.hasDriver()) {
                devices.driver(request.getDriver());
            }
            if (request.getResetCounts()) {
                devices.resetCounts();
            }
            if (request.hasTimerPeriodUs()) {
                devices.timerPeriod(request.getTimerPeriodUs());
            }
            if (request.hasNicRatePerS()) {
                devices.nicRate(request.getNicRatePerS());
            }
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(devices.status());
        response.onCompleted();
    }

    @Override
    public void status(DeviceStatusRequest request, StreamObserver<DeviceStatus> response) {
        response.onNext(devices.status());
        response.onCompleted();
    }

    @Override
    public void dma(DmaRequest request, StreamObserver<DmaReply> response) {
        long[] done;
        try {
            done = devices.dma(request.getSource(), request.getDestination(), request.getLength(), request.getKernelId());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (IllegalStateException e) {
            response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        response.onNext(DmaReply.newBuilder().setTransfer(done[0]).setDeliveredTo((int) done[1]).build());
        response.onCompleted();
    }
}
