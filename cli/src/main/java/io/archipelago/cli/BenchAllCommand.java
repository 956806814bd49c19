package io.archipelago.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.archipelago.bench.SuiteIndex;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code archipelago bench all}: every benchmark suite, one after the other, each with
 * {@code --json} (and {@code --quick}, and {@code --out}, where the suite has them), into one
 * directory with an index page. The suites are the {@code bench} subcommands: those of
 * {@link #CATALOG} in its order (a suite of the catalog that does not exist yet is listed as not
 * available, with what it will measure), then any other, so a new suite is run as soon as it is
 * a subcommand of {@code bench}; add it to the catalog to place and describe it.
 */
@Command(name = "all", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, sortOptions = false,
    header = "Run every benchmark suite into one report with an index page.",
    description = {"Runs the suites one after the other, each on its own temporary cluster, with --json (and --quick and --out where "
        + "the suite has them): mailbox, typed, dsm, migration, memory, energy, driver, shm-vs-msg, then any other bench suite. "
        + "A suite that does not exist yet is listed as not available; a suite that fails is reported and the others still run "
        + "(the exit code is then 1). Writes <suite>.json (and <suite>/ for suites with --out), index.md and index.json to --out; with "
        + "--trace, each suite's timeline and its picture, <suite>/timeline.png."})
final class BenchAllCommand implements Callable<Integer> {

    /** A suite as the index describes it. */
    record Suite(String name, String description) {
    }

    /** The suites, in the order they run; each is the {@code bench} subcommand of that name. */
    static final List<Suite> CATALOG = List.of(
        new Suite("mailbox", "32-bit mailbox round trip and throughput against a plain socket"),
        new Suite("typed", "typed access: native, morphed, interpreted, converted (JMH)"),
        new Suite("dsm", "DSM page transfer against the mailbox round trip; lost updates"),
        new Suite("migration", "thread migration by shared memory against by messages"),
        new Suite("memory", "page allocator and balloon driver under memory pressure"),
        new Suite("energy", "K2's energy for light OS work, strong against weak island"),
        new Suite("driver", "K2's shared driver overhead"),
        new Suite("shm-vs-msg", "message passing against shared memory and the DSM, by size and under contention"));

    static final Path DEFAULT_OUT = Path.of("target", "bench", "all");

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the reports and the index (default: ${DEFAULT-VALUE}).")
    Path out = DEFAULT_OUT;

    @Option(names = "--trace", paramLabel = "FILE", description = "Each suite's timeline: written to FILE with the suite's name before "
        + "its extension (run.perfetto-trace: run-mailbox.perfetto-trace, ...; JSON when FILE ends in .json), and drawn as "
        + "<suite>/timeline.png in --out.")
    Path trace;

    @Option(names = "--quick", description = "Run every suite that has one in its --quick (CI) mode.")
    boolean quick;

    @Option(names = "--suites", paramLabel = "NAME", split = ",", description = "Only these suites, in this order (default: all of them).")
    List<String> only;

