package io.archipelago.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrationMode;
import io.archipelago.task.proto.SpawnReply;
import io.archipelago.task.proto.SpawnedThread;
import io.archipelago.task.proto.TaskInfo;
import io.archipelago.task.proto.TaskList;
import io.archipelago.task.proto.ThreadKind;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How {@code run}, {@code ps} and {@code migrate} print tasks, as tables and as JSON. */
final class TaskView {

    private TaskView() {
    }

    static String kind(ThreadKind kind) {
        return kind == ThreadKind.NIGHTWATCH ? "nightwatch" : "normal";
    }

    static String mode(MigrationMode mode) {
        return mode == MigrationMode.MESSAGES ? "messages" : "shared-memory";
    }

    static void printTasks(TaskList list, PrintWriter out) {
        if (list.getTasksCount() == 0) {
            out.println("no task (archipelago run PROGRAM starts one; --all shows exited ones)");
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"PID", "TID", "PROGRAM", "KIND", "KERNEL", "STATE", "STEPS", "CPU MS", "MIGR", "DATA"});
            for (TaskInfo t : list.getTasksList()) {
                String state = t.getState() + (t.getMigratingTo() >= 0 ? " (migrating)" : "")
                    + (t.getState().equals("EXITED") || t.getState().equals("RECLAIMED") ? " (" + t.getExitCode() + ")" : "")
                    + (t.getState().equals("BLOCKED") && t.getWaitIrq() >= 0 ? " (irq " + t.getWaitIrq() + ")" : "");
                String data = t.getDataRegion().isEmpty() ? "-" : t.getDataBytes() + " B, " + t.getDataModel();
                rows.add(new String[] {Integer.toString(t.getPid()), Integer.toString(t.getTid()), t.getProgram(), kind(t.getKind()),
                    t.getKernel(), state, Long.toString(t.getSteps()), String.format(Locale.ROOT, "%.1f", t.getUtimeNs() / 1e6),
                    Integer.toString(t.getMigrations()), data});
            }
            StatusView.printRows(rows, out);
            for (TaskInfo t : list.getTasksList()) {
                if (!t.getFailure().isEmpty()) {
                    out.printf("%nthread %d (%s) failed on %s, exit code %d:%n", t.getTid(), t.getProgram(), t.getKernel(), t.getExitCode());
                    t.getFailure().lines().forEach(line -> out.println("  " + line));
                }
            }
        }
        out.printf("(task table of %d slots, read by %s through a %s accessor)%n", list.getSlots(), list.getReadBy(),
            list.getAccessor().toLowerCase(Locale.ROOT));
    }

    static ObjectNode tasksJson(TaskList list) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("read_by", list.getReadBy());
        root.put("accessor", list.getAccessor());
        root.put("slots", list.getSlots());
        ArrayNode tasks = root.putArray("tasks");
        for (TaskInfo t : list.getTasksList()) {
            ObjectNode task = tasks.addObject();
            task.put("pid", t.getPid());
            task.put("tid", t.getTid());
            task.put("program", t.getProgram());
            task.put("kind", kind(t.getKind()));
            task.put("kernel", t.getKernel());
            task.put("kernel_id", t.getKernelId());
            task.put("state", t.getState());
            task.put("steps", t.getSteps());
            task.put("cycles", t.getCycles());
            task.put("utime_ns", t.getUtimeNs());
            task.put("migrations", t.getMigrations());
            task.put("migrating_to", t.getMigratingTo());
            task.put("nvcsw", t.getNvcsw());
            task.put("nivcsw", t.getNivcsw());
            task.put("exit_code", t.getExitCode());
            task.put("wait_irq", t.getWaitIrq());
            task.put("data_region", t.getDataRegion());
            task.put("data_model", t.getDataModel());
            task.put("data_bytes", t.getDataBytes());
            if (!t.getFailure().isEmpty()) {
                task.put("failure", t.getFailure());
            }
            ArrayNode regs = task.putArray("regs");
            t.getRegsList().forEach(regs::add);
        }
        return root;
    }

    static void printSpawn(SpawnReply reply, String program, PrintWriter out) {
        out.printf("process %d (%s): %d thread(s)%n", reply.getPid(), program, reply.getThreadsCount());
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TID", "KIND", "KERNEL"});
        for (SpawnedThread thread : reply.getThreadsList()) {
            rows.add(new String[] {Integer.toString(thread.getTid()), kind(thread.getKind()), thread.getKernel()});
        }
        StatusView.printRows(rows, out);
    }

    static ObjectNode spawnJson(SpawnReply reply, String program) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("pid", reply.getPid());
        root.put("program", program);
        ArrayNode threads = root.putArray("threads");
        for (SpawnedThread thread : reply.getThreadsList()) {
            ObjectNode node = threads.addObject();
            node.put("tid", thread.getTid());
            node.put("kind", kind(thread.getKind()));
            node.put("kernel", thread.getKernel());
        }
        return root;
    }

    static ObjectNode migrationJson(MigrateReply reply) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("tid", reply.getTid());
        root.put("from", reply.getFrom());
        root.put("to", reply.getTo());
        root.put("by", mode(reply.getMode()));
        root.put("state_bytes", reply.getStateBytes());
        root.put("handoff_us", reply.getAdoptedNs() > 0 ? Math.round((reply.getAdoptedNs() - reply.getStoppedNs()) / 100.0) / 10.0 : 0);
        return root;
    }

    static void print(ObjectNode json, PrintWriter out) {
        try {
            out.println(StatusView.JSON.writeValueAsString(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
