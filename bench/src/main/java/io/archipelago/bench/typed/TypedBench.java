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
 * Runs {@link TypedAccessBenchmark} with JMH, one forked JVM per benchmark (so no figure depends on
 * what another made the JIT compile; two forks in the full plan, one in the quick one) and collects
 * the scores: nanoseconds per operation, by benchmark method name.
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
         * For CI: the same benchmarks, one fork each (in a JVM where other benchmarks ran first, a
         * benchmark would run on code the JIT compiled under their profile and on their memory
         * placement), with short iterations; most of the time goes to starting the forks and
         * filling their regions.
         */
        public static Plan quick(int elements) {
            return new Plan(1, 2, TimeValue.milliseconds(200), 3, TimeValue.milliseconds(200), elements);
        }
    }

    /** A score: mean nanoseconds per operation and its 99.9% confidence half-width (NaN when JMH cannot say). */
    public record Score(double ns, double error) {
    }

    /**
     * The scans measured a second way, robust to a machine whose load drifts (2 shared cores):
     * in this JVM, native, native of the same size, morphed, converted and heap scans take turns
     * round after round (the order rotating), so each round compares them under the same load;
     * the ratios are the medians of the per-round ratios (with their 10th and 90th percentiles).
     */
    public record Paired(int rounds, double nativeMs, double nativeSameSizeMs, double morphedMs, double convertedMs, double heapMs,
                         double morphedOverNative, double morphedOverNativeP10, double morphedOverNativeP90,
                         double morphedOverNativeSameSize, double morphedOverNativeSameSizeP10, double morphedOverNativeSameSizeP90) {
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
                sink += b.scanNative() + b.scanNativeSameSize() + b.scanMorphed() + b.scanConverted() + b.scanHeap();
            }
            int variants = 5;
            long[][] times = new long[variants][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int v = 0; v < variants; v++) {
                    int k = (v + r) % variants;
                    long start = System.nanoTime();
                    sink += switch (k) {
                        case 0 -> b.scanNative();
                        case 1 -> b.scanMorphed();
                        case 2 -> b.scanConverted();
                        case 3 -> b.scanHeap();
                        default -> b.scanNativeSameSize();
                    };
                    times[k][r] = System.nanoTime() - start;
                }
            }
            double[] overNative = new double[rounds];
            double[] overSameSize = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                overNative[r] = (double) times[1][r] / times[0][r];
                overSameSize[r] = (double) times[1][r] / times[4][r];
            }
            java.util.Arrays.sort(overNative);
            java.util.Arrays.sort(overSameSize);
            if (sink == 42) {
                System.err.print(""); // keeps the scans' results alive
            }
            return new Paired(rounds, median(times[0]) / 1e6, median(times[4]) / 1e6, median(times[1]) / 1e6, median(times[2]) / 1e6,
                median(times[3]) / 1e6, overNative[rounds / 2], overNative[rounds / 10], overNative[rounds * 9 / 10],
                overSameSize[rounds / 2], overSameSize[rounds / 10], overSameSize[rounds * 9 / 10]);
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
