package io.archipelago.cli;

import io.archipelago.control.proto.ReleaseRegionReply;
import io.archipelago.coordinator.config.ClusterConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code archipelago regions release NAME}: removes a dead kernel's region, so the blocks kept for it go back to the pool. */
@Command(name = "release", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Release a region of a dead kernel.",
    description = {"When a kernel dies, the page blocks its registered typed regions live in are retained for it (status shows "
        + "them as 'retained'): other kernels may be using that data in place, so they are handed to no other kernel. This removes "
        + "one such region from the registry; the meta-level manager then returns every retained block no registered region lies "
        + "in any more to the pool. Refused while the region's kernel is alive (restarted, it adopted its regions again) or while a "
        + "live kernel has the region attached (both named)."})
final class RegionsReleaseCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "NAME", description = "The region's global name.")
    String name;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            ReleaseRegionReply reply = client.releaseRegion(name);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("region '%s' released; %d retained block(s) back in the pool%n", reply.getName(), reply.getBlocksReturned());
            out.flush();
            return 0;
        }
    }
}
