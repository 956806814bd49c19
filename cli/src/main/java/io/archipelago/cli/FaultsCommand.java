package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.control.proto.ArmFaultRequest;
import io.archipelago.control.proto.FaultControlGrpc;
import io.archipelago.control.proto.FaultState;
import io.archipelago.control.proto.FaultsRequest;
import io.archipelago.control.proto.KernelStatus;
import io.archipelago.control.proto.LinkFaultRule;
import io.archipelago.control.proto.LinkFaultsRequest;
import io.archipelago.coordinator.KernelChannels;
import io.archipelago.coordinator.config.ClusterConfig;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code archipelago faults}: inject faults into a running cluster on purpose. */
@Command(name = "faults", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Inject faults into a running cluster: crash or stop a kernel at a protocol point, disturb or cut its links.",
    description = {"Faults on purpose, to see what a fault at a given place can and cannot lose (docs/dsm.md, docs/memory.md, "
        + "docs/tasks.md say what each kind can lose). Without a subcommand, shows every kernel's armed points, link rules and the "
        + "words its faults met so far.",
        "  arm KERNEL POINT ACTION   the next thread of KERNEL to reach POINT crashes the process (crash: as kill -9, exit 137) or "
        + "stops it (stop: as kill -STOP; resume it with kill -CONT), after --delay-ms. Points: dsm.before-write-back, "
        + "dsm.mid-write-back, dsm.after-directory-cas, migration.marked, balloon.mid-inflate, balloon.mid-page-move. Each armed point fires once.",
        "  link FROM TO              words FROM sends TO are dropped, duplicated, held back behind the next one (reordered) or "
        + "delayed, at the given rates, drawn from a random sequence restarted from --seed: the same words in the same order meet "
        + "the same faults. Rates 0 remove the rule.",
        "  cut KERNEL                drops every word to and from KERNEL (its requests and its peers' requests to it time out; "
        + "membership still sees it alive: it is cut off, not dead).",
        "  heal KERNEL|--all         removes the link rules of KERNEL (words it receives) and those of its peers about it.",
        "Kernels are named by name or id. The same is in the control API: service FaultControl, served by every kernel."},
    subcommands = {FaultsCommand.Arm.class, FaultsCommand.Link.class, FaultsCommand.Cut.class, FaultsCommand.Heal.class})
