package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.MarshalRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.UnifiedRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reports built by hand, with figures chosen so that every ratio is known. */
final class Fixtures {

    private Fixtures() {
    }

    static Figure figure(double p50) {
        return new Figure(new LatencySummary(1000, p50, p50 * 1.5, p50 * 3, p50 * 5, p50 * 10, p50 * 1.2), 1, 1000, 0, 0);
    }

    static Figure throughput(double p50, double opsPerSecond) {
        return new Figure(new LatencySummary(1000, p50, p50 * 1.5, p50 * 3, p50 * 5, p50 * 10, p50 * 1.2), 1, Math.round(opsPerSecond / 2),
            500_000_000L, 0);
    }

    static ShmVsMsgReport report() {
        List<OpRow> ops = new ArrayList<>();
        for (long bytes : List.of(64L, 4096L, 65536L)) {
            double scale = bytes / 64.0;
            for (String op : ShmVsMsgPlan.ALL_OPS) {
                boolean whole = op.equals("read_struct") || op.equals("scan");
                Map<String, Figure> ways = new LinkedHashMap<>();
                ways.put(ShmVsMsgReport.SHM, figure(whole ? 10 * scale : 5.0));
                ways.put(ShmVsMsgReport.DSM, figure(whole ? 40 * scale : 20.0));
                ways.put(ShmVsMsgReport.MSG, figure(whole ? 20_000 + 30 * scale : 20_000.0));
                ways.put(ShmVsMsgReport.URPC, figure(whole ? 2_000 + 30 * scale : 2_000.0));
                ways.put(ShmVsMsgReport.SHM_COLD, figure(200.0));
                ways.put(ShmVsMsgReport.DSM_COLD, figure(100_000.0));
                ways.put(ShmVsMsgReport.MSG_COLD, figure(60_000.0));
                ways.put(ShmVsMsgReport.URPC_COLD, figure(8_000.0));
                ops.add(new OpRow(op, bytes, ways));
            }
        }
        List<MarshalRow> marshalling = List.of(
            new MarshalRow(64, 80, latency(300), latency(200), latency(30)),
            new MarshalRow(65536, 80_000, latency(90_000), latency(60_000), latency(20_000)));
        List<ContentionRow> contention = new ArrayList<>();
        for (String objects : List.of("same", "disjoint")) {
            for (int kernels = 1; kernels <= 2; kernels++) {
                for (int threads = 1; threads <= 2; threads++) {
                    int total = kernels * threads;
                    Map<String, Figure> ways = new LinkedHashMap<>();
                    // same object: shared memory slows down as threads are added, messages hold: they cross at 2x2
                    double shm = objects.equals("same") ? 100_000.0 / (total * total * total) : 1_000_000.0 * total;
                    ways.put(ShmVsMsgReport.SHM, throughput(40.0 * total, shm));
                    ways.put(ShmVsMsgReport.DSM, throughput(200.0 * total, 1_000.0));
                    ways.put(ShmVsMsgReport.MSG, throughput(20_000.0, 5_000.0));
                    ways.put(ShmVsMsgReport.URPC, throughput(2_000.0, 50_000.0));
                    contention.add(new ContentionRow("update_struct", objects, kernels, threads, ways));
                }
            }
        }
        ShmVsMsgReport.UnifiedTable unified = new ShmVsMsgReport.UnifiedTable("kernel-structs.h", List.of("x86_64", "armv7"), List.of(
            new UnifiedRow("struct page", Map.of("x86_64", 64L, "armv7", 36L), 64, Map.of("x86_64", 0.0, "armv7", 77.8)),
            new UnifiedRow("struct bench_item", Map.of("x86_64", 64L, "armv7", 64L), 64, Map.of("x86_64", 0.0, "armv7", 0.0))));
        return new ShmVsMsgReport(
            new ShmVsMsgReport.Setup(true, "bench-shm-vs-msg", "near-0 (x86_64, domain a)", "owner-0 (x86_64, domain a)",
                "far-0 (x86_64, domain b)", List.of(64L, 4096L, 65536L), 2, List.of(1, 2), 40, 120, 1, 15),
            new ShmVsMsgReport.Environment(2, "Java 25", 1.5, 2.5, 61.2, "2026-11-23T17:00:00Z"),
            new ShmVsMsgReport.Transport(figure(10_000), figure(15_000), figure(18_000), figure(90_000)),
            ops, marshalling, contention, unified);
    }

    static LatencySummary latency(double p50) {
        return new LatencySummary(100, p50, p50 * 1.2, p50 * 2, p50 * 3, p50 * 4, p50);
    }
}
