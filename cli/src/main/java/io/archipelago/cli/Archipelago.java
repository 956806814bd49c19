package io.archipelago.cli;

import io.archipelago.coordinator.ClusterAlreadyRunningException;
import io.archipelago.coordinator.config.ConfigException;
import io.archipelago.kernel.boot.KernelMain;
import io.archipelago.memory.GlobalMemoryMismatchException;
import java.io.UncheckedIOException;
import java.util.List;
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
        "Start with `archipelago demo`, or `archipelago up --detach` then `archipelago status`."})
public final class Archipelago implements Runnable {

    /** The subcommands, in the order the usage lists them ({@code kernel} comes last, see {@link #commandLine()}). */
    private static final List<Class<?>> SUBCOMMANDS = List.of(UpCommand.class, StatusCommand.class, DownCommand.class, DemoCommand.class,
        BenchCommand.class, LayoutCommand.class, RegionsCommand.class, RunCommand.class, PsCommand.class, MigrateCommand.class,
        KillCommand.class, FaultsCommand.class, DevicesCommand.class, TraceCommand.class, ProgramsCommand.class, CalibrateCommand.class,
        CommandLine.HelpCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return commandLine(args).execute(args);
    }

    /** The whole command line, every subcommand in it. */
    public static CommandLine commandLine() {
        return commandLine(new String[0]);
    }

    /**
     * The command line for these arguments. Picocli reads the options of every subcommand it is
     * given by reflection when it is built, a third of a second of a short command such as
     * {@code status} on a busy machine; when the first argument names a subcommand (other than
     * {@code help}), only that one is built, and its usage and errors are the same as in the whole
     * command line.
     */
    static CommandLine commandLine(String[] args) {
        CommandLine commandLine = new CommandLine(new Archipelago());
        String first = args.length > 0 ? args[0] : "";
        Class<?> only = SUBCOMMANDS.stream()
            .filter(command -> command != CommandLine.HelpCommand.class && command.getAnnotation(Command.class).name().equals(first))
            .findFirst().orElse(null);
        if (only != null) {
            commandLine.addSubcommand(only);
        } else if (!first.equals("kernel")) {
            SUBCOMMANDS.forEach(commandLine::addSubcommand);
        }
        if (only == null) {
            commandLine.addSubcommand("kernel", new KernelMain());
        }
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