final class FaultsCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--json", description = "Print JSON: {\"kernels\": [{\"kernel\", \"armed\": {point: action}, \"rules\": [{\"from\", "
        + "\"drop\", \"duplicate\", \"reorder\", \"delay_ms\"}], \"seed\", \"words_dropped\", \"words_duplicated\", \"words_reordered\", "
        + "\"words_delayed\"}]}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return withKernels(cluster, (kernels, running) -> {
            List<FaultState> states = new ArrayList<>();
            for (KernelStatus kernel : running) {
                states.add(call(kernel, () -> kernels.faults(kernel.getControl()).faults(FaultsRequest.getDefaultInstance())));
            }
            print(spec.commandLine().getOut(), states, running, json);
            return 0;
        });
    }

    /** A fault-control stub of each running kernel, the channels closed after {@code body}. */
    static int withKernels(ClusterOptions cluster, KernelsBody body) {
        try (BenchTarget target = BenchTarget.running(cluster.directory(ClusterConfig.DEFAULT_CLUSTER));
             KernelChannels channels = new KernelChannels(target.secret(), "faults@" + ProcessHandle.current().pid())) {
            List<KernelStatus> running = target.status().getKernelsList().stream().filter(k -> k.getState().equals("RUNNING")).toList();
            return body.run(new Stubs(channels), running);
        }
    }

    interface KernelsBody {
        int run(Stubs kernels, List<KernelStatus> running);
    }

    record Stubs(KernelChannels channels) {
        FaultControlGrpc.FaultControlBlockingStub faults(String control) {
            return channels.faults(control).withDeadlineAfter(30, TimeUnit.SECONDS);
        }
    }

    static KernelStatus kernel(List<KernelStatus> running, String nameOrId) {
        return running.stream().filter(k -> k.getName().equals(nameOrId) || Integer.toString(k.getId()).equals(nameOrId)).findFirst()
            .orElseThrow(() -> new CliException("no running kernel '" + nameOrId + "': expected a name or id among "
                + running.stream().map(k -> k.getName() + " (" + k.getId() + ")").toList()));
    }

    static <T> T call(KernelStatus kernel, java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw new CliException("kernel " + kernel.getName() + " (control " + kernel.getControl() + "): "
                + (e.getStatus().getDescription() != null ? e.getStatus().getDescription() : e.getStatus().getCode().toString()));
        }
    }

    static void print(PrintWriter out, List<FaultState> states, List<KernelStatus> running, boolean json) {
        Function<Integer, String> name = id -> id == -1 ? "every peer" : running.stream().filter(k -> k.getId() == id)
            .map(KernelStatus::getName).findFirst().orElse("kernel " + id);
        if (json) {
            ObjectNode root = StatusView.JSON.createObjectNode();
            ArrayNode kernels = root.putArray("kernels");
            for (FaultState state : states) {
                ObjectNode k = kernels.addObject().put("kernel", state.getKernel());
                ObjectNode armed = k.putObject("armed");
                state.getArmedMap().forEach(armed::put);
                ArrayNode rules = k.putArray("rules");
                for (LinkFaultRule rule : state.getRulesList()) {
                    rules.addObject().put("from", rule.getPeer() == -1 ? "*" : name.apply(rule.getPeer())).put("drop", rule.getDrop())
                        .put("duplicate", rule.getDuplicate()).put("reorder", rule.getReorder()).put("delay_ms", rule.getDelayMs());
                }
                k.put("seed", state.getSeed()).put("words_dropped", state.getWordsDropped()).put("words_duplicated", state.getWordsDuplicated())
                    .put("words_reordered", state.getWordsReordered()).put("words_delayed", state.getWordsDelayed());
            }
            TaskView.print(root, out);
        } else {
            for (FaultState state : states) {
                out.printf("%s: armed %s; words met: %d dropped, %d duplicated, %d reordered, %d delayed (seed %d)%n", state.getKernel(),
                    state.getArmedMap().isEmpty() ? "nothing" : state.getArmedMap(), state.getWordsDropped(), state.getWordsDuplicated(),
                    state.getWordsReordered(), state.getWordsDelayed(), state.getSeed());
                for (LinkFaultRule rule : state.getRulesList()) {
                    out.printf("  words from %s: %s%n", name.apply(rule.getPeer()), rule.getDrop() == 1 ? "cut (all dropped)"
                        : String.format("drop %.3f, duplicate %.3f, reorder %.3f, delay %d ms", rule.getDrop(), rule.getDuplicate(),
                            rule.getReorder(), rule.getDelayMs()));
                }
            }
        }
        out.flush();
    }

    @Command(name = "arm", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Crash or stop a kernel when it reaches a protocol point.",
        description = {"The next thread of KERNEL to reach POINT crashes the process (crash: exit 137, as after kill -9: no write-back, "
            + "no hand-back) or stops it (stop: SIGSTOP; kill -CONT resumes it, and if the coordinator declared it DEAD meanwhile it "
            + "halts with exit 4); disarm: the point is no longer armed. Points: dsm.before-write-back, dsm.mid-write-back (half a page copied back), dsm.after-directory-cas, "
            + "migration.marked, balloon.mid-inflate, balloon.mid-page-move, kernel.booting (with -Darchipelago.faults=... when a kernel starts)."})
    static final class Arm implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;
        @Parameters(index = "0", paramLabel = "KERNEL", description = "The kernel, by name or id.")
        String kernel;
        @Parameters(index = "1", paramLabel = "POINT", description = "The protocol point.")
        String point;
        @Parameters(index = "2", paramLabel = "ACTION", description = "crash, stop or disarm.")
        String action;
        @Option(names = "--delay-ms", defaultValue = "0", description = "The thread that reaches the point waits this long first (default: ${DEFAULT-VALUE}).")
        long delayMs;
        @Option(names = "--json", description = "Print the kernel's fault state as JSON (as `faults --json`).")
        boolean json;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return withKernels(cluster, (kernels, running) -> {
                KernelStatus target = kernel(running, kernel);
                FaultState state = FaultsCommand.call(target, () -> kernels.faults(target.getControl()).arm(ArmFaultRequest.newBuilder()
                    .setPoint(point).setAction(action).setDelayMs(delayMs).build()));
                print(spec.commandLine().getOut(), List.of(state), running, json);
                return 0;
            });
        }
    }

    @Command(name = "link", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Drop, duplicate, reorder or delay the mailbox words one kernel sends another.",
        description = {"Sets the faults the words FROM sends TO meet where they arrive (TO's mailbox applies them before a word completes "
            + "a request or raises an interrupt): each word is dropped with --drop, else held back behind the next word with --reorder "
            + "(delivered within 50 ms if none comes), else delivered --delay-ms late, and then delivered twice with --duplicate. The "
            + "draws come from a random sequence restarted from --seed. All rates 0 and no delay remove the rule."})
    static final class Link implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;
        @Parameters(index = "0", paramLabel = "FROM", description = "The sending kernel, by name or id.")
        String from;
        @Parameters(index = "1", paramLabel = "TO", description = "The receiving kernel, by name or id.")
        String to;
        @Option(names = "--drop", defaultValue = "0", description = "Probability a word is dropped (0 to 1).")
        double drop;
        @Option(names = "--duplicate", defaultValue = "0", description = "Probability a word is delivered twice (0 to 1).")
        double duplicate;
        @Option(names = "--reorder", defaultValue = "0", description = "Probability a word is held back behind the next one (0 to 1).")
        double reorder;
        @Option(names = "--delay-ms", defaultValue = "0", description = "Every word that is not dropped or held back arrives this late.")
        long delayMs;
        @Option(names = "--seed", description = "Restart the random sequence of TO's link faults from this seed (default: keep it).")
        Long seed;
        @Option(names = "--json", description = "Print TO's fault state as JSON (as `faults --json`).")
        boolean json;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return withKernels(cluster, (kernels, running) -> {
                KernelStatus sender = kernel(running, from);
                KernelStatus receiver = kernel(running, to);
                LinkFaultsRequest.Builder request = LinkFaultsRequest.newBuilder().setPeer(sender.getId()).setDrop(drop).setDuplicate(duplicate)
                    .setReorder(reorder).setDelayMs(delayMs);
                if (seed != null) {
                    request.setReseed(true).setSeed(seed);
                }
                FaultState state = FaultsCommand.call(receiver, () -> kernels.faults(receiver.getControl()).setLinkFaults(request.build()));
                print(spec.commandLine().getOut(), List.of(state), running, json);
                return 0;
            });
        }
    }

    @Command(name = "cut", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Cut a kernel's links: every word to and from it is dropped.",
        description = {"KERNEL drops every word it receives, and every other running kernel drops every word from KERNEL. Requests "
            + "either way time out with an error naming the peer. Membership still sees KERNEL alive (its heartbeat is in shared "
            + "memory): it is cut off, not dead. `faults heal KERNEL` joins it again."})
    static final class Cut implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;
        @Parameters(index = "0", paramLabel = "KERNEL", description = "The kernel, by name or id.")
        String kernel;
        @Option(names = "--json", description = "Print the fault state of every kernel as JSON (as `faults --json`).")
        boolean json;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return withKernels(cluster, (kernels, running) -> {
                KernelStatus cut = kernel(running, kernel);
                List<FaultState> states = new ArrayList<>();
                for (KernelStatus k : running) {
                    LinkFaultsRequest rule = LinkFaultsRequest.newBuilder().setPeer(k.getId() == cut.getId() ? -1 : cut.getId()).setDrop(1).build();
                    states.add(FaultsCommand.call(k, () -> kernels.faults(k.getControl()).setLinkFaults(rule)));
                }
                print(spec.commandLine().getOut(), states, running, json);
                return 0;
            });
        }
    }

    @Command(name = "heal", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Remove link faults: those of one kernel and its peers' about it, or all.",
        description = {"Removes the link rules KERNEL applies to the words it receives and those every other kernel applies to words "
            + "from KERNEL; with --all, every rule of every kernel. Armed points stay armed (each fires once)."})
    static final class Heal implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;
        @Parameters(index = "0", arity = "0..1", paramLabel = "KERNEL", description = "The kernel, by name or id.")
        String kernel;
        @Option(names = "--all", description = "Every rule of every kernel.")
        boolean all;
        @Option(names = "--json", description = "Print the fault state of every kernel as JSON (as `faults --json`).")
        boolean json;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (kernel == null && !all) {
                throw new CliException("faults heal: expected a KERNEL (name or id) or --all, found neither");
            }
            return withKernels(cluster, (kernels, running) -> {
                KernelStatus healed = all ? null : kernel(running, kernel);
                List<FaultState> states = new ArrayList<>();
                for (KernelStatus k : running) {
                    LinkFaultsRequest.Builder rule = LinkFaultsRequest.newBuilder();
                    if (healed == null || k.getId() == healed.getId()) {
                        rule.setClear(true).setPeer(-1);
                    } else {
                        rule.setPeer(healed.getId());
                    }
                    states.add(FaultsCommand.call(k, () -> kernels.faults(k.getControl()).setLinkFaults(rule.build())));
                }
                print(spec.commandLine().getOut(), states, running, json);
                return 0;
            });
        }
    }
}
