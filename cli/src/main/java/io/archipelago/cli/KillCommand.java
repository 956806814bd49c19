package io.archipelago.cli;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.KillReply;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code archipelago kill}: ends threads. */
@Command(name = "kill", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "End threads.",
    description = {"Ends each thread TID at its next migration point (the end of its current step), on the kernel that owns it, with "
        + "exit code 143 (as SIGTERM). Its typed data is freed shortly after; `ps --all` shows it EXITED for a few seconds. A thread "
        + "that is migrating is refused: try again once the migration is done."})
final class KillCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Parameters(arity = "1..*", paramLabel = "TID", description = "Threads to end (see `archipelago ps`).")
    List<Integer> tids;

    @Option(names = "--json", description = "Print JSON: {\"killed\": [{\"tid\", \"kernel\", \"steps\"}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            PrintWriter out = spec.commandLine().getOut();
            var root = StatusView.JSON.createObjectNode();
            var killed = root.putArray("killed");
            for (int tid : tids) {
                KillReply reply = client.kill(tid);
                if (json) {
                    killed.addObject().put("tid", reply.getTid()).put("kernel", reply.getKernel()).put("steps", reply.getSteps());
                } else {
                    out.printf("thread %d ended on %s after %d steps%n", reply.getTid(), reply.getKernel(), reply.getSteps());
                }
            }
            if (json) {
                TaskView.print(root, out);
            }
            out.flush();
            return 0;
        }
    }
}