    @Option(names = "--json", description = "Print the index as JSON: {\"suites\": [{\"suite\", \"status\": \"ok|failed|not_available\", "
        + "\"seconds\", \"headline\": {...}, \"files\", \"message\"}], \"failed\"}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, CommandLine> available = suites();
        List<Suite> plan = plan(available);
        Path dir = out.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        PrintWriter err = spec.commandLine().getErr();
        SuiteIndex index = new SuiteIndex();
        int position = 0;
        for (Suite suite : plan) {
            position++;
            CommandLine command = available.get(suite.name());
            if (command == null) {
                String message = "no `bench " + suite.name() + "` in this build yet (" + suite.description() + ")";
                err.printf("bench all: [%d/%d] %s: skipped: %s%n", position, plan.size(), suite.name(), message);
                err.flush();
                index.add(new SuiteIndex.Entry(suite.name(), suite.description(), SuiteIndex.Status.NOT_AVAILABLE, 0, null, List.of(), message));
                continue;
            }
            err.printf("bench all: [%d/%d] %s: %s%n", position, plan.size(), suite.name(), suite.description());
            err.flush();
            index.add(run(suite, command, dir, err));
        }
        String finished = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        write(dir.resolve("index.md"), index.markdown(commandLine(), finished));
        write(dir.resolve("index.json"), StatusView.JSON.writeValueAsString(index.json()) + "\n");
        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            stdout.println(StatusView.JSON.writeValueAsString(index.json()));
        } else {
            for (SuiteIndex.Entry entry : index.entries()) {
                stdout.printf(Locale.ROOT, "%-12s %-18s %5.0f s  %s%n", entry.suite(), entry.status().name().toLowerCase(Locale.ROOT),
                    entry.seconds(), entry.status() == SuiteIndex.Status.OK ? String.join(", ", entry.files()) : entry.message());
            }
            stdout.println("index: " + dir.resolve("index.md"));
        }
        stdout.flush();
        return index.anyFailed() ? 1 : 0;
    }

    /** A suite's timeline file: {@code trace} with the suite's name before its extension. */
    static Path suiteTrace(Path trace, String suite) {
        String name = trace.getFileName().toString();
        int dot = name.indexOf('.', 1);
        String named = dot < 0 ? name + "-" + suite : name.substring(0, dot) + "-" + suite + name.substring(dot);
        return trace.resolveSibling(named);
    }

    /** The bench subcommands by name, except this one. */
    private Map<String, CommandLine> suites() {
        Map<String, CommandLine> suites = new LinkedHashMap<>(spec.parent().subcommands());
        suites.remove(spec.name());
        suites.remove("help");
        return suites;
    }

    /** The catalog's suites in order, then any other subcommand of bench; or only those asked for. */
    private List<Suite> plan(Map<String, CommandLine> available) {
        List<Suite> all = new ArrayList<>(CATALOG);
        for (String name : available.keySet()) {
            if (CATALOG.stream().noneMatch(s -> s.name().equals(name))) {
                String header = String.join(" ", available.get(name).getCommandSpec().usageMessage().header());
                all.add(new Suite(name, header.isBlank() ? "bench " + name : header));
            }
        }
        if (only == null || only.isEmpty()) {
            return all;
        }
        List<Suite> chosen = new ArrayList<>();
        for (String name : only) {
            Suite suite = all.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new CliException("no suite '" + name
                + "': expected one of " + String.join(", ", all.stream().map(Suite::name).toList())));
            chosen.add(suite);
        }
        return chosen;
    }

    /** Runs one suite in this process, its stdout (the JSON) captured, its stderr (progress) passed through and kept for errors. */
    private SuiteIndex.Entry run(Suite suite, CommandLine command, Path dir, PrintWriter err) {
        List<String> args = new ArrayList<>();
        CommandSpec suiteSpec = command.getCommandSpec();
        if (suiteSpec.findOption("--json") != null) {
            args.add("--json");
        }
        if (quick && suiteSpec.findOption("--quick") != null) {
            args.add("--quick");
        }
        List<String> files = new ArrayList<>();
        Path suiteDir = dir.resolve(suite.name());
        if (suiteSpec.findOption("--out") != null) {
            args.add("--out");
            args.add(suiteDir.toString());
        }
        if (trace != null && suiteSpec.findOption("--trace") != null) {
            args.add("--trace");
            args.add(suiteTrace(trace, suite.name()).toString());
            if (suiteSpec.findOption("--timeline-png") != null) {
                args.add("--timeline-png");
                args.add(suiteDir.resolve("timeline.png").toString());
            }
        }
        StringWriter captured = new StringWriter();
        StringWriter errors = new StringWriter();
        PrintWriter previousOut = command.getOut();
        PrintWriter previousErr = command.getErr();
        command.setOut(new PrintWriter(captured, true));
        command.setErr(new PrintWriter(new Tee(err, errors), true));
        long start = System.nanoTime();
        int exit;
        java.io.PrintStream systemOut = System.out;
        CommandLine.IExecutionStrategy previousStrategy = command.getExecutionStrategy();
        // what a suite's libraries print on System.out (JMH's progress) is not its result: keep stdout for the index
        System.setOut(System.err);
        // picocli's built-in strategies remember the System.out of their creation, and execute() replaces the command's
        // writer with it when System.out has changed since: a strategy made now leaves the capturing writer in place
        command.setExecutionStrategy(new CommandLine.RunLast());
        try {
            exit = command.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(systemOut);
            command.setExecutionStrategy(previousStrategy);
            command.setOut(previousOut);
            command.setErr(previousErr);
        }
        double seconds = Math.round((System.nanoTime() - start) / 1e8) / 10.0;
        String stdout = captured.toString();
        JsonNode json = null;
        try {
            json = stdout.isBlank() ? null : StatusView.JSON.readTree(stdout);
        } catch (IOException e) {
            // not JSON: kept as text below
        }
        Path jsonFile = dir.resolve(suite.name() + (json != null ? ".json" : ".txt"));
        write(jsonFile, stdout);
        files.add(jsonFile.getFileName().toString());
        if (Files.isDirectory(suiteDir)) {
            try (Stream<Path> written = Files.list(suiteDir)) {
                written.sorted().forEach(f -> files.add(suite.name() + "/" + f.getFileName()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (exit != 0) {
            String lastLines = lastLines(errors.toString(), 3);
            return new SuiteIndex.Entry(suite.name(), suite.description(), SuiteIndex.Status.FAILED, seconds, json, files,
                "exit code " + exit + (lastLines.isEmpty() ? "" : ": " + lastLines));
        }
        return new SuiteIndex.Entry(suite.name(), suite.description(), SuiteIndex.Status.OK, seconds, json, files, "");
    }

    private static String lastLines(String text, int count) {
        List<String> lines = text.lines().filter(l -> !l.isBlank() && !l.contains("[INFO]")).toList();
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - count), lines.size())).trim();
    }

    private String commandLine() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        int own = args.indexOf(spec.name()); // the parse may have started at the root command or at this one
        List<String> options = own >= 0 ? args.subList(own + 1, args.size()) : args;
        return "archipelago bench all" + (options.isEmpty() ? "" : " " + String.join(" ", options));
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes to the terminal and keeps a copy (a suite's error messages for the index). */
    private static final class Tee extends Writer {
        private final Writer first;
        private final Writer second;

        Tee(Writer first, Writer second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(char[] buffer, int offset, int length) throws IOException {
            first.write(buffer, offset, length);
            second.write(buffer, offset, length);
        }

        @Override
        public void flush() throws IOException {
            first.flush();
            second.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
