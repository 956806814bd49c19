package io.archipelago.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.devices.proto.DeviceConfig;
import io.archipelago.devices.proto.DeviceStatus;
import io.archipelago.devices.proto.KernelInterrupts;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code archipelago devices}: the coordinator's emulated devices and where their interrupts went. */
@Command(name = "devices", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Configure the emulated devices (timer, NIC, DMA) and show K2's interrupt routing.",
    description = {"The coordinator emulates a timer (line 0), a network interface whose packets arrive at a configurable rate into "
        + "a receive ring in global memory (line 1) and a DMA engine (line 2). Each interrupt goes to exactly one kernel, as an IRQ "
        + "mailbox word: by K2's rule (--routing k2, the default), a strong-island kernel while one is awake, else a weak kernel, "
        + "and the strong one is not woken; --routing strong always picks a strong kernel (the baseline). Without options, shows "
        + "the devices' state, the interrupts each kernel received and the strong wake-ups avoided."})
final class DevicesCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--nic-rate", paramLabel = "PER_S", description = "Packets per second arriving at the NIC (0 stops it; at most 20000).")
    Double nicRate;

    @Option(names = "--timer-us", paramLabel = "US", description = "The timer's period in microseconds (0 stops it; at least 1000).")
    Long timerUs;

    @Option(names = "--routing", paramLabel = "POLICY", description = "k2 (K2's rule), strong (always a strong kernel) or alternate "
        + "(every kernel in turn).")
    String routing;

    @Option(names = "--driver", paramLabel = "MODE", description = "The NIC driver's state: shared (K2's shadowed driver, "
        + "software-coherent, run by whichever kernel takes the interrupt) or private (each kernel its own).")
    String driver;

    @Option(names = "--reset", description = "Zero the interrupt counts and avoided wake-ups first.")
    boolean reset;

    @Option(names = "--json", description = "Print JSON: {\"nic_rate_per_s\", \"timer_period_us\", \"routing\", \"packets\", \"dropped\", "
        + "\"consumed\", \"timer_ticks\", \"dma_transfers\", \"strong_wakeups_avoided\", \"undelivered\", \"kernels\": [{\"id\", \"name\", "
        + "\"strong\", \"asleep\", \"timer\", \"nic\", \"dma\"}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DeviceConfig.Builder config = DeviceConfig.newBuilder().setResetCounts(reset);
        if (nicRate != null) {
            config.setNicRatePerS(nicRate);
        }
        if (timerUs != null) {
            config.setTimerPeriodUs(timerUs);
        }
        if (routing != null) {
            config.setRouting(routing);
        }
        if (driver != null) {
            config.setDriver(driver);
        }
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            DeviceStatus status = client.devices(config.build());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(json(status).toPrettyString());
            } else {
                print(status, out);
            }
            out.flush();
            return 0;
        }
    }

    static ObjectNode json(DeviceStatus s) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("nic_rate_per_s", s.getNicRatePerS());
        root.put("timer_period_us", s.getTimerPeriodUs());
        root.put("routing", s.getRouting());
        root.put("driver", s.getDriver());
        root.put("packets", s.getPackets());
        root.put("dropped", s.getDropped());
        root.put("consumed", s.getConsumed());
        root.put("ring_slots", s.getRingSlots());
        root.put("timer_ticks", s.getTimerTicks());
        root.put("dma_transfers", s.getDmaTransfers());
        root.put("dma_bytes", s.getDmaBytes());
        root.put("strong_wakeups_avoided", s.getStrongWakeupsAvoided());
        root.put("undelivered", s.getUndelivered());
        ArrayNode kernels = root.putArray("kernels");
        for (KernelInterrupts k : s.getKernelsList()) {
            ObjectNode o = kernels.addObject();
            o.put("id", k.getKernelId());
            o.put("name", k.getName());
            o.put("strong", k.getStrong());
            o.put("asleep", k.getAsleep());
            o.put("timer", k.getTimer());
            o.put("nic", k.getNic());
            o.put("dma", k.getDma());
        }
        return root;
    }

    static void print(DeviceStatus s, PrintWriter out) {
        out.printf(Locale.ROOT, "timer: %s (line %d), %d ticks%n", s.getTimerPeriodUs() == 0 ? "off" : "every " + s.getTimerPeriodUs() + " us",
            s.getTimerLine(), s.getTimerTicks());
        out.printf(Locale.ROOT, "nic:   %s (line %d), %d packets, %d consumed, %d dropped (ring of %d slots at offset %d)%n",
            s.getNicRatePerS() == 0 ? "off" : s.getNicRatePerS() + " packets/s", s.getNicLine(), s.getPackets(), s.getConsumed(),
            s.getDropped(), s.getRingSlots(), s.getDeviceAreaOffset());
        out.printf(Locale.ROOT, "dma:   line %d, %d transfers, %d bytes%n", s.getDmaLine(), s.getDmaTransfers(), s.getDmaBytes());
        out.printf(Locale.ROOT, "driver: %s%n", s.getDriver());
        out.printf(Locale.ROOT, "routing %s: %d strong wake-ups avoided, %d undelivered%n", s.getRouting(), s.getStrongWakeupsAvoided(),
            s.getUndelivered());
        out.printf(Locale.ROOT, "%-12s %-7s %-7s %8s %8s %8s%n", "KERNEL", "ISLAND", "POWER", "TIMER", "NIC", "DMA");
        for (KernelInterrupts k : s.getKernelsList()) {
            out.printf(Locale.ROOT, "%-12s %-7s %-7s %8d %8d %8d%n", k.getName(), k.getStrong() ? "strong" : "weak",
                k.getAsleep() ? "asleep" : "awake", k.getTimer(), k.getNic(), k.getDma());
        }
    }
}
