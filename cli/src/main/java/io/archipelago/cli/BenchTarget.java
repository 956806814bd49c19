package io.archipelago.cli;

import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.coordinator.Coordinator;
import io.archipelago.coordinator.CoordinatorContext;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.auth.ClusterSecret;
import io.archipelago.testing.MiniCluster;
import io.archipelago.workloads.BenchWorkloads;
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

    /** The cluster's directory (its memory, maps and trace rings). */
    ClusterDirectory directory();

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
        MiniCluster cluster = MiniCluster.startIn(root, config, BenchWorkloads.NAME);
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
            public ClusterDirectory directory() {
                return ClusterDirectory.under(root, config.cluster());
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
            public ClusterDirectory directory() {
                return directory;
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

    /**
     * {@code target}, which on close first writes its cluster's timeline to {@code trace} as a
     * Perfetto trace ({@code --trace FILE} of every suite), while the kernels' rings still exist,
     * and draws it as {@code png} unless that is null.
     */
    static BenchTarget saveTraceOnClose(BenchTarget target, Path trace, Path png, java.util.function.Consumer<String> say) {
        return new BenchTarget() {
            @Override
            public ClusterStatus status() {
                return target.status();
            }

            @Override
            public ClusterSecret secret() {
                return target.secret();
            }

            @Override
            public boolean temporary() {
                return target.temporary();
            }

            @Override
            public ClusterDirectory directory() {
                return target.directory();
            }

            @Override
            public ControlClient connectControl() {
                return target.connectControl();
            }

            @Override
            public Coordinator coordinator() {
                return target.coordinator();
            }

            @Override
            public Path scratch() {
                return target.scratch();
            }

            @Override
            public Path java() {
                return target.java();
            }

            @Override
            public String classPath() {
                return target.classPath();
            }

            @Override
            public List<String> jvmOptions() {
                return target.jvmOptions();
            }

            @Override
            public void close() {
                try {
                    saveTimeline(target.directory(), trace, png, say);
                } finally {
                    target.close();
                }
            }
        };
    }

    /** Writes a cluster's timeline to {@code trace} (Perfetto, or JSON by its name) and, unless {@code png} is null, its picture there. */
    static void saveTimeline(ClusterDirectory directory, Path trace, Path png, java.util.function.Consumer<String> say) {
        int kernels = TraceCommand.kernels(TraceCommand.save(directory, trace)).size();
        say.accept("timeline of " + kernels + " kernel(s) written to " + trace + " (open it in the Perfetto UI, ui.perfetto.dev)");
        if (png != null) {
            try {
                java.nio.file.Files.createDirectories(png.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new CliException("cannot create the directory of " + png + ": " + e.getMessage());
            }
            TraceCommand.render(directory, png, trace.getFileName().toString());
            say.accept("timeline drawn in " + png);
        }
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
