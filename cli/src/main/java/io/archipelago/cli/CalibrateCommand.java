package io.archipelago.cli;

import io.archipelago.bench.host.HostCalibration;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code archipelago calibrate}: the host's own floors, which every benchmark's figures are read against. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
    description = {
        "Measures this host's own floors in this process, no cluster needed: two threads ping-ponging one cache line (the fastest "
            + "exchange between two cores here), two threads waking each other by park/unpark (what a sleeping receiver costs), a "
            + "system call (getppid through the foreign function interface), what parkNanos(1 us) really sleeps, the smallest step "
            + "of System.nanoTime, and the load (load average, runnable threads, cores).",
        "Every bench command measures the same (a shorter run) before it starts and puts it in its JSON under \"host\": a figure "
            + "of an emulated platform is only as good as the host's noise is small against it. Run it on a quiet host and again "
            + "with the cores kept busy to see how much these floors move."})
final class CalibrateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object: measured_at, cores, load_average_1m, runnable_threads, "
        + "cache_line_rtt_us, wake_up_rtt_us and park_1us_us (each {count,p50,p90,p99,p999,max,mean}), syscall_ns, "
        + "nano_time_step_ns, took_ms.")
    boolean json;

    @Option(names = "--quick", description = "The short run every benchmark embeds (about a quarter of a second) instead of the "
        + "full one (a few seconds).")
    boolean quick;

    @Override
    public Integer call() {
        HostCalibration host = quick ? HostCalibration.quick() : HostCalibration.full();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(BenchSuite.toJson(host.json()));
        } else {
            com.fasterxml.jackson.databind.node.ObjectNode figures = host.json();
            StatusView.printRows(java.util.List.of(
                BenchSuite.percentileHeader("count"),
                BenchSuite.countRow("cache line round trip (us)", figures.get("cache_line_rtt_us")),
                BenchSuite.countRow("wake-up round trip (us)", figures.get("wake_up_rtt_us")),
                BenchSuite.countRow("parkNanos(1 us) (us)", figures.get("park_1us_us"))), out);
            out.printf(java.util.Locale.ROOT, "system call %.1f ns, System.nanoTime step %d ns; %d cores, load average %.2f, "
                + "%d runnable threads (measured in %d ms)%n", host.syscallNs(), host.nanoTimeStepNs(), host.cores(), host.loadAverage(),
                host.runnableThreads(), host.tookMs());
        }
        out.flush();
        return 0;
    }
}
