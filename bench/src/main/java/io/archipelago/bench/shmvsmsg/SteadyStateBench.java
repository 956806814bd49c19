package io.archipelago.bench.shmvsmsg;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link SteadyStateBenchmark} with JMH (one fork per benchmark and size) and prints, per
 * operation and size, shm and dsm in nanoseconds per operation and {@code dsm / shm}, the
 * in-process counterpart of {@code bench shm-vs-msg}'s steady-state ratios.
 * <pre>
 *   java -cp BENCH_CLASS_PATH io.archipelago.bench.shmvsmsg.SteadyStateBench [operation-regex] [-- jvm-arg...]
 *   java -cp BENCH_CLASS_PATH io.archipelago.bench.shmvsmsg.SteadyStateBench paired [rounds]
 * </pre>
 * (with the JVM options of the kernels' {@code jvm.options}: Chronicle Map needs its opens.)
 * {@code operation-regex} picks benchmarks by name (e.g. {@code increment}); JVM arguments after
 * {@code --} go to the forks (e.g. {@code -XX:+UnlockDiagnosticVMOptions -XX:+PrintInlining}).
 */
public final class SteadyStateBench {

    /** One operation at one size: mean ns per operation by shm and by dsm. */
    public record Row(String operation, int bytes, double shmNs, double dsmNs) {
        public double ratio() {
            return dsmNs / shmNs;
        }
    }

    /** What the operations returned, kept so that no call can be dropped. */
    static long sink;
    /** How long each operation runs in its turn of a round. */
    private static final long SLOT_NANOS = 100_000;

    private SteadyStateBench() {
    }

    public static void main(String[] args) throws RunnerException {
        if (args.length > 0 && args[0].equals("paired")) {
            int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
            System.out.printf("%-12s %6s %10s %10s %9s %9s %9s%n", "operation", "bytes", "shm ns", "dsm ns", "dsm/shm", "p10", "p90");
            for (Paired row : paired(rounds)) {
                System.out.printf("%-12s %6d %10.2f %10.2f %9.2f %9.2f %9.2f%n", row.operation(), row.bytes(), row.shmNs(), row.dsmNs(),
                    row.ratio(), row.ratioP10(), row.ratioP90());
            }
            SteadyStateBenchmark.OneKernel.release();
            return;
        }
        String pick = ".*";
        List<String> jvmArgs = new ArrayList<>();
        boolean jvm = false;
        for (String arg : args) {
            if (jvm) {
                jvmArgs.add(arg);
            } else if (arg.equals("--")) {
                jvm = true;
            } else {
                pick = arg;
            }
        }
        int forks = Integer.getInteger("forks", 1);
        ChainedOptionsBuilder options = new OptionsBuilder()
            .include(SteadyStateBenchmark.class.getName() + "\\.(" + pick + ").*")
            .forks(forks)
            .warmupIterations(Integer.getInteger("warmups", 4))
            .warmupTime(TimeValue.milliseconds(Integer.getInteger("warmupMs", 500)))
            .measurementIterations(Integer.getInteger("iterations", 5))
            .measurementTime(TimeValue.milliseconds(Integer.getInteger("iterationMs", 500)))
            .verbosity(jvmArgs.isEmpty() ? VerboseMode.NORMAL : VerboseMode.EXTRA);
        if (!jvmArgs.isEmpty()) {
            options.jvmArgsAppend(jvmArgs.toArray(String[]::new));
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.println();
        System.out.printf("%-12s %6s %10s %10s %9s%n", "operation", "bytes", "shm ns", "dsm ns", "dsm/shm");
        for (Row row : rows(results)) {
            System.out.printf("%-12s %6d %10.2f %10.2f %9.2f%n", row.operation(), row.bytes(), row.shmNs(), row.dsmNs(), row.ratio());
        }
    }

    /**
     * One operation at one size measured the drift-proof way: median ns per operation by shm and
     * by dsm over the rounds, and the median, 10th and 90th percentile of the per-round ratios.
     */
    public record Paired(String operation, int bytes, double shmNs, double dsmNs, double ratio, double ratioP10, double ratioP90) {
    }

    /**
     * The ratios measured robustly on a loaded 2-core host: in this JVM, every operation by shm
     * and by dsm at every size takes turns, round after round (the order rotating), each a timed
     * run of batches through one call site as the workload's sampler calls its operation (so the
     * JIT sees what it sees in a kernel: every operation behind one megamorphic call, and the
     * DSM's code paths used by all of them); a round's ratio compares shm and dsm under the same
     * load. After a warm-up of as many rounds.
     */
    public static List<Paired> paired(int rounds) {
        String[] operations = {"readField", "updateField", "readStruct", "increment"};
        int[] sizes = {64, 4096};
        List<java.util.function.LongSupplier> ops = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int bytes : sizes) {
            SteadyStateBenchmark b = new SteadyStateBenchmark();
            b.bytes = bytes;
            b.setUp();
            ops.add(b::readFieldShmOnce);
            ops.add(b::readFieldDsmOnce);
            ops.add(b::updateFieldShmOnce);
            ops.add(b::updateFieldDsmOnce);
            ops.add(b::readStructShmOnce);
            ops.add(b::readStructDsmOnce);
            ops.add(b::incrementShmOnce);
            ops.add(b::incrementDsmOnce);
            for (String operation : operations) {
                names.add(operation + "@" + bytes);
            }
        }
        int n = ops.size();
        int[] batch = new int[n];
        for (int k = 0; k < n; k++) {
            batch[k] = 1;
        }
        double[][] nanos = new double[n][rounds];
        io.archipelago.typed.access.HeldPages.begin();
        try {
            for (int pass = 0; pass < 2; pass++) { // a warm-up pass, then the measured one
                for (int r = 0; r < rounds; r++) {
                    for (int j = 0; j < n; j++) {
                        int k = (j + r) % n;
                        long start = System.nanoTime();
                        long done = 0;
                        do {
                            sink ^= run(ops.get(k), batch[k]);
                            done += batch[k];
                        } while (System.nanoTime() - start < SLOT_NANOS);
                        long elapsed = System.nanoTime() - start;
                        nanos[k][r] = (double) elapsed / done;
                        if (pass == 0) {
                            batch[k] = batchFor(nanos[k][r]);
                        }
                    }
                }
                for (int k = 0; pass == 0 && k < n; k++) {
                    // the measured pass's batch from the warm-up's median: one slow last round (a pause, a compilation) would
                    // otherwise leave an operation timed one call at a time, a clock read and a quiescent point per call
                    batch[k] = batchFor(percentile(nanos[k], 50));
                }
            }
        } finally {
            io.archipelago.typed.access.HeldPages.end();
        }
        List<Paired> rows = new ArrayList<>();
        for (int p = 0; p < n / 2; p++) {
            double[] shm = nanos[2 * p];
            double[] dsm = nanos[2 * p + 1];
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = dsm[r] / shm[r];
            }
            String name = names.get(p);
            int at = name.indexOf('@');
            rows.add(new Paired(name.substring(0, at), Integer.parseInt(name.substring(at + 1)), percentile(shm, 50), percentile(dsm, 50),
                percentile(ratios, 50), percentile(ratios, 10), percentile(ratios, 90)));
        }
        return rows;
    }

    /** Operations in a batch of about 2 µs for one that takes {@code nanosPerOperation}. */
    private static int batchFor(double nanosPerOperation) {
        return (int) Math.max(1, Math.min(1 << 12, 2_000 / Math.max(0.1, nanosPerOperation)));
    }

    /** {@code count} operations through one call site, then a quiescent point: {@link io.archipelago.workloads.shmvsmsg}'s sampler's batch. */
    private static long run(java.util.function.LongSupplier operation, int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum ^= operation.getAsLong();
        }
        io.archipelago.typed.access.HeldPages.quiesce();
        return sum;
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.round((sorted.length - 1) * p / 100.0))];
    }

    /** Pairs each {@code xShm} with its {@code xDsm} at the same size. */
    static List<Row> rows(Collection<RunResult> results) {
        Map<String, double[]> paired = new TreeMap<>();
        for (RunResult result : results) {
            String method = result.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            boolean shm = method.endsWith("Shm");
            String operation = method.substring(0, method.length() - 3);
            String key = operation + "@" + result.getParams().getParam("bytes");
            double[] pair = paired.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN});
            pair[shm ? 0 : 1] = result.getPrimaryResult().getScore();
        }
        List<Row> rows = new ArrayList<>();
        paired.forEach((key, pair) -> {
            int at = key.indexOf('@');
            rows.add(new Row(key.substring(0, at), Integer.parseInt(key.substring(at + 1)), pair[0], pair[1]));
        });
        return rows;
    }
}
