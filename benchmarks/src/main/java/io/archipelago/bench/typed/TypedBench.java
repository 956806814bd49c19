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

        /** For people: stable figures in a few minutes. */
        public static Plan full(int elements) {
            return new Plan(1, 4, TimeValue.seconds(1), 5, TimeValue.seconds(1), elements);
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

    private TypedBench() {
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
