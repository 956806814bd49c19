package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.ClusterPrograms;
import io.archipelago.task.proto.ProgramInfo;
import io.archipelago.task.proto.ProgramList;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "programs", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "List the programs each kernel of a running cluster can run.",
    description = {"Every kernel runs the built-in programs and those of the jars `up --programs` put in the cluster directory "
        + "(programs/), each jar loaded in a class loader of its own. A program is a class implementing io.archipelago.program.Program "
        + "(module program-api), listed in its jar's META-INF/services/io.archipelago.program.Program; `archipelago run NAME` "
        + "starts it."})
final class ProgramsCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print JSON: {\"kernels\": [{\"kernel\", \"programs\": [{\"name\", \"summary\", \"source\"}]}], "
        + "\"unreachable\": [...]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            ClusterPrograms programs = client.programs();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode root = StatusView.JSON.createObjectNode();
                ArrayNode kernels = root.putArray("kernels");
                for (ProgramList kernel : programs.getKernelsList()) {
                    ArrayNode list = kernels.addObject().put("kernel", kernel.getKernel()).putArray("programs");
                    kernel.getProgramsList().forEach(p -> list.addObject().put("name", p.getName()).put("summary", p.getSummary())
                        .put("source", p.getSource()));
                }
                ArrayNode unreachable = root.putArray("unreachable");
                programs.getUnreachableList().forEach(unreachable::add);
                TaskView.print(root, out);
            } else {
                List<String[]> rows = new ArrayList<>();
                rows.add(new String[] {"KERNEL", "PROGRAM", "FROM", "SUMMARY"});
                for (ProgramList kernel : programs.getKernelsList()) {
                    for (ProgramInfo program : kernel.getProgramsList()) {
                        rows.add(new String[] {kernel.getKernel(), program.getName(), program.getSource(), program.getSummary()});
                    }
                }
                StatusView.printRows(rows, out);
                programs.getUnreachableList().forEach(reason -> out.println("did not answer: " + reason));
            }
            out.flush();
            return programs.getKernelsCount() == 0 ? 1 : 0;
        }
    }
}
