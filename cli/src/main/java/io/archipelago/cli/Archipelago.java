package io.archipelago.cli;

import io.archipelago.coordinator.ClusterAlreadyRunningException;
import io.archipelago.coordinator.config.ConfigException;
import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.memory.GlobalMemoryMismatchException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code archipelago} command line. */
@Command(name = "archipelago", mixinStandardHelpOptions = true, version = "Archipelago 0.1.0",
    usageHelpAutoWidth = true,
    description = {
        "Emulates a multiple-kernel operating system on a shared-memory interconnect: every kernel is a JVM process "
            + "bound to an emulated processor island; the kernels share one mmap'd file as physical memory and talk "
            + "through an emulated 32-bit hardware mailbox.",
        "",
        "Start with `archipelago demo`, or `archipelago up --detach` then `archipelago status`."},
    subcommands = {UpCommand.class, StatusCommand.class, DownCommand.class, DemoCommand.class, BenchCommand.class, LayoutCommand.class,
        RegionsCommand.class, RunCommand.class, PsCommand.class, MigrateCommand.class, KillCommand.class, FaultsCommand.class, DevicesCommand.class, TraceCommand.class, ProgramsCommand.class, CalibrateCommand.class,
        CommandLine.HelpCommand.class})
public final class Archipelago implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Archipelago());
        commandLine.addSubcommand("kernel", new KernelMain());
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            String message = switch (exception) {
                case CliException e -> e.getMessage();
                case ClusterAlreadyRunningException e -> e.getMessage();
                case ConfigException e -> "invalid cluster configuration: " + e.getMessage();
                case GlobalMemoryMismatchException e -> e.getMessage();
                case UncheckedIOException e -> e.getMessage();
                case IllegalArgumentException e -> e.getMessage();
                case IllegalStateException e -> e.getMessage();
                default -> null;
            };
            if (message == null) {
                throw exception;
            }
            cmd.getErr().println("archipelago " + cmd.getCommandName() + ": " + message);
            return exception instanceof CliException e ? e.exitCode() : 1;
        });
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
