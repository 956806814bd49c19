package io.archipelago.kernel.typed;

import io.archipelago.control.proto.RegionAttachment;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.typed.proto.Attachment;
import io.archipelago.typed.proto.Contract;

/** A region's contract as the control API reports it. */
public final class RegionInfos {

    private RegionInfos() {
    }

    public static RegionInfo of(Contract contract) {
        RegionInfo.Builder info = RegionInfo.newBuilder()
            .setName(contract.getName())
            .setType(contract.getTypeName())
            .setDataModel(contract.getDataModel())
            .setCount(contract.getCount())
            .setBytes(contract.getLocation().getBytes())
            .setElementSize(contract.getElementSize())
            .setGlobalAddress(contract.getLocation().getOffset())
            .setArrayLayout(contract.getArrayLayout().name())
            .setCoherence(contract.getCoherence().name())
            .setKind(contract.getKind().name())
            .setState(contract.getState().name())
            .setCreator(contract.getCreatorName());
        for (Attachment a : contract.getAttachmentsList()) {
            info.addAttached(RegionAttachment.newBuilder().setKernelId(a.getKernelId()).setKernel(a.getKernelName())
                .setDataModel(a.getDataModel()).setView(a.getView()).setAccessor(a.getAccessor()));
        }
        return info.build();
    }
}
