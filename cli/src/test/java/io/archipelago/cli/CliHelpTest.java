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

    /**
     * picocli wraps each element of a description on its own, so a sentence split over two elements
     * breaks mid-sentence at whatever width the terminal has; paragraphs are one element each.
     */
    @Test
    void everyDescriptionIsWrittenAsParagraphsForPicocliToWrap() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Archipelago.commandLine(), commands);
        List<String> broken = new ArrayList<>();
        for (CommandLine command : commands) {
            CommandLine.Model.CommandSpec spec = command.getCommandSpec();
            check(spec.qualifiedName(), spec.usageMessage().description(), broken);
            spec.options().forEach(option -> check(spec.qualifiedName() + " " + option.longestName(), option.description(), broken));
            spec.positionalParameters().forEach(parameter -> check(spec.qualifiedName() + " " + parameter.paramLabel(),
                parameter.description(), broken));
        }
        assertThat(broken).as("descriptions with a line that ends mid-sentence before the next line").isEmpty();
    }

    private static void check(String where, String[] description, List<String> broken) {
        for (int i = 0; i + 1 < description.length; i++) {
            String line = description[i].strip();
            String next = description[i + 1];
            boolean continues = !next.isEmpty() && !Character.isWhitespace(next.charAt(0)) && !next.startsWith("-");
            boolean listItem = Character.isWhitespace(description[i].isEmpty() ? 'x' : description[i].charAt(0)) || line.startsWith("-");
            if (!line.isEmpty() && continues && !listItem && !line.matches(".*[.:!?)]$")) {
                broken.add(where + ": '" + line + "' / '" + next.strip() + "'");
            }
        }
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
