package io.archipelago.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.control.proto.RegionAttachment;
import io.archipelago.control.proto.RegionInfo;
import io.archipelago.control.proto.RegionList;
import io.archipelago.control.proto.SetAsideRecord;
import io.archipelago.coordinator.config.ClusterConfig;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code archipelago regions}: the regions of typed shared memory of a running cluster. */
@Command(name = "regions", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "List the regions of typed shared memory.",
    description = {"Lists the regions of typed shared memory of a running cluster (its region registry): name, element type, the "
            + "data model it is laid out for, element count, bytes, global address, layout (array of structs or struct of "
            + "arrays), coherence, and which kernels attached it, each with its data model and whether its accessor is "
            + "NATIVE (the region's layout is its own), MORPHED (generated for a foreign layout) or INTERPRETED.",
        "`regions release NAME` removes a region of a dead kernel that no live kernel uses, and frees the blocks kept "
            + "for it."},
    subcommands = RegionsReleaseCommand.class)
final class RegionsCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print JSON: {\"regions\": [{\"name\", \"type\", \"data_model\", \"count\", \"bytes\", "
        + "\"element_size\", \"global_address\", \"array_layout\", \"coherence\", \"kind\", \"state\", \"creator\", \"attached\": "
        + "[{\"kernel\", \"data_model\", \"view\", \"accessor\"}]}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            RegionList regions = client.regions();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                printJson(regions, out);
            } else {
                printTable(regions, out);
            }
            out.flush();
            return 0;
        }
    }

    static void printTable(RegionList regions, PrintWriter out) {
        printSetAside(regions, out);
        if (regions.getRegionsCount() == 0) {
            out.println("no region of typed shared memory yet");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "TYPE", "DATA MODEL", "COUNT", "BYTES", "ADDRESS", "LAYOUT", "COHERENCE", "CREATOR", "ATTACHED"});
        for (RegionInfo r : regions.getRegionsList()) {
            List<String> attached = new ArrayList<>();
            for (RegionAttachment a : r.getAttachedList()) {
                attached.add(a.getKernel() + " (" + a.getDataModel() + ", " + a.getAccessor().toLowerCase(java.util.Locale.ROOT) + ")");
            }
            rows.add(new String[] {r.getName() + (r.getKind().equals("GLOBAL_VARIABLE") ? " (global)" : "")
                + (r.getState().equals("READY") ? "" : " [" + r.getState() + "]"), r.getType(), r.getDataModel(),
                Long.toString(r.getCount()), Long.toString(r.getBytes()), "0x" + Long.toHexString(r.getGlobalAddress()),
                r.getArrayLayout().equals("STRUCT_OF_ARRAYS") ? "soa" : "aos", r.getCoherence().toLowerCase(java.util.Locale.ROOT),
                r.getCreator(), attached.isEmpty() ? "-" : String.join(", ", attached)});
        }
        StatusView.printRows(rows, out);
    }

    /** Records of the registry that do not parse: left out of every read, shown here so that they are not silently lost. */
    private static void printSetAside(RegionList regions, PrintWriter out) {
        for (SetAsideRecord bad : regions.getSetAsideList()) {
            out.println("set aside: registry record '" + bad.getName() + "' does not parse (" + bad.getReason() + ")");
        }
    }

    static void printJson(RegionList regions, PrintWriter out) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        ArrayNode setAside = root.putArray("set_aside");
        regions.getSetAsideList().forEach(bad -> setAside.addObject().put("name", bad.getName()).put("reason", bad.getReason()));
        ArrayNode list = root.putArray("regions");
        for (RegionInfo r : regions.getRegionsList()) {
            ObjectNode region = list.addObject();
            region.put("name", r.getName());
            region.put("type", r.getType());
            region.put("data_model", r.getDataModel());
            region.put("count", r.getCount());
            region.put("bytes", r.getBytes());
            region.put("element_size", r.getElementSize());
            region.put("global_address", r.getGlobalAddress());
            region.put("array_layout", r.getArrayLayout());
            region.put("coherence", r.getCoherence());
            region.put("kind", r.getKind());
            region.put("state", r.getState());
            region.put("creator", r.getCreator());
            ArrayNode attached = region.putArray("attached");
            for (RegionAttachment a : r.getAttachedList()) {
                ObjectNode attachment = attached.addObject();
                attachment.put("kernel_id", a.getKernelId());
                attachment.put("kernel", a.getKernel());
                attachment.put("data_model", a.getDataModel());
                attachment.put("view", a.getView());
                attachment.put("accessor", a.getAccessor());
            }
        }
        try {
            out.println(StatusView.JSON.writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
