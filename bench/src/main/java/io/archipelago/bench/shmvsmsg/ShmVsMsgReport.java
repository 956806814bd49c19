package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.LatencySummary;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one run of {@code archipelago bench shm-vs-msg} measured, as written to its JSON,
 * Markdown and charts.
 *
 * @param ops         the same operation done each way, per object size
 * @param contention  K kernels x T threads updating the same object, or each its own
 */
public record ShmVsMsgReport(Setup setup, Environment environment, Transport transport, List<OpRow> ops, List<MarshalRow> marshalling,
                             List<ContentionRow> contention, UnifiedTable unified) {

    /** The ways, as keys of {@link OpRow#ways()} and {@link ContentionRow#ways()}. */
    public static final String SHM = "shm";
    public static final String DSM = "dsm";
    /** A message to the owner over the gRPC stream. */
    public static final String MSG = "msg";
    /** The same message over the URPC rings in global memory (cache-line slots, Barrelfish's user-level RPC). */
    public static final String URPC = "urpc";
    /** In place right after the object's owner wrote all of it (each operation timed alone). */
    public static final String SHM_COLD = "shm_cold";
    public static final String DSM_COLD = "dsm_cold";
    /** One message round trip, timed alone right after the owner wrote the object (its baseline: the same conditions). */
    public static final String MSG_COLD = "msg_cold";
    public static final String URPC_COLD = "urpc_cold";

    /** Paper 1's figure for the unified format's memory overhead with 64- and 32-bit kernels: "up to 55%". */
    public static final double PAPER_UNIFIED_OVERHEAD_PERCENT = 55;
    /** The target for a single-field read: messages at least 100 times the shared-memory read. */
    public static final double TARGET_READ_FIELD_MSG_OVER_SHM = 100;
    /** The target for a single-field read by a URPC message on a quiet host: p50 at most 3 us. */
    public static final double TARGET_READ_FIELD_URPC_P50_NS = 3_000;

    public ShmVsMsgReport {
        ops = List.copyOf(ops);
        marshalling = List.copyOf(marshalling);
        contention = List.copyOf(contention);
    }

    /** How the run was set up: the plan and the kernels' roles. */
    public record Setup(boolean quick, String cluster, String requester, String owner, String far, List<Long> sizes, int kernels,
                        List<Integer> threads, long warmupMs, long measureMs, int rounds, int coldSamples) {
    }

    /** The machine while it ran. */
    public record Environment(int cores, String java, double loadBefore, double loadAfter, double elapsedSeconds, String finishedAt) {
    }

    /**
     * The floors of the message path, between the same two kernels: a 4-byte blocking-socket ping-pong
     * between two fresh JVMs, the 32-bit mailbox round trip from a kernel thread, and an empty request
     * and reply on the message stream, each back to back; and a mailbox round trip from the
     * requester to the far kernel taken one at a time, like the operations timed alone.
     */
    public record Transport(Figure socket, Figure mailbox, Figure streamNoop, Figure mailboxOneAtATime) {
    }

    /** One operation on an object of {@code bytes}, each way. */
    public record OpRow(String op, long bytes, Map<String, Figure> ways) {
        public OpRow {
            ways = Map.copyOf(ways);
        }

        public Optional<Figure> way(String way) {
            return Optional.ofNullable(ways.get(way));
        }
    }

    /** Protocol Buffers encode and decode of an object against copying it out of typed shared memory, in one process. */
    public record MarshalRow(long bytes, long encodedBytes, LatencySummary encode, LatencySummary decode, LatencySummary copy) {
    }

    /** {@code kernels} x {@code threads} updating the {@code objects} ("same" or "disjoint"), each way. */
    public record ContentionRow(String op, String objects, int kernels, int threads, Map<String, Figure> ways) {
        public ContentionRow {
            ways = Map.copyOf(ways);
        }

        public Optional<Figure> way(String way) {
            return Optional.ofNullable(ways.get(way));
        }

        public int totalThreads() {
            return kernels * threads;
        }
    }

    /** The unified format's memory overhead, from the layout engine, on the structs of a bundled header. */
    public record UnifiedTable(String header, List<String> models, List<UnifiedRow> rows) {
        public UnifiedTable {
            models = List.copyOf(models);
            rows = List.copyOf(rows);
        }

        public double maxOverheadPercent() {
            return rows.stream().flatMap(r -> r.overheadPercent().values().stream()).mapToDouble(Double::doubleValue).max().orElse(0);
        }
    }

    public record UnifiedRow(String type, Map<String, Long> nativeSizes, long unifiedSize, Map<String, Double> overheadPercent) {
    }
}
