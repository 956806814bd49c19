package io.archipelago.kernel.sched;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each core's states over virtual time: contiguous intervals from the moment the scheduler
 * started, BUSY while a step runs, IDLE otherwise; consecutive intervals of one state merge.
 * Keeps running totals, the number of IDLE-to-BUSY transitions (wake-ups), a bounded history,
 * and tells listeners of every closed interval, so that an energy meter integrates a power
 * model per core without asking again.
 * <p>
 * A core's intervals are recorded by that core's own thread; readers on other threads see a
 * consistent snapshot per core.
 */
public final class CoreTimeline {

    private static final Logger LOG = LoggerFactory.getLogger(CoreTimeline.class);

    private final Core[] cores;
    private final List<CoreStateListener> listeners = new CopyOnWriteArrayList<>();

    public CoreTimeline(int cores, int historyPerCore, long startNs) {
        this.cores = new Core[cores];
        for (int i = 0; i < cores; i++) {
            this.cores[i] = new Core(i, historyPerCore, startNs);
        }
    }

    public int cores() {
        return cores.length;
    }

    public void addListener(CoreStateListener listener) {
        listeners.add(listener);
    }

    /**
     * Records that {@code core} was in {@code state} over [start, end). Intervals must follow each
     * other without gaps; one that starts before the end of the last is cut to start there.
     */
    public void record(int core, CoreState state, long start, long end) {
        List<CoreInterval> closed = new ArrayList<>(2);
        cores[core].record(state, start, end, closed);
        for (CoreInterval interval : closed) {
            notifyListeners(interval);
        }
    }

    /** Closes the open interval of every core (at shutdown, or before reading totals that must include it). */
    public void flush() {
        for (Core core : cores) {
            CoreInterval closed = core.close();
            if (closed != null) {
                notifyListeners(closed);
            }
        }
    }

    private void notifyListeners(CoreInterval closed) {
        for (CoreStateListener listener : listeners) {
            try {
                listener.onInterval(closed);
            } catch (RuntimeException e) {
                LOG.warn("core state listener {} failed on {}: {}", listener, closed, e.toString());
            }
        }
    }

    /** Totals of a core up to the end of what was recorded. */
    public Totals totals(int core) {
        return cores[core].totals();
    }

    /** The interval the core is in now, not closed yet (null right after {@link #flush}): an energy meter's reading adds it. */
    public CoreInterval openInterval(int core) {
        return cores[core].open();
    }

    /** The core's recent intervals (the open one last), oldest first. */
    public List<CoreInterval> history(int core) {
        return cores[core].history();
    }

    /**
     * A core's accumulated time per state.
     *
     * @param recordedUntilNs the end of the last recorded interval (virtual ns)
     * @param wakeups         IDLE-to-BUSY transitions
     */
    public record Totals(int core, long busyNs, long idleNs, long wakeups, long recordedUntilNs, CoreState lastState) {
    }

    private static final class Core {
        private final int id;
        private final int historyLimit;
        private final ArrayDeque<CoreInterval> history = new ArrayDeque<>();
        private CoreState openState;
        private long openStart;
        private long openEnd;
        private long busy;
        private long idle;
        private long wakeups;

        Core(int id, int historyLimit, long startNs) {
            this.id = id;
            this.historyLimit = Math.max(1, historyLimit);
            this.openEnd = startNs;
            this.openStart = startNs;
            this.openState = CoreState.IDLE;
        }

        synchronized void record(CoreState state, long start, long end, List<CoreInterval> closed) {
            start = Math.max(start, openEnd);
            if (end <= start) {
                return;
            }
            if (start > openEnd) {
                // a gap nobody recorded: the core had nothing to do
                record(CoreState.IDLE, openEnd, start, closed);
            }
            if (state == CoreState.BUSY) {
                busy += end - start;
            } else {
                idle += end - start;
            }
            if (state == openState) {
                openEnd = end;
                return;
            }
            if (openState != null && openEnd > openStart) {
                CoreInterval interval = new CoreInterval(id, openState, openStart, openEnd);
                remember(interval);
                closed.add(interval);
                if (openState == CoreState.IDLE && state == CoreState.BUSY) {
                    wakeups++;
                }
            }
            openState = state;
            openStart = start;
            openEnd = end;
        }

        synchronized CoreInterval close() {
            if (openState == null || openEnd <= openStart) {
                return null;
            }
            CoreInterval closed = new CoreInterval(id, openState, openStart, openEnd);
            remember(closed);
            openStart = openEnd;
            openState = null;
            return closed;
        }

        private void remember(CoreInterval interval) {
            history.addLast(interval);
            while (history.size() > historyLimit) {
                history.removeFirst();
            }
        }

        synchronized Totals totals() {
            return new Totals(id, busy, idle, wakeups, openEnd, openState);
        }

        synchronized CoreInterval open() {
            return openState != null && openEnd > openStart ? new CoreInterval(id, openState, openStart, openEnd) : null;
        }

        synchronized List<CoreInterval> history() {
            List<CoreInterval> list = new ArrayList<>(history);
            if (openState != null && openEnd > openStart) {
                list.add(new CoreInterval(id, openState, openStart, openEnd));
            }
            return list;
        }
    }
}
