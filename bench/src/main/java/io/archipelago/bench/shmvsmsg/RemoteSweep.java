package io.archipelago.bench.shmvsmsg;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.OpRow;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The remote-latency sweep of {@code bench shm-vs-msg --sweep-remote-ns}: the size sweep's operations,
 * by shared memory, DSM and messages, on one cluster per modelled remote cache-line latency (the
 * shared objects homed in the other domain, their accessors paying it per line), and where messages
 * start to beat shared memory.
 *
 * @param platform the platform the sweep starts from (its name), every other cost kept
 * @param points   one per remote latency, in the order swept
 */
public record RemoteSweep(String platform, List<Point> points) {

    /** The size sweep measured with shared memory's cache lines {@code remoteNs} away. */
    public record Point(long remoteNs, List<OpRow> ops) {
        public Point {
            ops = List.copyOf(ops);
        }

        Optional<OpRow> row(String op, long bytes) {
            return ops.stream().filter(r -> r.op().equals(op) && r.bytes() == bytes).findFirst();
        }
    }

    /**
     * Where messages (the faster of URPC and gRPC) first beat shared memory for one operation and
     * size: {@code fromNs} the first remote latency swept where a message's p50 is below shared
     * memory's, empty when none up to the largest swept.
     */
    public record Crossover(String op, long bytes, Optional<Long> fromNs, String by, long sweptUpToNs) {
        public String summary() {
            return fromNs.map(ns -> String.format(Locale.ROOT, "messages (%s) beat shared memory from %d ns per remote line", by, ns))
                .orElse(String.format(Locale.ROOT, "shared memory wins up to %d ns per remote line (no crossover)", sweptUpToNs));
        }
    }

    public RemoteSweep {
        points = List.copyOf(points);
        if (points.isEmpty()) {
            throw new IllegalArgumentException("a remote-latency sweep needs at least one point");
        }
    }

    /** Parses {@code --sweep-remote-ns}: whole ns, 0 to 10 ms, each once, in increasing order. */
    public static List<Long> parseValues(List<String> values) {
        List<Long> parsed = new ArrayList<>();
        for (String value : values) {
            long ns;
            try {
                ns = Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sweep-remote-ns: expected whole nanoseconds separated by commas (e.g. "
                    + "0,100,200,500,1000,2000), found '" + value + "'");
            }
            if (ns < 0 || ns > 10_000_000) {
                throw new IllegalArgumentException("--sweep-remote-ns: expected 0 to 10000000 ns per remote line, found " + ns);
            }
            if (!parsed.isEmpty() && ns <= parsed.getLast()) {
                throw new IllegalArgumentException("--sweep-remote-ns: expected increasing values, each once, found " + ns + " after "
                    + parsed.getLast());
            }
            parsed.add(ns);
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("--sweep-remote-ns: expected at least one value");
        }
        return List.copyOf(parsed);
    }

    /** Every (operation, size) of the sweep, in the order measured. */
    private List<OpRow> cells() {
        Set<String> seen = new LinkedHashSet<>();
        List<OpRow> cells = new ArrayList<>();
        for (Point point : points) {
            for (OpRow row : point.ops()) {
                if (seen.add(row.op() + "\u0000" + row.bytes())) {
                    cells.add(row);
                }
            }
        }
        return cells;
    }

    /** Per operation and size: the first remote latency where messages beat shared memory. */
    public List<Crossover> crossovers() {
        long last = points.getLast().remoteNs();
        List<Crossover> found = new ArrayList<>();
        for (OpRow cell : cells()) {
            Crossover crossover = new Crossover(cell.op(), cell.bytes(), Optional.empty(), "", last);
            for (Point point : points) {
                Optional<OpRow> row = point.row(cell.op(), cell.bytes());
                Optional<Double> shm = row.flatMap(r -> r.way(ShmVsMsgReport.SHM)).map(Figure::exactP50);
                Optional<String> faster = row.flatMap(RemoteSweep::fasterMessage);
                if (shm.isPresent() && faster.isPresent() && row.get().way(faster.get()).get().exactP50() < shm.get()) {
                    crossover = new Crossover(cell.op(), cell.bytes(), Optional.of(point.remoteNs()), faster.get(), last);
                    break;
                }
            }
            found.add(crossover);
        }
        return found;
    }

    /** The faster message way of a row (URPC or gRPC), by p50. */
    private static Optional<String> fasterMessage(OpRow row) {
        Optional<Figure> urpc = row.way(ShmVsMsgReport.URPC);
        Optional<Figure> msg = row.way(ShmVsMsgReport.MSG);
        if (urpc.isEmpty()) {
            return msg.map(f -> ShmVsMsgReport.MSG);
        }
        if (msg.isEmpty()) {
            return Optional.of(ShmVsMsgReport.URPC);
        }
        return Optional.of(urpc.get().exactP50() <= msg.get().exactP50() ? ShmVsMsgReport.URPC : ShmVsMsgReport.MSG);
    }

    /** The sweep as the JSON's {@code remote_sweep}: every point's p50 per way, and the crossovers. */
    public ObjectNode json() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("platform", platform);
        ArrayNode values = root.putArray("remote_line_ns");
        points.forEach(p -> values.add(p.remoteNs()));
        ArrayNode rows = root.putArray("points");
        for (Point point : points) {
            for (OpRow row : point.ops()) {
                ObjectNode node = rows.addObject();
                node.put("remote_line_ns", point.remoteNs());
                node.put("op", row.op());
                node.put("bytes", row.bytes());
                for (String way : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM, ShmVsMsgReport.MSG, ShmVsMsgReport.URPC)) {
                    row.way(way).ifPresent(figure -> node.put(way + "_ns", Math.round(figure.exactP50() * 10) / 10.0));
                }
            }
        }
        ArrayNode crossovers = root.putArray("crossovers");
        for (Crossover crossover : crossovers()) {
            ObjectNode node = crossovers.addObject();
            node.put("op", crossover.op());
            node.put("bytes", crossover.bytes());
            if (crossover.fromNs().isPresent()) {
                node.put("messages_win_from_ns", crossover.fromNs().get());
                node.put("by", crossover.by());
            } else {
                node.putNull("messages_win_from_ns");
            }
            node.put("swept_up_to_ns", crossover.sweptUpToNs());
            node.put("summary", crossover.summary());
        }
        return root;
    }
}
