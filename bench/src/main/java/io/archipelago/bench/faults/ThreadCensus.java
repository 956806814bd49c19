package io.archipelago.bench.faults;

import io.archipelago.task.proto.TaskInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * "No thread lost": every thread a campaign started is either alive on a kernel that lives, or
 * EXITED with a code that says why (its program returned, it was killed, or it was lost with its
 * kernel and reaped), and none is left marked as migrating once every migration has ended. A
 * thread seen EXITED with such a code has met its fate: its slot may be freed later (the reaper
 * frees EXITED slots after a few seconds), and it is not looked for again.
 */
public final class ThreadCensus {

    /** Exit codes a thread may end with: its program returned (0), its kernel died (137, as kill -9), it was killed (143). */
    public static final Set<Integer> KNOWN_EXIT_CODES = Set.of(0, 137, 143);

    private final Map<Integer, String> started = new TreeMap<>();
    private final Map<Integer, Integer> ended = new TreeMap<>();

    /** A thread the campaign started; {@code origin} says where and why (for the messages). */
    public void started(int tid, String origin) {
        started.put(tid, origin);
    }

    public int startedCount() {
        return started.size();
    }

    /** The threads seen EXITED with a known code, and the code. */
    public Map<Integer, Integer> ended() {
        return Map.copyOf(ended);
    }

    /**
     * @param table the task table as one kernel read it, EXITED threads included
     * @param live  the ids of the kernels that are RUNNING now
     * @return one line per thread that breaks the invariant, by tid (empty: none lost)
     */
    public List<String> check(Collection<TaskInfo> table, Set<Integer> live) {
        Map<Integer, TaskInfo> byTid = table.stream().collect(Collectors.toMap(TaskInfo::getTid, Function.identity(), (x, y) -> x));
        List<String> lost = new ArrayList<>();
        started.forEach((tid, origin) -> {
            if (ended.containsKey(tid)) {
                return;
            }
            TaskInfo task = byTid.get(tid);
            if (task == null) {
                lost.add("thread " + tid + " (" + origin + ") is in no task table, and was never seen EXITED: lost without a trace");
            } else if (task.getState().equals("EXITED")) {
                if (KNOWN_EXIT_CODES.contains(task.getExitCode())) {
                    ended.put(tid, task.getExitCode());
                } else {
                    lost.add("thread " + tid + " (" + origin + ") EXITED with code " + task.getExitCode() + ", expected one of "
                        + KNOWN_EXIT_CODES.stream().sorted().toList() + (task.getFailure().isEmpty() ? "" : ": " + firstLine(task.getFailure())));
                }
            } else if (!live.contains(task.getKernelId())) {
                lost.add("thread " + tid + " (" + origin + ") is " + task.getState() + " on kernel " + describe(task)
                    + ", which is not running: nobody runs it, and nobody reaped it");
            } else if (task.getMigratingTo() >= 0) {
                lost.add("thread " + tid + " (" + origin + ") is still marked migrating from " + describe(task) + " to kernel "
                    + task.getMigratingTo() + " after every migration ended");
            }
        });
        return lost;
    }

    private static String describe(TaskInfo task) {
        return task.getKernel().isEmpty() ? Integer.toString(task.getKernelId()) : task.getKernel() + " (id " + task.getKernelId() + ")";
    }

    private static String firstLine(String text) {
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }
}
