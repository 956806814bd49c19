package io.archipelago.cli;

import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.coordinator.config.ClusterConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "status", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Show the kernels of a running cluster.",
    description = {"Island, data model, coherence domain, pid, state, uptime, heartbeat, page blocks (a dead kernel's: those retained "
        + "for its typed regions), free pages and mailbox endpoint "
        + "of every kernel, and each kernel's counters, read from global memory without asking the kernels."})
final class StatusCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print JSON: {\"cluster\", \"kernels\": [{\"id\", \"island\", \"data_model\", \"domain\", \"pid\", \"state\", \"uptime_ms\", ...}]}.")
    boolean json;

    @Option(names = "--no-counters", description = "Leave the counters out of the table.")
    boolean noCounters;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            ClusterStatus status = client.status();
            java.io.PrintWriter out = spec.commandLine().getOut();
            if (json) {
                StatusView.printJson(status, out);
            } else {
                StatusView.printTable(status, out, !noCounters);
            }
            out.flush();
            return 0;
        }
    }
}
