package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * A command line built for one subcommand (so that a short command does not pay for reading the
 * options of all the others) behaves as the whole one does for that subcommand.
 */
@Timeout(30)
class ArchipelagoCommandLineTest {

    @Test
    void aNamedSubcommandBuildsOnlyThatOne() {
        CommandLine status = Archipelago.commandLine(new String[] {"status", "--json"});
        assertThat(status.getSubcommands().keySet()).containsExactly("status");
        assertThat(Archipelago.commandLine(new String[] {"kernel"}).getSubcommands().keySet()).containsExactly("kernel");
    }

    @Test
    void anythingElseBuildsTheWholeTree() {
        CommandLine whole = Archipelago.commandLine();
        assertThat(whole.getSubcommands().keySet()).contains("up", "status", "bench", "help", "kernel").hasSizeGreaterThan(15);
        assertThat(Archipelago.commandLine(new String[] {"help", "status"}).getSubcommands().keySet())
            .isEqualTo(whole.getSubcommands().keySet());
        assertThat(Archipelago.commandLine(new String[] {"--version"}).getSubcommands().keySet())
            .isEqualTo(whole.getSubcommands().keySet());
        assertThat(Archipelago.commandLine(new String[] {"stauts"}).getSubcommands().keySet())
            .isEqualTo(whole.getSubcommands().keySet());
    }

    @Test
    void theSubcommandsUsageIsTheSameEitherWay() {
        String alone = Archipelago.commandLine(new String[] {"status"}).getSubcommands().get("status")
            .getUsageMessage(CommandLine.Help.Ansi.OFF);
        String inTheWhole = Archipelago.commandLine().getSubcommands().get("status").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertThat(alone).contains("Usage: archipelago status").isEqualTo(inTheWhole);
    }

    @Test
    void aMisspelledCommandIsStillTold() {
        StringWriter err = new StringWriter();
        CommandLine cli = Archipelago.commandLine(new String[] {"stauts"});
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("stauts");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument at index 0: 'stauts'").contains("Did you mean: archipelago");
    }
}
