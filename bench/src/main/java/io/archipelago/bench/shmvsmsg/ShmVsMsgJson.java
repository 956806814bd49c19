package io.archipelago.bench.shmvsmsg;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.MarshalRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.UnifiedRow;
import java.util.List;
import java.util.Optional;

/**
 * The report as JSON. Latencies are nanoseconds per operation: {@code <way>_ns} is the p50, and
 * {@code <way>} holds p50, p90, p99, p99.9, max, mean and count. Every ratio is the quotient of
 * the two p50s printed beside it, rounded to two decimals ({@link Ratio}); a ratio that cannot be
 * computed is absent.
 */
public final class ShmVsMsgJson {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<String> OP_WAYS = List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC,
        ShmVsMsgReport.SHM_COLD, ShmVsMsgReport.DSM_COLD, ShmVsMsgReport.MSG_COLD, ShmVsMsgReport.URPC_COLD);
    private static final List<String> CONTENTION_WAYS = List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC);

    private ShmVsMsgJson() {
    }

    public static ObjectNode of(ShmVsMsgReport report) {
        ObjectNode root = F.objectNode();
        root.put("suite", "shm-vs-msg");
        root.put("units", "ns per operation (p50 unless named); ops_per_s; bytes");
        root.set("setup", setup(report));
        root.set("headline", headline(report));
        root.set("transport", transport(report.transport()));
        ArrayNode ops = root.putArray("ops");
        report.ops().forEach(row -> ops.add(op(row)));
        root.set("targets", targets(report));
        ArrayNode marshalling = root.putArray("marshalling");
        report.marshalling().forEach(row -> marshalling.add(marshal(row, report.ops())));
        ArrayNode contention = root.putArray("contention");
        report.contention().forEach(row -> contention.add(contention(row)));
        ArrayNode crossovers = root.putArray("crossover");
        for (Crossover crossover : Crossover.find(report.contention())) {
            ObjectNode node = crossovers.addObject();
            node.put("op", crossover.op());
            node.put("objects", crossover.objects());
            node.put("versus", crossover.versus());
            node.put("crosses", crossover.crosses());
            if (crossover.crosses()) {
                node.put("at", crossover.crossingAt());
            } else {
                node.putNull("at");
            }
            number(node, "first_advantage", crossover.firstAdvantage());
            number(node, "last_advantage", crossover.lastAdvantage());
            node.put("summary", crossover.summary());
        }
        if (report.unified() != null) {
            root.set("unified_format", unified(report.unified()));
        }
        return root;
    }

    private static ObjectNode setup(ShmVsMsgReport report) {
        ObjectNode node = F.objectNode();
        var setup = report.setup();
        node.put("quick", setup.quick());
        node.put("cluster", setup.cluster());
        node.put("requester", setup.requester());
        node.put("owner", setup.owner());
        node.put("far", setup.far());
        ArrayNode sizes = node.putArray("sizes");
        setup.sizes().forEach(sizes::add);
        node.put("kernels", setup.kernels());
        ArrayNode threads = node.putArray("threads");
        setup.threads().forEach(threads::add);
        node.put("warmup_ms", setup.warmupMs());
        node.put("measure_ms", setup.measureMs());
        node.put("rounds", setup.rounds());
        node.put("cold_samples", setup.coldSamples());
        var env = report.environment();
        node.put("cores", env.cores());
        node.put("java", env.java());
        node.put("load_average_before", env.loadBefore());
        node.put("load_average_after", env.loadAfter());
        node.put("elapsed_s", env.elapsedSeconds());
        node.put("finished_at", env.finishedAt());
        return node;
    }

    private static ObjectNode transport(ShmVsMsgReport.Transport transport) {
        ObjectNode node = F.objectNode();
        node.put("socket_rtt_ns", transport.socket().p50());
        node.put("mailbox_rtt_ns", transport.mailbox().p50());
        node.put("stream_noop_rtt_ns", transport.streamNoop().p50());
        node.put("mailbox_one_at_a_time_rtt_ns", transport.mailboxOneAtATime().p50());
        number(node, "stream_over_socket", Ratio.of(transport.streamNoop().exactP50(), transport.socket().exactP50()));
        number(node, "stream_over_mailbox", Ratio.of(transport.streamNoop().exactP50(), transport.mailbox().exactP50()));
        node.set("socket_rtt", transport.socket().json());
        node.set("mailbox_rtt", transport.mailbox().json());
        node.set("stream_noop_rtt", transport.streamNoop().json());
        node.set("mailbox_one_at_a_time_rtt", transport.mailboxOneAtATime().json());
        return node;
    }

    static ObjectNode op(OpRow row) {
        ObjectNode node = F.objectNode();
        node.put("op", row.op());
        node.put("bytes", row.bytes());
        for (String way : OP_WAYS) {
            row.way(way).ifPresent(f -> node.put(way + "_ns", f.p50()));
        }
        ratio(node, "msg_over_shm", row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.SHM));
        ratio(node, "msg_over_dsm", row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.DSM));
        ratio(node, "dsm_over_shm", row.way(ShmVsMsgReport.DSM), row.way(ShmVsMsgReport.SHM));
        ratio(node, "msg_urpc_over_shm", row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.SHM));
        ratio(node, "msg_urpc_over_dsm", row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.DSM));
        ratio(node, "msg_grpc_over_msg_urpc", row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.URPC));
        ratio(node, "msg_cold_over_shm_cold", row.way(ShmVsMsgReport.MSG_COLD), row.way(ShmVsMsgReport.SHM_COLD));
        ratio(node, "msg_cold_over_dsm_cold", row.way(ShmVsMsgReport.MSG_COLD), row.way(ShmVsMsgReport.DSM_COLD));
        ratio(node, "urpc_cold_over_shm_cold", row.way(ShmVsMsgReport.URPC_COLD), row.way(ShmVsMsgReport.SHM_COLD));
        ratio(node, "urpc_cold_over_dsm_cold", row.way(ShmVsMsgReport.URPC_COLD), row.way(ShmVsMsgReport.DSM_COLD));
        for (String way : OP_WAYS) {
            row.way(way).ifPresent(f -> node.set(way, f.json()));
        }
        return node;
    }

    /** The figures an index of every suite shows for this one. */
    private static ObjectNode headline(ShmVsMsgReport report) {
        ObjectNode node = F.objectNode();
        report.ops().stream().filter(r -> r.op().equals("read_field")).findFirst().ifPresent(r -> {
            ratio(node, "read_field_msg_over_shm", r.way(ShmVsMsgReport.MSG), r.way(ShmVsMsgReport.SHM));
            ratio(node, "read_field_msg_over_dsm", r.way(ShmVsMsgReport.MSG), r.way(ShmVsMsgReport.DSM));
            ratio(node, "read_field_alone_msg_over_dsm", r.way(ShmVsMsgReport.MSG_COLD), r.way(ShmVsMsgReport.DSM_COLD));
            ratio(node, "read_field_msg_urpc_over_shm", r.way(ShmVsMsgReport.URPC), r.way(ShmVsMsgReport.SHM));
            ratio(node, "read_field_msg_grpc_over_msg_urpc", r.way(ShmVsMsgReport.MSG), r.way(ShmVsMsgReport.URPC));
            r.way(ShmVsMsgReport.URPC).ifPresent(f -> node.put("read_field_urpc_ns", f.p50()));
        });
        List<Crossover> crossovers = Crossover.find(report.contention());
        node.put("contention_series", crossovers.size());
        node.put("contention_crossings", crossovers.stream().filter(Crossover::crosses).count());
        if (report.unified() != null) {
            node.put("unified_max_overhead_percent", report.unified().maxOverheadPercent());
        }
        return node;
    }

    private static ObjectNode targets(ShmVsMsgReport report) {
        ObjectNode node = F.objectNode();
        ObjectNode readField = node.putObject("read_field_msg_over_shm");
        readField.put("target", ShmVsMsgReport.TARGET_READ_FIELD_MSG_OVER_SHM);
        double worst = report.ops().stream().filter(r -> r.op().equals("read_field"))
            .mapToDouble(r -> Ratio.of(r.way(ShmVsMsgReport.MSG).map(Figure::exactP50).orElse(0.0), r.way(ShmVsMsgReport.SHM).map(Figure::exactP50).orElse(0.0)))
            .filter(d -> !Double.isNaN(d)).min().orElse(Double.NaN);
        number(readField, "value", worst);
        readField.put("met", !Double.isNaN(worst) && worst >= ShmVsMsgReport.TARGET_READ_FIELD_MSG_OVER_SHM);
        readField.put("note", "the smallest msg_over_shm of the read_field rows (every object size)");
        ObjectNode urpc = node.putObject("read_field_urpc_p50_ns");
        urpc.put("target", ShmVsMsgReport.TARGET_READ_FIELD_URPC_P50_NS);
        double slowest = report.ops().stream().filter(r -> r.op().equals("read_field")).flatMap(r -> r.way(ShmVsMsgReport.URPC).stream())
            .mapToDouble(Figure::exactP50).max().orElse(Double.NaN);
        number(urpc, "value", slowest);
        urpc.put("met", !Double.isNaN(slowest) && slowest <= ShmVsMsgReport.TARGET_READ_FIELD_URPC_P50_NS);
        urpc.put("note", "the largest urpc p50 of the read_field rows (every object size); the target holds on a quiet host "
            + "(see setup.load_average_before)");
        return node;
    }

    static ObjectNode marshal(MarshalRow row, List<OpRow> ops) {
        ObjectNode node = F.objectNode();
        node.put("bytes", row.bytes());
        node.put("encoded_bytes", row.encodedBytes());
        node.put("encode_ns", row.encode().p50());
        node.put("decode_ns", row.decode().p50());
        double marshal = Math.round((row.encode().p50() + row.decode().p50()) * 10) / 10.0;
        node.put("marshal_ns", marshal);
        node.put("copy_ns", row.copy().p50());
        double exactMarshal = row.encode().exactP50() + row.decode().exactP50();
        number(node, "marshal_over_copy", Ratio.of(exactMarshal, row.copy().exactP50()));
        ops.stream().filter(r -> r.op().equals("read_struct") && r.bytes() == row.bytes()).findFirst()
            .flatMap(r -> r.way(ShmVsMsgReport.MSG)).ifPresent(msg -> {
                node.put("msg_read_struct_ns", msg.p50());
                number(node, "marshal_share_of_msg", Ratio.of(exactMarshal, msg.exactP50()));
            });
        node.set("encode", row.encode().json());
        node.set("decode", row.decode().json());
        node.set("copy", row.copy().json());
        return node;
    }

    static ObjectNode contention(ContentionRow row) {
        ObjectNode node = F.objectNode();
        node.put("op", row.op());
        node.put("objects", row.objects());
        node.put("kernels", row.kernels());
        node.put("threads", row.threads());
        for (String way : CONTENTION_WAYS) {
            row.way(way).ifPresent(f -> {
                node.put(way + "_ns", f.p50());
                node.put(way + "_ops_per_s", f.opsPerSecond());
            });
        }
        ratio(node, "msg_over_shm", row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.SHM));
        ratio(node, "msg_over_dsm", row.way(ShmVsMsgReport.MSG), row.way(ShmVsMsgReport.DSM));
        ratio(node, "msg_urpc_over_shm", row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.SHM));
        ratio(node, "msg_urpc_over_dsm", row.way(ShmVsMsgReport.URPC), row.way(ShmVsMsgReport.DSM));
        if (row.way(ShmVsMsgReport.URPC).isPresent() && row.way(ShmVsMsgReport.MSG).isPresent()) {
            number(node, "msg_urpc_throughput_over_msg_grpc", Ratio.of(row.way(ShmVsMsgReport.URPC).get().opsPerSecond(),
                row.way(ShmVsMsgReport.MSG).get().opsPerSecond()));
        }
        if (row.way(ShmVsMsgReport.MSG).isPresent() && row.way(ShmVsMsgReport.SHM).isPresent()) {
            number(node, "shm_throughput_over_msg", Ratio.of(row.way(ShmVsMsgReport.SHM).get().opsPerSecond(),
                row.way(ShmVsMsgReport.MSG).get().opsPerSecond()));
        }
        if (row.way(ShmVsMsgReport.MSG).isPresent() && row.way(ShmVsMsgReport.DSM).isPresent()) {
            number(node, "dsm_throughput_over_msg", Ratio.of(row.way(ShmVsMsgReport.DSM).get().opsPerSecond(),
                row.way(ShmVsMsgReport.MSG).get().opsPerSecond()));
        }
        for (String way : CONTENTION_WAYS) {
            row.way(way).ifPresent(f -> node.set(way, f.json()));
        }
        return node;
    }

    private static ObjectNode unified(ShmVsMsgReport.UnifiedTable table) {
        ObjectNode node = F.objectNode();
        node.put("header", table.header());
        ArrayNode models = node.putArray("models");
        table.models().forEach(models::add);
        ArrayNode types = node.putArray("types");
        for (UnifiedRow row : table.rows()) {
            ObjectNode type = types.addObject();
            type.put("type", row.type());
            ObjectNode sizes = type.putObject("native_bytes");
            row.nativeSizes().forEach(sizes::put);
            type.put("unified_bytes", row.unifiedSize());
            ObjectNode overhead = type.putObject("overhead_percent");
            row.overheadPercent().forEach(overhead::put);
        }
        node.put("max_overhead_percent", table.maxOverheadPercent());
        node.put("paper_overhead_percent", ShmVsMsgReport.PAPER_UNIFIED_OVERHEAD_PERCENT);
        node.put("note", "overhead = (unified - native) / native, sizes and alignment as GCC lays them out; the paper counted sizes only "
            + "and reports up to 55% for 64/32-bit mixes");
        return node;
    }

    private static void ratio(ObjectNode node, String name, Optional<Figure> numerator, Optional<Figure> denominator) {
        if (numerator.isPresent() && denominator.isPresent()) {
            number(node, name, Ratio.of(numerator.get().exactP50(), denominator.get().exactP50()));
        }
    }

    private static void number(ObjectNode node, String name, double value) {
        if (!Double.isNaN(value) && !Double.isInfinite(value)) {
            node.put(name, value);
        }
    }
}
