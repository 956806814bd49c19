package io.archipelago.testing;

import io.archipelago.task.proto.TaskInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What a test does with a cluster, whichever way the cluster runs: a test body written against this
 * interface runs on kernel processes ({@link MiniCluster}, the {@link Flavour#PROCESSES processes}
 * flavour) and on the compose cluster's containers
 * ({@link io.archipelago.testing.containers.ComposeCluster}, the {@link Flavour#CONTAINERS containers}
 * flavour) alike. {@link io.archipelago.testing.junit.ClusterExtension} gives a test one as a parameter.
 *
 * <p>Kernels are named by the cluster (island and id; in compose a kernel takes its id as it joins, so the
 * names depend on the order the containers came up): ask {@link #kernelOf(String)} for an island's kernel rather than
 * spelling the name. Every wait has a deadline and fails naming what it waited for and the cluster's state.
 *
 * <p>Faults map onto what each flavour has: {@link #kill9} is SIGKILL of the process or {@code docker kill}
 * of the container, {@link #freeze} is SIGSTOP or {@code docker pause}, {@link #thaw} SIGCONT or
 * {@code docker unpause}, {@link #restart} relaunches the kernel or {@code docker start}s its container
 * (a kernel container joins again, possibly under another id and name: use the returned name).
 */
public interface ClusterHandle extends AutoCloseable {

    /** How a cluster runs for a test. */
    enum Flavour {
        /** Kernel processes over a real mmap'd global memory on this machine, the coordinator in the test JVM. */
        PROCESSES,
        /** The repository's compose cluster: a coordinator container and a container per kernel, sharing a tmpfs volume. */
        CONTAINERS
    }

    /** Which flavour this cluster is. */
    Flavour flavour();

    /** The names of the kernels in membership, in id order. */
    List<String> kernelNames();

    /** The name of the first RUNNING kernel of {@code island} (e.g. {@code "strong"}); fails naming the kernels there are. */
    String kernelOf(String island);

    /** Waits until kernel {@code name} is in {@code state} (e.g. {@code RUNNING}, {@code DEAD}); fails after {@code timeout}. */
    void awaitKernelState(String name, String state, Duration timeout);

    /** Starts one thread of {@code program} (a program of the test's class path, or built in) on {@code kernel}; returns its tid. */
    int run(String kernel, String program, Map<String, String> args);

    /** Every thread of the task table, exited ones included (until their slots are reclaimed). */
    List<TaskInfo> tasks();

    /** Thread {@code tid} as the task table says, if it is still there. */
    default Optional<TaskInfo> task(int tid) {
        return tasks().stream().filter(t -> t.getTid() == tid).findFirst();
    }

    /**
     * Waits until thread {@code tid} satisfies {@code condition}; fails naming the thread, {@code what} and its last state.
     * In the containers flavour a {@link TaskInfo} carries what {@code archipelago ps --all --json} prints (no registers).
     */
    TaskInfo awaitTask(int tid, Predicate<TaskInfo> condition, String what, Duration timeout);

    /**
     * Waits until thread {@code tid} has exited; its exit code, and its failure if its program threw, are in the answer
     * (a failed thread whose slot was reclaimed meanwhile is answered as {@code ps --all} keeps it: state {@code RECLAIMED}).
     */
    default TaskInfo awaitExit(int tid, Duration timeout) {
        return awaitTask(tid, t -> t.getState().equals("EXITED") || t.getState().equals("RECLAIMED"), "EXITED", timeout);
    }

    /** Migrates thread {@code tid} to kernel {@code to} by shared memory; returns once the kernels accepted it. */
    void migrateTo(int tid, String to);

    /** A kernel's counters (label to value), as {@code archipelago status} reads them from global memory. */
    Map<String, Long> counters(String kernel);

    /** One counter of a kernel; fails naming the counters there are when it has none of that label. */
    default long counter(String kernel, String label) {
        Map<String, Long> counters = counters(kernel);
        Long value = counters.get(label);
        if (value == null) {
            throw new AssertionError("kernel " + kernel + " has no counter '" + label + "'; it has " + counters.keySet());
        }
        return value;
    }

    /** Kills a kernel at once (no cleanup runs in it); returns once it is gone. */
    void kill9(String kernel);

    /** Stops a kernel where it stands (it answers nothing, heartbeats stop) until {@link #thaw}. */
    void freeze(String kernel);

    /** Lets a {@link #freeze frozen} kernel run on. */
    void thaw(String kernel);

    /** Starts a killed kernel again and waits until it is RUNNING; returns its name (in compose it may be another one). */
    String restart(String kernel);

    /** The cluster's state as text, for failure messages. */
    String describe();

    /** Stops everything the cluster started and keeps its logs, even after a failed test. */
    @Override
    void close();
}
