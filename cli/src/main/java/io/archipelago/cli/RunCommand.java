package io.archipelago.cli;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.RunRequest;
import io.archipelago.task.proto.SpawnReply;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code archipelago run}: starts a process of a program on a running cluster. */
@Command(name = "run", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Start a process: threads of a program, normal and NightWatch.",
    description = {"Starts a process running PROGRAM on a running cluster: --threads normal threads on one kernel (by default the first "
        + "kernel of the fastest island) and --nightwatch NightWatch threads, which K2 pins to weak islands (slower than the fastest) "
        + "and schedules only while every normal thread of their process is suspended. Its threads' descriptors live in the shared "
        + "task table and their state in typed shared memory; `archipelago ps` lists them, `archipelago migrate` moves one.",
        "",
        "Programs (every kernel has them):",
        "  counter        increments its process's shared counter once per step (limit=N, cycles=C)",
        "  mail-sync      K2's light background work: waits for an interrupt (irq=L, or a timer: period-ms=P), touches a few pages "
            + "(pages, touch), sleeps (sleep-ms) (limit=N syncs)",
        "  render         CPU-bound: a 64x64 Mandelbrot tile, one row per step, never blocks (frames=N)",
        "  page-pingpong  DSM stress: the threads take turns writing the process's shared pages (players, pages, rounds)",
        "  memwalk        a state of bytes=N walked one word per step (the migration benchmark's task) (cycles, limit)",
        "",
        "Example: archipelago run mail-sync --threads 1 --nightwatch 2 --arg period-ms=20"})
final class RunCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "PROGRAM", description = "The program to run (see above).")
    String program;

    @Option(names = "--threads", paramLabel = "N", description = "Normal threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Option(names = "--nightwatch", paramLabel = "M", description = "NightWatch threads, on weak islands (default: ${DEFAULT-VALUE}).")
    int nightWatch;

    @Option(names = "--on", paramLabel = "KERNEL", description = "Kernel of the normal threads, by name or by the id `status` prints "
        + "(default: the first kernel of the fastest island).")
    String on;

    @Option(names = "--arg", paramLabel = "KEY=VALUE", description = "A program argument (repeatable), e.g. --arg limit=1000.")
    Map<String, String> args = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print JSON: {\"pid\", \"program\", \"threads\": [{\"tid\", \"kind\", \"kernel\"}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (threads < 0 || nightWatch < 0 || threads + nightWatch < 1) {
            throw new CliException("a process needs at least one thread: --threads and --nightwatch are >= 0, and not both 0; found "
                + threads + " and " + nightWatch);
        }
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            RunRequest.Builder request = RunRequest.newBuilder().setProgram(program).setThreads(threads).setNightwatch(nightWatch)
                .putAllArgs(args);
            if (on != null) {
                request.setOn(on);
            }
            SpawnReply reply = client.run(request.build());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                TaskView.print(TaskView.spawnJson(reply, program), out);
            } else {
                TaskView.printSpawn(reply, program, out);
            }
            out.flush();
            return 0;
        }
    }
}
