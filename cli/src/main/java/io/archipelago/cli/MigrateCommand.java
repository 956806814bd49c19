package io.archipelago.cli;

import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.task.proto.MigrateReply;
import io.archipelago.task.proto.MigrateRequest;
import io.archipelago.task.proto.MigrationMode;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code archipelago migrate}: moves a thread to another kernel. */
@Command(name = "migrate", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Move a thread to another kernel.",
    description = {"Migrates thread TID to KERNEL at its next migration point (the end of its current step). By shared memory "
        + "(default): its descriptor and typed data stay where they are; the destination attaches them, with accessors morphed for "
        + "their layout when its data model differs, and takes ownership (a MIGRATE word over the mailbox). By messages: its state is "
        + "serialized with Protocol Buffers, sent over the control channel and rebuilt at the destination in its own layout.",
        "A migration to a dead kernel, of an unknown or exited thread, or while another migration of the thread is under way fails "
            + "with a message, and the thread keeps running where it was. NightWatch threads go only to weak islands."})
final class MigrateCommand implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "TID", description = "The thread (see `archipelago ps`).")
    int tid;

    @Option(names = "--to", required = true, paramLabel = "KERNEL", description = "The destination kernel: its name or the id `status` prints.")
    String to;

    @Option(names = "--by", paramLabel = "shared-memory|messages", description = "How the state moves (default: ${DEFAULT-VALUE}).")
    String by = "shared-memory";

    @Option(names = "--json", description = "Print JSON: {\"tid\", \"from\", \"to\", \"by\", \"state_bytes\", \"handoff_us\"}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        MigrationMode mode = switch (by) {
            case "shared-memory", "shm" -> MigrationMode.SHARED_MEMORY;
            case "messages", "msg" -> MigrationMode.MESSAGES;
            default -> throw new CliException("--by: expected shared-memory or messages, found '" + by + "'");
        };
        try (ControlClient client = ControlClient.connect(cluster.directory(ClusterConfig.DEFAULT_CLUSTER))) {
            MigrateReply reply = client.migrate(MigrateRequest.newBuilder().setTid(tid).setTo(to).setMode(mode).build());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                TaskView.print(TaskView.migrationJson(reply), out);
            } else {
                out.printf(Locale.ROOT, "thread %d: %s -> %s by %s (%d bytes of state %s; stopped to taken over in %.1f us)%n", reply.getTid(),
                    reply.getFrom(), reply.getTo(), TaskView.mode(reply.getMode()), reply.getStateBytes(),
                    reply.getMode() == MigrationMode.MESSAGES ? "sent" : "left in place",
                    reply.getAdoptedNs() > 0 ? (reply.getAdoptedNs() - reply.getStoppedNs()) / 1e3 : 0.0);
            }
            out.flush();
            return 0;
        }
    }
}
