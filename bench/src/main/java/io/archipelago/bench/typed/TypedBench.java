package io.archipelago.bench.typed;

import java.io.PrintStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link TypedAccessBenchmark} with JMH (full: one forked JVM per benchmark, so no figure depends on
 * what another made the JIT compile; quick: all in this JVM) and collects the scores: nanoseconds per operation,
 * by benchmark method name.
 */
public final class TypedBench {

    /** How long to measure. */
    public record Plan(int forks, int warmupIterations, TimeValue warmupTime, int iterations, TimeValue iterationTime, int elements) {

        /**
         * For people: two forks per benchmark (a fork's JIT and memory placement move a scan by
         * up to 20% on a 2-core VM; two average that out), in about four minutes.
         */
        public static Plan full(int elements) {
            return new Plan(2, 3, TimeValue.milliseconds(500), 5, TimeValue.milliseconds(500), elements);
        }

        /**
         * For CI: the same benchmarks, short iterations, all in this JVM (forks = 0: one set of
         * regions for all, separate benchmark methods keep their call sites apart); well under a
         * minute on two cores.
         */
        public static Plan quick(int elements) {
            return new Plan(0, 2, TimeValue.milliseconds(200), 3, TimeValue.milliseconds(200), elements);
        }
    }

    /** A score: mean nanoseconds per operation and its 99.9% confidence half-width (NaN when JMH cannot say). */
    public record Score(double ns, double error) {
    }

    /**
     * The scans measured a second way, robust to a machine whose load drifts (2 shared cores):
     * in this JVM, native, morphed, converted and heap scans take turns round after round (the
     * order rotating), so each round compares them under the same load; the ratio is the median
     * of the per-round ratios.
     */
    public record Paired(int rounds, double nativeMs, double morphedMs, double convertedMs, double heapMs, double morphedOverNative,
                         double morphedOverNativeP10, double morphedOverNativeP90) {
    }

    private TypedBench() {
    }

    /** Runs the paired scans (after warming up) on {@code elements} elements; see {@link Paired}. */
    public static Paired paired(int elements, int rounds) {
        String previous = System.getProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
        System.setProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY, Integer.toString(elements));
        try {
            TypedAccessBenchmark b = new TypedAccessBenchmark();
            b.setUp();
            long sink = 0;
            for (int w = 0; w < 20; w++) {
                sink += b.scanNative() + b.scanMorphed() + b.scanConverted() + b.scanHeap();
            }
            long[][] times = new long[4][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int v = 0; v < 4; v++) {
                    int k = (v + r) % 4;
                    long start = System.nanoTime();
                    sink += switch (k) {
                        case 0 -> b.scanNative();
                        case 1 -> b.scanMorphed();
                        case 2 -> b.scanConverted();
                        default -> b.scanHeap();
                    };
                    times[k][r] = System.nanoTime() - start;
                }
            }
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = (double) times[1][r] / times[0][r];
            }
            java.util.Arrays.sort(ratios);
            if (sink == 42) {
                System.err.print(""); // keeps the scans' results alive
            }
            return new Paired(rounds, median(times[0]) / 1e6, median(times[1]) / 1e6, median(times[2]) / 1e6, median(times[3]) / 1e6,
                ratios[rounds / 2], ratios[rounds / 10], ratios[rounds * 9 / 10]);
        } finally {
            TypedAccessBenchmark.release();
            if (previous == null) {
                System.clearProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
            } else {
                System.setProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY, previous);
            }
        }
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /**
     * Runs every benchmark of {@link TypedAccessBenchmark}; JMH's progress goes to {@code progress}.
     *
     * @return scores by benchmark method name ({@code scanNative}, {@code readMorphed}, ...)
     */
    public static Map<String, Score> run(Plan plan, PrintStream progress) throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
            .include(TypedAccessBenchmark.class.getName() + "\\.")
            .forks(plan.forks())
            .warmupIterations(plan.warmupIterations())
            .warmupTime(plan.warmupTime())
            .measurementIterations(plan.iterations())
            .measurementTime(plan.iterationTime())
            .shouldFailOnError(true)
            // the forked JVM inherits this JVM's options (Chronicle's exports/opens, native access); it also needs:
            .jvmArgsAppend("-Xmx2g", "-D" + TypedAccessBenchmark.ELEMENTS_PROPERTY + "=" + plan.elements());
        Runner runner = new Runner(options.build(), OutputFormatFactory.createFormatInstance(progress, VerboseMode.NORMAL));
        Collection<RunResult> results;
        String previous = System.getProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
        System.setProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY, Integer.toString(plan.elements()));
        try {
            results = runner.run();
        } finally {
            TypedAccessBenchmark.release();
            if (previous == null) {
                System.clearProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY);
            } else {
                System.setProperty(TypedAccessBenchmark.ELEMENTS_PROPERTY, previous);
            }
        }
        Map<String, Score> scores = new LinkedHashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            scores.put(method, new Score(result.getPrimaryResult().getScore(), result.getPrimaryResult().getScoreError()));
        }
        return scores;
    }
}
