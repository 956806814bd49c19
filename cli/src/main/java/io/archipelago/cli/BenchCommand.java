package io.archipelago.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code archipelago bench <suite>}: every suite measures against a baseline taken in the same
 * run and prints the ratio; {@code --json} prints the figures for scripts.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Run a benchmark suite.",
    description = {"Each suite measures against a baseline taken in the same run and prints the ratio; --json prints "
        + "the figures for scripts. `bench all` runs every suite into one report with an index page."},
    subcommands = {BenchMailboxCommand.class, BenchTypedCommand.class, BenchDsmCommand.class, BenchMigrationCommand.class,
        BenchMemoryCommand.class, BenchEnergyCommand.class, BenchDriverCommand.class, BenchShmVsMsgCommand.class, BenchScaleCommand.class, BenchFaultsCommand.class,
        BenchTraceCostCommand.class, BenchAllCommand.class})
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
