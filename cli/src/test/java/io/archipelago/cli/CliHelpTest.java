package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders as written: picocli formats descriptions with
 * {@code String.format}, and a stray {@code %} makes it print a warning and the raw text instead
 * (as {@code bench driver --help} did with "under 6%").
 */
@Timeout(30)
class CliHelpTest {

    @Test
    void everyCommandsHelpRendersWithoutAFormattingWarning() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Archipelago.commandLine(), commands);
        assertThat(commands).as("the command tree").hasSizeGreaterThan(10);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<String> warned = new ArrayList<>();
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            for (CommandLine command : commands) {
                captured.reset();
                String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
                String warnings = captured.toString(StandardCharsets.UTF_8);
                if (warnings.contains("WARN") || usage.contains("%n")) {
                    warned.add(command.getCommandSpec().qualifiedName() + ": " + warnings.strip());
                }
                assertThat(usage).as(command.getCommandSpec().qualifiedName()).contains("Usage:");
            }
        } finally {
            System.setErr(err);
        }
        assertThat(warned).as("commands whose help did not format").isEmpty();
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!into.contains(sub)) {
                collect(sub, into);
            }
        }
    }
}
