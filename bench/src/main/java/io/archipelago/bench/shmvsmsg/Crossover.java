package io.archipelago.bench.shmvsmsg;

import io.archipelago.bench.shmvsmsg.ShmVsMsgReport.ContentionRow;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where messages to an owner overtake a shared-memory way in a contention series (one operation,
 * same or disjoint objects), by throughput: the series is ordered by total threads (kernels x
 * threads, then kernels), and the crossing is the first point where the messages' operations per
 * second reach the other way's, after a point where they did not.
 *
 * @param versus       the shared-memory way compared with messages: shm or dsm
 * @param firstAdvantage the other way's throughput over the messages' at the first point (&gt; 1: the other way is ahead)
 * @param lastAdvantage  the same at the last point
 * @param crossingAt   the crossing point as "KxT", or null when there is none
 */
public record Crossover(String op, String objects, String versus, double firstAdvantage, double lastAdvantage, String crossingAt,
                        String summary) {

    public boolean crosses() {
        return crossingAt != null;
    }

    /** One crossover per (operation, objects) series and shared-memory way. */
    public static List<Crossover> find(List<ContentionRow> rows) {
        Map<String, List<ContentionRow>> series = new LinkedHashMap<>();
        for (ContentionRow row : rows) {
            series.computeIfAbsent(row.op() + "\u0000" + row.objects(), k -> new ArrayList<>()).add(row);
        }
        List<Crossover> found = new ArrayList<>();
        for (List<ContentionRow> points : series.values()) {
            List<ContentionRow> ordered = points.stream()
                .sorted(Comparator.comparingInt(ContentionRow::totalThreads).thenComparingInt(ContentionRow::kernels)).toList();
            for (String versus : List.of(ShmVsMsgReport.SHM, ShmVsMsgReport.DSM)) {
                of(ordered, versus).ifPresent(found::add);
            }
        }
        return found;
    }

    private static java.util.Optional<Crossover> of(List<ContentionRow> ordered, String versus) {
        List<ContentionRow> usable = ordered.stream().filter(r -> r.way(versus).isPresent() && r.way(ShmVsMsgReport.MSG).isPresent()
            && r.way(ShmVsMsgReport.MSG).get().opsPerSecond() > 0).toList();
        if (usable.isEmpty()) {
            return java.util.Optional.empty();
        }
        double first = advantage(usable.getFirst(), versus);
        double last = advantage(usable.getLast(), versus);
        String crossing = null;
        boolean behind = false;
        for (ContentionRow row : usable) {
            double advantage = advantage(row, versus);
            if (advantage > 1) {
                behind = true;
            } else if (behind) {
                crossing = row.kernels() + "x" + row.threads();
                break;
            }
        }
        ContentionRow head = usable.getFirst();
        String name = versus.equals(ShmVsMsgReport.SHM) ? "hardware-coherent shared memory" : "the software DSM";
        String summary;
        if (crossing != null) {
            summary = String.format(Locale.ROOT, "messages overtake %s at %s kernels x threads (%s ahead %.2fx at %dx%d, %.2fx at the last point)",
                name, crossing.replace("x", " x "), versus, first, head.kernels(), head.threads(), last);
        } else if (first <= 1 && last <= 1) {
            summary = String.format(Locale.ROOT, "messages ahead of %s at every point (%s at %.2fx of the messages' throughput at %dx%d, %.2fx "
                + "at the last point)", name, versus, first, head.kernels(), head.threads(), last);
        } else if (first <= 1) {
            summary = String.format(Locale.ROOT, "messages ahead of %s at first (%.2fx), behind at the last point (%.2fx)", name, first, last);
        } else {
            summary = String.format(Locale.ROOT, "no crossing: %s ahead at every point, %.2fx the messages' throughput at %dx%d and %.2fx at "
                + "the last point", name, first, head.kernels(), head.threads(), last);
        }
        return java.util.Optional.of(new Crossover(head.op(), head.objects(), versus, first, last, crossing, summary));
    }

    private static double advantage(ContentionRow row, String versus) {
        return Ratio.of(row.way(versus).get().opsPerSecond(), row.way(ShmVsMsgReport.MSG).get().opsPerSecond());
    }
}
