package io.archipelago.cli;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.ClusterDirectory;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * The options of a suite that can measure a running cluster instead of booting its own:
 * {@code --cluster NAME [--home DIR]} (a picocli mixin, so every suite spells them alike).
 */
final class BenchClusterOption {

    @Option(names = "--cluster", paramLabel = "NAME", description = "Measure this running cluster (its first running kernels) instead of "
        + "a temporary one.")
    String cluster;

    @Option(names = "--home", paramLabel = "DIR", description = "Parent of cluster directories, for --cluster (default: $ARCHIPELAGO_HOME, "
        + "else /dev/shm/archipelago).")
    Path home;

    boolean running() {
        return cluster != null;
    }

    ClusterDirectory directory() {
        return ClusterDirectory.under(home != null ? home : ClusterDirectory.defaultRoot(), cluster);
    }

    /** The running cluster named by --cluster, or a temporary cluster of {@code config} this command boots. */
    BenchTarget target(ClusterConfig config, String description, Consumer<String> say) {
        return running() ? BenchTarget.running(directory()) : BenchTarget.temporary(config, description, say);
    }
}
