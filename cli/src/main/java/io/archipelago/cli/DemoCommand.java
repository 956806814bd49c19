package io.archipelago.cli;

import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.workloads.BenchWorkloads;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.trace.TraceRing;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Boot K2's platform locally, show what it can do, shut it down.",
    description = {"Boots a cluster named 'demo': a strong x86_64 kernel in coherence domain a and a weak armv7 kernel in "
        + "domain b, each its own JVM process over one mmap'd global memory; runs every demo scene; shuts it down. "
        + "Needs no Docker."})
final class DemoCommand implements Callable<Integer> {

    static final String DEMO_CLUSTER = "demo";

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--trace", paramLabel = "FILE", description = "Also write the whole demo's timeline (every kernel's steps, DSM "
        + "faults, migrations, interrupts) as a Perfetto trace to FILE, for the Perfetto UI (ui.perfetto.dev); as Chrome's trace-event JSON when "
        + "FILE ends in .json.")
    Path trace;

    @Spec
    CommandSpec spec;

    /** The scenes, in order; each capability adds its own. */
    static List<DemoAct> acts() {
        return List.of(new StatusAct(), new MailboxAct(), new TypedMemoryAct(), new DsmAct(), new TasksAct(), new BalloonAct(), new EnergyAct());
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ClusterConfig config = ClusterConfig.k2Default().withCluster(cluster.clusterOr(DEMO_CLUSTER));
        out.printf("Archipelago demo: booting cluster '%s' (%d kernels: %s)...%n", config.cluster(), config.totalKernels(),
            String.join(", ", config.kernels().stream().map(k -> k.name() + " on " + k.island().dataModel()).toList()));
        out.flush();
        long start = System.nanoTime();
        try (Coordinator coordinator = Coordinator.start(new CoordinatorContext().config(config).root(cluster.root())
            .kernelPlugins(BenchWorkloads.NAME))) {
            out.printf(Locale.ROOT, "booted in %.1f s%n", (System.nanoTime() - start) / 1e9);
            int scene = 1;
            for (DemoAct act : acts()) {
                out.printf("%n== %d. %s%n", scene++, act.title());
                out.flush();
                act.run(coordinator, out);
                out.flush();
            }
            if (trace != null) {
                List<TraceRing.Snapshot> kernels = TraceCommand.save(ClusterDirectory.under(cluster.root(), config.cluster()), trace);
                out.printf(Locale.ROOT, "%ntimeline: %s (%d events of %d kernels; open it in the Perfetto UI, ui.perfetto.dev)%n", trace,
                    kernels.stream().mapToLong(k -> k.records().size()).sum(), TraceCommand.kernels(kernels).size());
            }
            out.printf("%nshutting the cluster down...%n");
            out.flush();
            List<String> stopped = coordinator.shutdown(Duration.ofSeconds(5));
            out.printf("stopped %s; demo done%n", String.join(", ", stopped));
            out.flush();
        }
        return 0;
    }

    /** The cluster as `archipelago status` shows it. */
    static final class StatusAct implements DemoAct {
        @Override
        public String title() {
            return "the cluster: one JVM process per kernel, one global memory (archipelago status)";
        }

        @Override
        public void run(Coordinator cluster, PrintWriter out) {
            StatusView.printTable(cluster.status(), out, true);
        }
    }
}
