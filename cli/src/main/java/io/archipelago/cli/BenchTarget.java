package io.archipelago.cli;

import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.testing.MiniCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The cluster measured: a temporary one this command boots, or a running one. */
interface BenchTarget extends AutoCloseable {

    ClusterStatus status();

    ClusterSecret secret();

    boolean temporary();

    /** A control client of the cluster's coordinator (devices, meta-level manager...); the caller closes it. */
    default ControlClient connectControl() {
        ClusterStatus status = status();
        return ControlClient.connect(ClusterDirectory.under(Path.of(status.getDirectory()).getParent(), status.getCluster()));
    }

    /** The coordinator of a temporary cluster, for suites that drive its memory or manager directly. */
    default Coordinator coordinator() {
        throw new CliException("this suite needs a cluster it boots itself; it cannot measure a running cluster");
    }

    /** A private directory for the baseline's socket. */
    Path scratch();

    default Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    default String classPath() {
        return System.getProperty("java.class.path");
    }

    /** The baseline processes run with the kernels' JVM options, so both sides are alike. */
    default List<String> jvmOptions() {
        List<String> options = new ArrayList<>(CoordinatorContext.defaultJvmOptions());
        options.addAll(ClusterConfig.k2Default().kernelJvmOptions());
        return options;
    }

    @Override
    void close();

    /** Boots a temporary cluster of {@code config} in a private directory; closing it stops it and removes the directory. */
    static BenchTarget temporary(ClusterConfig config, String description, java.util.function.Consumer<String> say) {
        Path root = scratchRoot();
        say.accept("booting a temporary cluster (" + config.totalKernels() + " kernel processes" + (description.isEmpty() ? "" : ", "
            + description) + ") in " + root);
        MiniCluster cluster = MiniCluster.startIn(root, config);
        return new BenchTarget() {
            @Override
            public ClusterStatus status() {
                return cluster.coordinator().status();
            }

            @Override
            public Coordinator coordinator() {
                return cluster.coordinator();
            }

            @Override
            public ClusterSecret secret() {
                return cluster.coordinator().secret();
            }

            @Override
            public boolean temporary() {
                return true;
            }

            @Override
            public Path scratch() {
                return root;
            }

            @Override
            public void close() {
                cluster.close();
            }
        };
    }

    static BenchTarget running(ClusterDirectory directory) {
        ControlClient client = ControlClient.connect(directory);
        ClusterSecret secret;
        try {
            secret = ClusterSecret.readFrom(directory.secretFile());
        } catch (RuntimeException e) {
            client.close();
            throw new CliException("cannot read the secret of cluster '" + directory.clusterName() + "': " + e.getMessage());
        }
        Path scratch = scratchRoot();
        return new BenchTarget() {
            @Override
            public ClusterStatus status() {
                return client.status();
            }

            @Override
            public ClusterSecret secret() {
                return secret;
            }

            @Override
            public boolean temporary() {
                return false;
            }

            @Override
            public Path scratch() {
                return scratch;
            }

            @Override
            public void close() {
                client.close();
                MiniCluster.deleteRecursively(scratch);
            }
        };
    }

    private static Path scratchRoot() {
        try {
            Path shm = Path.of("/dev/shm");
            Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
            return Files.createTempDirectory(parent, "archipelago-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the benchmark: " + e.getMessage(), e);
        }
    }
}
