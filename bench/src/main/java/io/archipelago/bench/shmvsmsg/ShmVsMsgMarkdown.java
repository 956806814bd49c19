package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.MarshalRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.UnifiedRow;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The report as Markdown: what was measured, how, the tables, the charts, and the headline ratios. */
public final class ShmVsMsgMarkdown {

    private ShmVsMsgMarkdown() {
    }

    /**
     * @param command the command line that produced the report
     * @param charts  chart files (names relative to the report) to show, by caption
     */
    public static String of(ShmVsMsgReport report, String command, Map<String, String> charts) {
        StringBuilder md = new StringBuilder();
        var setup = report.setup();
        var env = report.environment();
        md.append("# Message passing vs shared memory\n\n");
        md.append("`").append(command).append("`").append(setup.quick() ? " (quick run: fewer sizes, shorter windows)" : "").append("\n\n");
        md.append(String.format(Locale.ROOT, "Finished %s on %d cores, %s; load average %.2f before, %.2f after; %.0f s.%n%n", env.finishedAt(),
            env.cores(), env.java(), env.loadBefore(), env.loadAfter(), env.elapsedSeconds()));
        md.append("The same operation on a `struct bench_item` object (64-byte elements, fixed-width members) done three ways "
            + "between kernel processes, timed in the requesting kernel:\n\n");
        md.append("- **shm**: typed shared memory in one coherence domain (hardware coherence: loads and stores in the mmap'd global "
            + "memory; `lock xadd` for a counter, a spinlock word for a multi-member update). Requester ").append(setup.requester())
            .append(", object created by ").append(setup.owner()).append(".\n");
        md.append("- **dsm**: typed shared memory across coherence domains (software coherence, K2's DSM: the same accessors, pages "
            + "faulted over the mailbox; exclusive sections for read-modify-writes). Object created by ").append(setup.far())
            .append(". *dsm* is the steady state (the pages stay with the requester).\n");
        md.append("- **msg**: a Protocol Buffers request to the object's owner (").append(setup.owner())
            .append("), which applies it on its message thread and replies: one gRPC stream per requester thread over a warm TCP "
                + "loopback connection.\n\n");
        md.append("Each way is measured back to back (the steady state: warm caches, pages held, threads running) and *alone*: one "
            + "operation timed by itself right after the object's creator or owner wrote all of it, on threads that were idle, "
            + "each driven by its own control call. Alone, *shm* pays the cache-line transfers, *dsm* faults every page back over "
            + "the mailbox, *msg* pays its round trip from idle threads. Both are measured in interleaved rounds (the ways' order "
            + "rotating), the floors below once per round of the steady state, and the operations alone after one round that is "
            + "not recorded (their paths, the DSM's faults above all, are not run in the steady state and would otherwise be "
            + "compiled while the first cells are measured).\n\n");
        md.append("A latency is per operation, p50 (p99 in brackets). A shared-memory sample is the mean of a batch of consecutive "
            + "operations lasting at least 2 µs (the batch is in the JSON); a message round trip is its own sample. "
            + "Ratios are quotients of the p50s.\n\n");

        headline(md, report);

        md.append("## The message path's floors\n\n");
        md.append("| round trip between the requester and the owner | p50 | p90 | p99 | count |\n|---|---:|---:|---:|---:|\n");
        transportRow(md, "4-byte blocking-socket ping-pong, two fresh JVMs (TCP loopback)", report.transport().socket());
        transportRow(md, "32-bit mailbox word, from a kernel thread", report.transport().mailbox());
        transportRow(md, "empty request and reply on the message stream (`NOOP`)", report.transport().streamNoop());
        if (report.transport().mailboxOneAtATime().latency().count() > 0) {
            transportRow(md, "32-bit mailbox word to the far kernel, one at a time (as the operations timed alone)",
                report.transport().mailboxOneAtATime());
        }
        md.append('\n');

        md.append("## Operations, by object size\n\n");
        Set<String> ops = new LinkedHashSet<>();
        report.ops().forEach(r -> ops.add(r.op()));
        for (String op : ops) {
            md.append("### ").append(op).append("\n\n");
            md.append("| bytes | shm | dsm | msg (gRPC) | msg (URPC) | msg / shm | msg (URPC) / shm | msg / dsm | msg (URPC) / dsm | msg (gRPC) / msg (URPC) "
                + "| alone: shm | alone: dsm | alone: msg | alone: msg (URPC) | alone: msg / shm | alone: msg / dsm |\n");
            md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (OpRow row : report.ops()) {
                if (!row.op().equals(op)) {
                    continue;
                }
                md.append("| ").append(bytes(row.bytes()));
                for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                    md.append(" | ").append(cell(row.way(way)));
                }
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.SHM)));
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.SHM)));
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.DSM)));
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.DSM)));
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.URPC)));
                for (String way : List.of(ShmVsMsgReport.SHM_COLD, ShmVsMsgReport.DSM_COLD, ShmVsMsgReport.MSG_COLD, ShmVsMsgReport.URPC_COLD)) {
                    md.append(" | ").append(cell(row.way(way)));
                }
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG_COLD), row.way(ShmVsMsgReport.SHM_COLD)));
                md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG_COLD), row.way(ShmVsMsgReport.DSM_COLD))).append(" |\n");
            }
            md.append('\n');
        }
        chart(md, charts, "size sweep");

        if (!report.marshalling().isEmpty()) {
            md.append("## Marshalling alone\n\n");
            md.append("In the requesting kernel's process: build the reply of `read_struct` from typed memory and encode it (the owner's "
                + "work), decode it (the requester's), against copying the same members out of typed shared memory.\n\n");
            md.append("| bytes | encoded | encode | decode | copy in place | (encode + decode) / copy | share of msg read_struct |\n");
            md.append("|---:|---:|---:|---:|---:|---:|---:|\n");
            for (MarshalRow row : report.marshalling()) {
                double marshal = row.encode().exactP50() + row.decode().exactP50();
                Optional<Figure> msg = report.ops().stream().filter(r -> r.op().equals("read_struct") && r.bytes() == row.bytes())
                    .findFirst().flatMap(r -> r.way(ShmVsMsgReport.MSG));
                md.append("| ").append(bytes(row.bytes())).append(" | ").append(bytes(row.encodedBytes())).append(" | ")
                    .append(time(row.encode().p50())).append(" | ").append(time(row.decode().p50())).append(" | ")
                    .append(time(row.copy().p50())).append(" | ").append(fmt(Ratio.of(marshal, row.copy().exactP50()))).append(" | ")
                    .append(msg.map(m -> percent(Ratio.of(marshal, m.exactP50()))).orElse("-")).append(" |\n");
            }
            md.append('\n');
        }

        if (!report.contention().isEmpty()) {
            md.append("## Contention\n\n");
            md.append("K kernels x T threads each, all at once for the measured window, updating the same object (one element) or each "
                + "its own (disjoint: one page apart). p50 latency per operation and total operations per second; the owner "
                + "applies every message on its one message thread. The DSM's page faults per operation say how often the page "
                + "moved between kernels: a kernel keeps a page until another asks for it, so its threads' sections run on it "
                + "in a row.\n\n");
            Map<String, List<ContentionRow>> series = new LinkedHashMap<>();
            report.contention().forEach(r -> series.computeIfAbsent(r.op() + ", " + r.objects() + " object" + (r.objects().equals("same") ? "" : "s"),
                k -> new java.util.ArrayList<>()).add(r));
            for (var entry : series.entrySet()) {
                md.append("### ").append(entry.getKey()).append("\n\n");
                md.append("| kernels x threads | shm | dsm | msg | msg (URPC) | shm ops/s | dsm ops/s | msg ops/s | msg (URPC) ops/s | msg / shm (latency) "
                    + "| shm / msg (throughput) | dsm / msg (throughput) | dsm page faults per operation |\n");
                md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                for (ContentionRow row : entry.getValue()) {
                    md.append("| ").append(row.kernels()).append(" x ").append(row.threads());
                    for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                        md.append(" | ").append(row.way(way).map(f -> time(f.p50()) + " (" + time(f.latency().p99()) + ")").orElse("-"));
                    }
                    for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                        md.append(" | ").append(row.way(way).map(f -> rate(f.opsPerSecond())).orElse("-"));
                    }
                    md.append(" | ").append(ratio(row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.SHM)));
                    md.append(" | ").append(throughput(row, ShmVsMsgReport.SHM));
                    md.append(" | ").append(throughput(row, ShmVsMsgReport.DSM));
                    md.append(" | ").append(row.way(ShmVsMsgReport.DSM).filter(f -> f.operations() > 0)
                        .map(f -> String.format(Locale.ROOT, "%.3f", (double) f.faults() / f.operations())).orElse("-")).append(" |\n");
                }
                md.append('\n');
            }
            md.append("### Where the curves cross\n\n");
            for (Crossover crossover : Crossover.find(report.contention())) {
                md.append("- ").append(crossover.op()).append(", ").append(crossover.objects()).append(": ").append(crossover.summary())
                    .append(".\n");
            }
            md.append('\n');
            chart(md, charts, "contention");
        }

        if (report.unified() != null) {
            md.append("## The unified format's memory overhead (paper 1: up to 55%)\n\n");
            md.append("From the layout engine (`archipelago layout ").append(report.unified().header())
                .append(" --unified`): every scalar at its largest size and strictest alignment across the data models; overhead = "
                    + "(unified - native) / native.\n\n");
            md.append("| type |");
            report.unified().models().forEach(m -> md.append(' ').append(m).append(" |"));
            md.append(" unified |");
            report.unified().models().forEach(m -> md.append(" vs ").append(m).append(" |"));
            md.append("\n|---|");
            report.unified().models().forEach(m -> md.append("---:|"));
            md.append("---:|");
            report.unified().models().forEach(m -> md.append("---:|"));
            md.append('\n');
            for (UnifiedRow row : report.unified().rows()) {
                md.append("| `").append(row.type()).append("` |");
                report.unified().models().forEach(m -> md.append(' ').append(row.nativeSizes().get(m)).append(" |"));
                md.append(' ').append(row.unifiedSize()).append(" |");
                report.unified().models().forEach(m -> md.append(String.format(Locale.ROOT, " +%.1f%% |", row.overheadPercent().get(m))));
                md.append('\n');
            }
            md.append(String.format(Locale.ROOT, "%nLargest overhead here: **+%.1f%%**, against the paper's \"up to 55%%\" (which counted sizes "
                + "only; counting alignment as the layout engine does, pointer-dense structs exceed it). `bench_item` uses only fixed-width "
                + "members, so it costs nothing unified.%n%n", report.unified().maxOverheadPercent()));
        }
        md.append("JSON: `shm-vs-msg.json` beside this file. What these figures can and cannot say about real hardware: "
            + "`docs/results.md` in the repository.\n");
        return md.toString();
    }

    private static void headline(StringBuilder md, ShmVsMsgReport report) {
        md.append("## Headline\n\n");
        report.ops().stream().filter(r -> r.op().equals("read_field")).forEach(r -> {
            double ratio = Ratio.of(r.way(ShmVsMsgReport.MSG).map(Figure::exactP50).orElse(0.0), r.way(ShmVsMsgReport.SHM).map(Figure::exactP50).orElse(0.0));
            md.append(String.format(Locale.ROOT, "- read one field of a %s object: msg %s, shm %s: **msg / shm = %s** (target >= %.0f: %s)%n",
                bytes(r.bytes()), time(r.way(ShmVsMsgReport.MSG).map(Figure::p50).orElse(0.0)),
                time(r.way(ShmVsMsgReport.SHM).map(Figure::p50).orElse(0.0)), fmt(ratio), ShmVsMsgReport.TARGET_READ_FIELD_MSG_OVER_SHM,
                ratio >= ShmVsMsgReport.TARGET_READ_FIELD_MSG_OVER_SHM ? "met" : "NOT met"));
            r.way(ShmVsMsgReport.URPC).ifPresent(urpc -> md.append(String.format(Locale.ROOT,
                "- read one field of a %s object by a message over the URPC rings: **%s** p50 (target <= %s on a quiet host: %s), "
                    + "msg (URPC) / shm = %s, msg (gRPC) / msg (URPC) = %s%n", bytes(r.bytes()), time(urpc.p50()),
                time(ShmVsMsgReport.TARGET_READ_FIELD_URPC_P50_NS), urpc.exactP50() <= ShmVsMsgReport.TARGET_READ_FIELD_URPC_P50_NS ? "met" : "NOT met",
                fmt(Ratio.of(urpc.exactP50(), r.way(ShmVsMsgReport.SHM).map(Figure::exactP50).orElse(0.0))),
                fmt(Ratio.of(r.way(ShmVsMsgReport.MSG).map(Figure::exactP50).orElse(0.0), urpc.exactP50())))));
        });
        for (Crossover crossover : Crossover.find(report.contention())) {
            md.append("- contention, ").append(crossover.op()).append(", ").append(crossover.objects()).append(": ")
                .append(crossover.summary()).append('\n');
        }
        if (report.unified() != null) {
            md.append(String.format(Locale.ROOT, "- unified format: up to +%.1f%% memory on these structs (paper: up to 55%%)%n",
                report.unified().maxOverheadPercent()));
        }
        md.append('\n');
    }

    private static String cell(Optional<Figure> figure) {
        return figure.map(f -> time(f.p50()) + " (" + time(f.latency().p99()) + ")").orElse("-");
    }

    private static void transportRow(StringBuilder md, String name, Figure figure) {
        md.append("| ").append(name).append(" | ").append(time(figure.p50())).append(" | ").append(time(figure.latency().p90()))
            .append(" | ").append(time(figure.latency().p99())).append(" | ").append(figure.latency().count()).append(" |\n");
    }

    private static void chart(StringBuilder md, Map<String, String> charts, String caption) {
        String file = charts.get(caption);
        if (file != null) {
            md.append("![").append(caption).append("](").append(file).append(")\n\n");
        }
    }

    private static String throughput(ContentionRow row, String way) {
        if (row.way(way).isEmpty() || row.way(ShmVsMsgReport.MSG).isEmpty()) {
            return "-";
        }
        return fmt(Ratio.of(row.way(way).get().opsPerSecond(), row.way(ShmVsMsgReport.MSG).get().opsPerSecond()));
    }

    private static String ratio(Optional<Figure> numerator, Optional<Figure> denominator) {
        if (numerator.isEmpty() || denominator.isEmpty()) {
            return "-";
        }
        return fmt(Ratio.of(numerator.get().exactP50(), denominator.get().exactP50()));
    }

    static String fmt(double ratio) {
        if (Double.isNaN(ratio)) {
            return "-";
        }
        return ratio >= 100 ? String.format(Locale.ROOT, "%,.0f", ratio) : String.format(Locale.ROOT, "%.2f", ratio);
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.0f%%", share * 100);
    }

    /** A duration in nanoseconds, in the unit that reads best. */
    static String time(double nanos) {
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.1f ns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.2f ms", nanos / 1e6);
    }

    static String bytes(long bytes) {
        if (bytes >= 1024 && bytes % 1024 == 0) {
            return (bytes / 1024) + " KiB";
        }
        return bytes + " B";
    }

    private static String rate(double perSecond) {
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", perSecond / 1e6);
        }
        if (perSecond >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }
}
