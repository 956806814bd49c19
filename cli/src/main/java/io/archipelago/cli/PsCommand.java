package io.archipelago.cli;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.TaskList;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code archipelago ps}: the threads of a running cluster. */
@Command(name = "ps", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "List the processes and threads of a running cluster.",
    description = {"Lists every thread of the cluster, read from the shared task table by a running kernel through its own data "
        + "model's accessor (morphed when the table was laid out for another ABI): pid, tid, program, kind (normal or nightwatch), "
        + "the kernel that owns it, its state (READY, RUNNING, BLOCKED, SUSPENDED, EXITED; \"migrating\" while a migration is under "
        + "way), its steps (migration points passed), its virtual CPU time, its migrations, and its typed data (size, data model)."})
final class PsCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--all", description = "Include exited threads still in the table (they are reclaimed a few seconds after their process ends); "
        + "for a thread whose program threw, the exception's message and stack trace follow the table. A failed thread stays listed "
        + "after its slot is reclaimed, as RECLAIMED, until 16 newer failures push it out (-Darchipelago.tasks.failures-kept on the kernels).")
    boolean all;

    @Option(names = "--json", description = "Print JSON: {\"tasks\": [{\"pid\", \"tid\", \"program\", \"kind\", \"kernel\", \"state\", "
        + "\"steps\", \"cycles\", \"utime_ns\", \"migrations\", \"exit_code\", \"failure\" (a program's exception and "
        + "stack trace), \"data_model\", \"data_bytes\", \"regs\", ...}], \"read_by\", "
        + "\"accessor\"}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            TaskList tasks = client.tasks(all);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                TaskView.print(TaskView.tasksJson(tasks), out);
            } else {
                TaskView.printTasks(tasks, out);
            }
            out.flush();
            return 0;
        }
    }
}
