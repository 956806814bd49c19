package io.archipelago.cli;

import io.archipelago.directory.ClusterDirectory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which cluster a command talks to: {@code --cluster} and {@code --home}. */
public final class ClusterOptions {

    public static final String CLUSTER_ENV = "ARCHIPELAGO_CLUSTER";

    @Option(names = "--cluster", paramLabel = "NAME",
        description = "Cluster name (default: $ARCHIPELAGO_CLUSTER, else the configuration's, else k2).")
    String cluster;

    @Option(names = "--home", paramLabel = "DIR",
        description = "Parent of cluster directories (default: $ARCHIPELAGO_HOME, else /dev/shm/archipelago).")
    Path home;

    /** The cluster named on the command line, in the environment, or {@code fallback}. */
    public String clusterOr(String fallback) {
        if (cluster != null) {
            return cluster;
        }
        String fromEnv = System.getenv(CLUSTER_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv : fallback;
    }

    public Path root() {
        return home != null ? home : ClusterDirectory.defaultRoot();
    }

    public ClusterDirectory directory(String fallbackCluster) {
        return ClusterDirectory.under(root(), clusterOr(fallbackCluster));
    }
}
