package io.archipelago.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.control.proto.ClusterStatus;
import io.archipelago.control.proto.Counter;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.kernel.KernelCounter;
import io.archipelago.memory.CounterDescriptor;
import io.archipelago.memory.MemoryCounters;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders a {@link ClusterStatus} as a table for people or as JSON for scripts. */
public final class StatusView {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StatusView() {
    }

    public static ObjectNode json(ClusterStatus status) {
        ObjectNode root = JSON.createObjectNode();
        root.put("cluster", status.getCluster());
        root.put("directory", status.getDirectory());
        root.put("coordinator_pid", status.getCoordinatorPid());
        root.put("uptime_ms", status.getUptimeMs());
        ObjectNode memory = root.putObject("memory");
        memory.put("file", status.getMemory().getFile());
        memory.put("bytes", status.getMemory().getBytes());
        memory.put("page_size", status.getMemory().getPageSize());
        memory.put("block_size", status.getMemory().getBlockSize());
        memory.put("data_blocks", status.getMemory().getDataBlocks());
        memory.put("free_blocks", status.getMemory().getFreeBlocks());
        if (!status.getPlatform().isEmpty()) {
            root.set("platform", JSON.valueToTree(io.archipelago.interconnect.platform.Platform.parseFlag(status.getPlatform()).toMap()));
        }
        ArrayNode kernels = root.putArray("kernels");
        for (KernelStatus k : status.getKernelsList()) {
            ObjectNode kernel = kernels.addObject();
            kernel.put("id", k.getId());
            kernel.put("name", k.getName());
            kernel.put("island", k.getIsland());
            kernel.put("data_model", k.getDataModel());
            kernel.put("domain", k.getDomain());
            kernel.put("cores", k.getCores());
            kernel.put("speed", k.getSpeed());
            kernel.put("pid", k.getPid());
            kernel.put("host", k.getHost());
            kernel.put("state", k.getState());
            kernel.put("uptime_ms", k.getUptimeMs());
            kernel.put("heartbeat_age_ms", k.getHeartbeatAgeMs());
            kernel.put("blocks", k.getBlocks());
            counter(k, MemoryCounters.FREE_PAGES).ifPresent(free -> kernel.put("free_pages", free));
            counter(k, KernelCounter.ENERGY_UJ).ifPresent(uj -> kernel.put("energy_mj", uj / 1000.0));
            // a kernel with an energy meter publishes whether it sleeps
            counter(k, KernelCounter.ENERGY_UJ).ifPresent(uj -> kernel.put("asleep", k.getAsleep()));
            if (k.getIrqWaitersCount() > 0) {
                // the kernel's signals: threads waiting on each device interrupt line, line 0 first
                ArrayNode waiters = kernel.putArray("irq_waiters");
                k.getIrqWaitersList().forEach(waiters::add);
            }
            if ("DEAD".equals(k.getState())) {
                kernel.put("retained_blocks", k.getBlocks());
            }
            kernel.put("mailbox", k.getMailbox());
            kernel.put("reason", k.getReason());
            ObjectNode counters = kernel.putObject("counters");
            for (Counter counter : k.getCountersList()) {
                counters.put(counter.getLabel(), counter.getValue());
            }
        }
        return root;
    }

    public static void printJson(ClusterStatus status, PrintWriter out) {
        try {
            out.println(JSON.writeValueAsString(json(status)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void printTable(ClusterStatus status, PrintWriter out, boolean counters) {
        out.printf(Locale.ROOT, "cluster %s (%s), coordinator pid %d, up %s%n", status.getCluster(), status.getDirectory(),
            status.getCoordinatorPid(), duration(status.getUptimeMs()));
        out.printf(Locale.ROOT, "global memory %s: %s pages, %s blocks, %d data blocks (%d in the free pool)%n",
            bytes(status.getMemory().getBytes()), bytes(status.getMemory().getPageSize()), bytes(status.getMemory().getBlockSize()),
            status.getMemory().getDataBlocks(), status.getMemory().getFreeBlocks());
        var platform = status.getPlatform().isEmpty() ? io.archipelago.interconnect.platform.Platform.HOST
            : io.archipelago.interconnect.platform.Platform.parseFlag(status.getPlatform());
        if (!platform.injectsNothing()) {
            out.printf(Locale.ROOT, "platform %s: between domains %s; within one %s%n", platform.name(), platform.between(), platform.within());
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "NAME", "ISLAND", "DATA MODEL", "DOMAIN", "CORES", "SPEED", "PID", "STATE", "UPTIME", "HEARTBEAT",
            "BLOCKS", "FREE PAGES", "ENERGY", "MAILBOX"});
        for (KernelStatus k : status.getKernelsList()) {
            rows.add(new String[] {Integer.toString(k.getId()), k.getName(), k.getIsland(), k.getDataModel(), k.getDomain(),
                Integer.toString(k.getCores()), String.format(Locale.ROOT, "%.2f", k.getSpeed()), Long.toString(k.getPid()), k.getState(),
                "DEAD".equals(k.getState()) ? "-" : duration(k.getUptimeMs()),
                k.getHeartbeatAgeMs() < 0 ? "-" : k.getHeartbeatAgeMs() + " ms ago",
                "DEAD".equals(k.getState()) && k.getBlocks() > 0 ? k.getBlocks() + " retained" : Integer.toString(k.getBlocks()),
                "DEAD".equals(k.getState()) ? "-" : counter(k, MemoryCounters.FREE_PAGES).map(String::valueOf).orElse("-"),
                counter(k, KernelCounter.ENERGY_UJ).map(uj -> String.format(Locale.ROOT, "%.1f mJ%s", uj / 1000.0,
                    k.getAsleep() ? " (asleep)" : "")).orElse("-"),
                k.getMailbox().isEmpty() ? "-" : k.getMailbox()});
        }
        if (status.getKernelsCount() == 0) {
            out.println("no kernel has registered yet");
        } else {
            printRows(rows, out);
        }
        for (KernelStatus k : status.getKernelsList()) {
            if (!k.getReason().isEmpty()) {
                out.printf("%s is %s: %s%n", k.getName(), k.getState(), k.getReason());
            }
        }
        if (counters) {
            for (KernelStatus k : status.getKernelsList()) {
                if (k.getCountersCount() > 0) {
                    StringBuilder line = new StringBuilder(k.getName()).append(" counters:");
                    for (Counter counter : k.getCountersList()) {
                        line.append(' ').append(counter.getLabel()).append('=').append(counter.getValue());
                    }
                    out.println(line);
                }
            }
        }
    }

    /** A kernel's counter, when it publishes it. */
    static java.util.Optional<Long> counter(KernelStatus kernel, CounterDescriptor counter) {
        return counter(kernel, counter.label());
    }

    /** As {@link #counter(KernelStatus, CounterDescriptor)}, for the labels made at run time. */
    static java.util.Optional<Long> counter(KernelStatus kernel, String label) {
        return kernel.getCountersList().stream().filter(c -> c.getLabel().equals(label)).map(Counter::getValue).findFirst();
    }

    static void printRows(List<String[]> rows, PrintWriter out) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                line.append(row[c]);
                if (c < columns - 1) {
                    line.append(" ".repeat(widths[c] - row[c].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    static String duration(long ms) {
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 120_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        if (ms < 7_200_000) {
            return String.format(Locale.ROOT, "%d min", ms / 60_000);
        }
        return String.format(Locale.ROOT, "%.1f h", ms / 3_600_000.0);
    }

    static String bytes(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }
}
