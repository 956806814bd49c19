package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.typed.TypedAccessBenchmark;
import io.archipelago.bench.typed.TypedBench;
import io.archipelago.bench.typed.TypedBench.Score;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code archipelago bench typed}: native vs morphed vs interpreted vs converted vs plain Java
 * objects; the morphed scan's like-for-like baseline is a native layout of its own size.
 */
@Command(name = "typed", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Measure typed access: native, morphed, interpreted, convert-on-attach, plain Java objects.",
    description = {"JMH, one forked JVM per benchmark (two in the full plan, one with --quick), on a real mmap'd global memory: a "
            + "scan of every element (three members each), one member read and one member written, through",
        "  native       a generated accessor on a region in this machine's own layout (x86_64: 56 bytes per element),",
        "  native, same size  the same for a struct whose x86_64 layout is the ppc32 layout but for the byte order (48 bytes): "
            + "the like-for-like baseline of the morphed scan, which streams 48 bytes per element,",
        "  morphed      the same Java view, generated for a region a ppc32 kernel created (big-endian, 4-byte longs):",
        "               the paper's type-morphable code,",
        "  interpreted  the interpreting accessor (walks the layout on every access) on that ppc32 region,",
        "  converted    convert-on-attach: copy the whole ppc32 array into native format, then access it natively,",
        "  heap         plain Java objects (the floor).",
        "Targets (scan): morphed_over_native_same_size <= 1.2 (same bytes streamed) and interpreted_over_morphed >= 5; "
            + "morphed_over_native (56 against 48 bytes per element) and morphed_over_native_per_byte are reported beside.",
        "JMH's progress goes to stderr."})
final class BenchTypedCommand extends BenchSuite {

    @Option(names = "--quick", description = "One fork per benchmark and short iterations (for CI): a few minutes; the figures are "
        + "noisier.")
    boolean quick;

    @Option(names = "--json", description = "Print JSON: {\"native_ns\", \"morphed_ns\", \"interpreted_ns\", \"heap_ns\", "
        + "\"morphed_over_native\", \"interpreted_over_morphed\", ...} for the scan, and \"read\", \"write\", \"convert_on_attach\".")
    void jsonOption(boolean on) {
        json(on);
    }

    @Option(names = "--elements", paramLabel = "N", defaultValue = "" + TypedAccessBenchmark.DEFAULT_ELEMENTS,
        description = "Elements per region (default: ${DEFAULT-VALUE}).")
    int elements;

    /** The JMH scores the table prints beside the JSON. */
    private Map<String, Score> scores;

    @Override
    String suite() {
        return "typed";
    }

    @Override
    ObjectNode measure() throws Exception {
        if (trace != null) {
            throw new CliException("--trace: bench typed measures in this process (JMH); it boots no cluster whose timeline could be traced");
        }
        if (elements < 100_000) {
            throw new CliException("--elements must be at least 100000 (a scan must not fit in the caches), found " + elements);
        }
        TypedBench.Plan plan = quick ? TypedBench.Plan.quick(elements) : TypedBench.Plan.full(elements);
        long started = System.nanoTime();
        PrintStream progress = System.err;
        scores = TypedBench.run(plan, progress);
        progress.println("paired scans (native, native 48 B, morphed, converted, heap taking turns, " + (quick ? 30 : 60) + " rounds)...");
        TypedBench.Paired paired = TypedBench.paired(elements, quick ? 30 : 60);
        double seconds = (System.nanoTime() - started) / 1e9;
        ObjectNode report = report(scores, plan, seconds);
        ObjectNode pairedNode = report.putObject("paired");
        pairedNode.put("rounds", paired.rounds());
        pairedNode.put("native_ms", Math.round(paired.nativeMs() * 100) / 100.0);
        pairedNode.put("native_same_size_ms", Math.round(paired.nativeSameSizeMs() * 100) / 100.0);
        pairedNode.put("morphed_ms", Math.round(paired.morphedMs() * 100) / 100.0);
        pairedNode.put("converted_ms", Math.round(paired.convertedMs() * 100) / 100.0);
        pairedNode.put("heap_ms", Math.round(paired.heapMs() * 100) / 100.0);
        pairedNode.put("morphed_over_native", Math.round(paired.morphedOverNative() * 100) / 100.0);
        pairedNode.put("morphed_over_native_p10", Math.round(paired.morphedOverNativeP10() * 100) / 100.0);
        pairedNode.put("morphed_over_native_p90", Math.round(paired.morphedOverNativeP90() * 100) / 100.0);
        pairedNode.put("morphed_over_native_same_size", Math.round(paired.morphedOverNativeSameSize() * 100) / 100.0);
        pairedNode.put("morphed_over_native_same_size_p10", Math.round(paired.morphedOverNativeSameSizeP10() * 100) / 100.0);
        pairedNode.put("morphed_over_native_same_size_p90", Math.round(paired.morphedOverNativeSameSizeP90() * 100) / 100.0);
        double load = loadAverage();
        report.put("load_average", Math.round(load * 100) / 100.0);
        report.put("cores", Runtime.getRuntime().availableProcessors());
        return report;
    }

    @Override
    void printTable(ObjectNode report, PrintWriter out) {
        printText(out, scores, report);
    }

    private ObjectNode report(Map<String, Score> scores, TypedBench.Plan plan, double seconds) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("benchmark", "typed access, scan of " + elements + " elements (3 members each)");
        root.put("elements", elements);
        root.put("native_ns", ns(scores, "scanNative"));
        root.put("native_same_size_ns", ns(scores, "scanNativeSameSize"));
        root.put("morphed_ns", ns(scores, "scanMorphed"));
        root.put("interpreted_ns", ns(scores, "scanInterpreted"));
        root.put("heap_ns", ns(scores, "scanHeap"));
        root.put("converted_ns", ns(scores, "scanConverted"));
        root.put("morphed_over_native", ratio(scores, "scanMorphed", "scanNative"));
        root.put("morphed_over_native_same_size", ratio(scores, "scanMorphed", "scanNativeSameSize"));
        root.put("native_bytes_per_element", TypedAccessBenchmark.NATIVE_BYTES);
        root.put("morphed_bytes_per_element", TypedAccessBenchmark.MORPHED_BYTES);
        // time per byte streamed: the 56-byte native scan against the 48-byte morphed one, the size difference taken out
        root.put("morphed_over_native_per_byte", Math.round(scores.get("scanMorphed").ns() / TypedAccessBenchmark.MORPHED_BYTES
            / (scores.get("scanNative").ns() / TypedAccessBenchmark.NATIVE_BYTES) * 100) / 100.0);
        root.put("interpreted_over_morphed", ratio(scores, "scanInterpreted", "scanMorphed"));
        root.put("native_over_heap", ratio(scores, "scanNative", "scanHeap"));
        root.put("native_ns_per_element", ns(scores, "scanNative") / elements);
        root.put("morphed_ns_per_element", ns(scores, "scanMorphed") / elements);
        ObjectNode targets = root.putObject("targets");
        targets.put("morphed_over_native_same_size_max", 1.2);
        targets.put("interpreted_over_morphed_min", 5.0);
        targets.put("met", ratio(scores, "scanMorphed", "scanNativeSameSize") <= 1.2 && ratio(scores, "scanInterpreted", "scanMorphed") >= 5.0);
        for (String kind : List.of("read", "write")) {
            ObjectNode node = root.putObject(kind);
            String base = kind;
            node.put("native_ns", ns(scores, base + "Native"));
            node.put("morphed_ns", ns(scores, base + "Morphed"));
            node.put("interpreted_ns", ns(scores, base + "Interpreted"));
            node.put("heap_ns", ns(scores, base + "Heap"));
            node.put("morphed_over_native", ratio(scores, base + "Morphed", base + "Native"));
            node.put("interpreted_over_morphed", ratio(scores, base + "Interpreted", base + "Morphed"));
        }
        ObjectNode convert = root.putObject("convert_on_attach");
        convert.put("convert_ns", ns(scores, "convert"));
        convert.put("scan_after_ns", ns(scores, "scanConverted"));
        convert.put("convert_over_morphed_scan", ratio(scores, "convert", "scanMorphed"));
        ObjectNode errors = root.putObject("error_ns");
        scores.forEach((name, score) -> errors.put(name, round(score.error())));
        ObjectNode jmh = root.putObject("jmh");
        jmh.put("forks", plan.forks());
        jmh.put("warmup", plan.warmupIterations() + " x " + plan.warmupTime());
        jmh.put("measurement", plan.iterations() + " x " + plan.iterationTime());
        jmh.put("mode", "average time per operation");
        jmh.put("seconds", round(seconds));
        return root;
    }

    private static void printText(PrintWriter out, Map<String, Score> scores, ObjectNode report) {
        out.printf(Locale.ROOT, "typed access, JMH, %s elements per region (jmh: %s warm-up, %s measured, %d fork(s) per benchmark)%n%n",
            report.get("elements").asText(), report.get("jmh").get("warmup").asText(), report.get("jmh").get("measurement").asText(),
            report.get("jmh").get("forks").asInt());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "NATIVE (56 B)", "NATIVE (48 B)", "MORPHED (48 B)", "INTERPRETED", "CONVERTED", "HEAP",
            "MORPHED/NATIVE 48 B", "MORPHED/NATIVE 56 B", "INTERPRETED/MORPHED"});
        rows.add(new String[] {"scan (ms)", ms(scores, "scanNative"), ms(scores, "scanNativeSameSize"), ms(scores, "scanMorphed"),
            ms(scores, "scanInterpreted"), ms(scores, "scanConverted"), ms(scores, "scanHeap"),
            times(ratio(scores, "scanMorphed", "scanNativeSameSize")), times(ratio(scores, "scanMorphed", "scanNative")),
            times(ratio(scores, "scanInterpreted", "scanMorphed"))});
        for (String kind : List.of("read", "write")) {
            rows.add(new String[] {kind + " (ns)", nsText(scores, kind + "Native"), "-", nsText(scores, kind + "Morphed"),
                nsText(scores, kind + "Interpreted"), "-", nsText(scores, kind + "Heap"), "-",
                times(ratio(scores, kind + "Morphed", kind + "Native")), times(ratio(scores, kind + "Interpreted", kind + "Morphed"))});
        }
        StatusView.printRows(rows, out);
        out.printf(Locale.ROOT, "%nconvert-on-attach: %s ms to convert the ppc32 array to native format (%.1fx a morphed scan), then scans "
            + "at native speed%n", ms(scores, "convert"), ratio(scores, "convert", "scanMorphed"));
        JsonNodeView paired = new JsonNodeView(report.get("paired"));
        out.printf(Locale.ROOT, "paired scans (%d rounds taking turns, robust to a drifting load): native %s ms, native 48 B %s ms, morphed "
                + "%s ms, converted %s ms, heap %s ms; morphed/native 48 B median %.2fx (p10 %.2fx, p90 %.2fx), morphed/native 56 B %.2fx "
                + "(p10 %.2fx, p90 %.2fx)%n", paired.i("rounds"), paired.t("native_ms"), paired.t("native_same_size_ms"),
            paired.t("morphed_ms"), paired.t("converted_ms"), paired.t("heap_ms"), paired.d("morphed_over_native_same_size"),
            paired.d("morphed_over_native_same_size_p10"), paired.d("morphed_over_native_same_size_p90"), paired.d("morphed_over_native"),
            paired.d("morphed_over_native_p10"), paired.d("morphed_over_native_p90"));
        out.printf(Locale.ROOT, "machine: %d cores, load average %.2f (figures from a busy machine are noisy: compare the ratios)%n",
            report.get("cores").asInt(), report.get("load_average").asDouble());
        out.printf(Locale.ROOT, "targets: morphed/native of the same size (48 B) <= 1.2 (%s), interpreted/morphed >= 5 (%s)%n",
            ratio(scores, "scanMorphed", "scanNativeSameSize") <= 1.2 ? "met" : "NOT met", ratio(scores, "scanInterpreted", "scanMorphed") >= 5 ? "met" : "NOT met");
    }

    private record JsonNodeView(com.fasterxml.jackson.databind.JsonNode node) {
        int i(String name) {
            return node.get(name).asInt();
        }

        double d(String name) {
            return node.get(name).asDouble();
        }

        String t(String name) {
            return node.get(name).asText();
        }
    }

    private static double ns(Map<String, Score> scores, String name) {
        Score score = scores.get(name);
        if (score == null) {
            throw new CliException("benchmark " + name + " produced no result");
        }
        return round(score.ns());
    }

    private static double ratio(Map<String, Score> scores, String numerator, String denominator) {
        return Math.round(scores.get(numerator).ns() / scores.get(denominator).ns() * 100) / 100.0;
    }

    private static double round(double value) {
        return Double.isNaN(value) ? value : Math.round(value * 10) / 10.0;
    }

    private static String ms(Map<String, Score> scores, String name) {
        return String.format(Locale.ROOT, "%.2f", scores.get(name).ns() / 1e6);
    }

    private static String nsText(Map<String, Score> scores, String name) {
        return String.format(Locale.ROOT, "%.2f", scores.get(name).ns());
    }

    private static String times(double ratio) {
        return String.format(Locale.ROOT, "%.2fx", ratio);
    }
}
