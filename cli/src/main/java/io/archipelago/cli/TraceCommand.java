package io.archipelago.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.coordinator.config.ClusterConfig;
import io.archipelago.directory.ClusterDirectory;
import io.archipelago.interconnect.mailbox.MailboxType;
import io.archipelago.interconnect.mailbox.MailboxWord;
import io.archipelago.interconnect.mailbox.MemberIds;
import io.archipelago.trace.PerfettoTrace;
import io.archipelago.trace.TraceFormatException;
import io.archipelago.trace.TraceRing;
import io.archipelago.trace.perfetto.Trace;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "trace", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Save a timeline of the whole cluster, for Perfetto.",
    description = {"Every kernel records its events (each emulated core's steps, NightWatch steps, DSM faults, migrations, interrupts, the "
        + "kernel's boot, mailbox words) into a bounded "
        + "ring in the cluster directory (trace/<kernel id>.ring, 1 MiB each: the newest 32,768 events; its mailbox words in "
        + "trace/<kernel id>.words.ring, as many), from boot, cheaply "
        + "enough to leave on; the coordinator records in trace/65535.ring every interrupt its devices raise and which kernel "
        + "it routed it to, and why (K2's rule). `trace save` merges every ring into one Perfetto trace in host time, a track "
        + "per kernel, per core (with its virtual clock) and per interrupt context, counter tracks of each kernel's pages held, free pages "
        + "and energy; open it in the Perfetto UI (ui.perfetto.dev, 'Open trace file'). `--format json` (or a FILE ending in .json) "
        + "writes Chrome's trace-event JSON instead; `trace render` draws a saved trace as a PNG. The rings are read from the cluster "
        + "directory without asking the kernels, so a dead kernel's last events are there too.",
        "",
        "Examples: archipelago trace save --out /tmp/cluster.perfetto-trace",
        "          archipelago trace render /tmp/cluster.perfetto-trace --png /tmp/timeline.png"},
    subcommands = {TraceCommand.Save.class, TraceCommand.Render.class})
final class TraceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "save", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Write every kernel's recorded events as one Perfetto trace.")
    static final class Save implements Callable<Integer> {

        @Mixin
        ClusterOptions cluster;

        @Option(names = "--out", required = true, paramLabel = "FILE", description = "The trace to write (replaced if it exists).")
        Path out;

        @Option(names = "--format", paramLabel = "FORMAT", description = "perfetto (Perfetto's TrackEvent protobufs) or json (Chrome's "
            + "trace-event JSON, {\"traceEvents\": [...]}). Default: json when FILE ends in .json, perfetto otherwise.")
        String format;

        @Option(names = "--json", description = "Print JSON: {\"file\", \"events\", \"lost\", \"kernels\": [{\"id\", \"name\", \"events\", "
            + "\"lost\"}], \"coordinator\": {\"events\", \"lost\"} (its devices' interrupts and their routing)}; also \"format\".")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Format written = format == null ? Format.of(out) : Format.named(format);
            List<TraceRing.Snapshot> rings = save(cluster.directory(ClusterConfig.DEFAULT_CLUSTER), out, written);
            List<TraceRing.Snapshot> kernels = kernels(rings);
            long events = rings.stream().mapToLong(k -> k.records().size()).sum();
            long lost = rings.stream().mapToLong(TraceRing.Snapshot::lost).sum();
            PrintWriter printer = spec.commandLine().getOut();
            if (json) {
                ObjectNode node = StatusView.JSON.createObjectNode().put("file", out.toString())
                    .put("format", written.name().toLowerCase(Locale.ROOT)).put("events", events).put("lost", lost);
                ArrayNode list = node.putArray("kernels");
                kernels.forEach(k -> list.addObject().put("id", k.kernelId()).put("name", k.kernelName()).put("events", k.records().size())
                    .put("lost", k.lost()));
                rings.stream().filter(r -> r.kernelId() == MemberIds.COORDINATOR).forEach(c -> node.putObject("coordinator")
                    .put("events", c.records().size()).put("lost", c.lost()));
                TaskView.print(node, printer);
            } else {
                printer.printf(Locale.ROOT, "wrote %s: %d events of %d kernel(s)%s%s; open it in the Perfetto UI (ui.perfetto.dev)%n", out,
                    events, kernels.size(), kernels.size() < rings.size() ? " and the coordinator" : "", lost > 0 ? " (" + lost + " older ones overwritten)" : "");
            }
            printer.flush();
            return 0;
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Draw a saved trace (Perfetto, or its JSON) as a compact timeline picture (PNG), without a browser.",
        description = {"A row per emulated core of each kernel and per interrupt context, a chart row of its counters (pages held, free "
            + "pages, energy: each a line scaled to its own range, its last reading in the legend), and one for the kernel's own events (DSM "
            + "faults, migrations, mailbox words); slices as boxes (steps blue, NightWatch steps green, DSM red, migrations orange, "
            + "others violet), instants as ticks, flow arrows (a word's send to its delivery, a fault to its page, a migration's stop "
            + "to its first step, an interrupt's routing to its taking) as thin arrows; a time axis in ms since the first event."})
    static final class Render implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE", description = "A Perfetto trace or its Chrome trace-event JSON, as `trace save` (or "
            + "--trace FILE) writes them.")
        Path file;

        @Option(names = "--png", required = true, paramLabel = "OUT", description = "The picture to write (replaced if it exists).")
        Path png;

        @Option(names = "--width", paramLabel = "PIXELS", defaultValue = "1600", description = "Its width, 400 to 20000 (default: "
            + "${DEFAULT-VALUE}); its height follows from the rows.")
        int width;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (width < 400 || width > 20_000) {
                throw new CliException("--width: expected 400 to 20000 pixels, found " + width);
            }
            Trace trace = read(file);
            TimelinePicture.Picture picture = TimelinePicture.draw(trace, width, file.getFileName().toString());
            TimelinePicture.writePng(picture, png);
            spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s: %d x %d, %d rows, %.3f ms%n", png, picture.image().getWidth(),
                picture.image().getHeight(), picture.rows().size(), (picture.endNs() - picture.startNs()) / 1e6);
            spec.commandLine().getOut().flush();
            return 0;
        }

        /** The Perfetto trace in {@code file}, or one clear error saying what was found instead. */
        static Trace read(Path file) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new CliException("no trace file " + file);
            } catch (IOException e) {
                throw new CliException("cannot read " + file + ": " + e.getMessage());
            }
            int first = 0;
            while (first < bytes.length && Character.isWhitespace(bytes[first])) {
                first++;
            }
            if (first < bytes.length && (bytes[first] == '{' || bytes[first] == '[')) {
                try {
                    return ChromeTraceJson.read(new com.fasterxml.jackson.databind.ObjectMapper().readTree(bytes), file.toString());
                } catch (IOException e) {
                    throw new CliException(file + ": expected a Perfetto trace or Chrome trace-event JSON, found JSON that does not parse ("
                        + e.getMessage().lines().findFirst().orElse("") + ")");
                }
            }
            try {
                Trace trace = Trace.parseFrom(bytes);
                if (trace.getPacketList().stream().noneMatch(p -> p.hasTrackDescriptor())) {
                    throw new CliException(file + ": expected a Perfetto trace of a cluster, found " + bytes.length + " bytes without "
                        + "one track");
                }
                return trace;
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new CliException(file + ": expected a Perfetto trace, found bytes that do not decode as one (" + e.getMessage() + ")");
            }
        }
    }

    /** Draws the cluster's timeline (what {@link #save} writes) as a PNG ({@code bench ... --out DIR} with {@code --trace}). */
    static TimelinePicture.Picture render(ClusterDirectory directory, Path png, String title) {
        TimelinePicture.Picture picture = TimelinePicture.draw(trace(PerfettoTrace.byKernel(snapshots(directory))), 1600, title);
        TimelinePicture.writePng(picture, png);
        return picture;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Record events again on every kernel (they record from boot).")
    int start(@Mixin ClusterOptions cluster) {
        return switchRecording(cluster, true, spec);
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        header = "Stop recording on every kernel, keeping what the rings hold (e.g. to save a moment before it is overwritten).")
    int stop(@Mixin ClusterOptions cluster) {
        return switchRecording(cluster, false, spec);
    }

    /** What a trace file is written as. */
    enum Format {
        /** Perfetto's TrackEvent protobufs ({@link PerfettoTrace}). */
        PERFETTO,
        /** Chrome's trace-event JSON ({@link ChromeTraceJson}). */
        JSON;

        /** The format {@code --format} names. */
        static Format named(String name) {
            return switch (name.toLowerCase(Locale.ROOT)) {
                case "perfetto" -> PERFETTO;
                case "json" -> JSON;
                default -> throw new CliException("--format: expected perfetto or json, found '" + name + "'");
            };
        }

        /** The format a file's name asks for: JSON when it ends in {@code .json}, Perfetto otherwise. */
        static Format of(Path file) {
            return file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json") ? JSON : PERFETTO;
        }
    }

    /**
     * Writes every kernel's rings of the cluster in {@code directory} to {@code out} as one trace,
     * in the format its name asks for ({@link Format#of}: the {@code --trace FILE} of {@code up},
     * {@code demo} and every bench suite); returns what was read, one snapshot per kernel (and one
     * of the coordinator's ring, under its member id: see {@link #kernels}).
     */
    static List<TraceRing.Snapshot> save(ClusterDirectory directory, Path out) {
        return save(directory, out, Format.of(out));
    }

    /** As {@link #save(ClusterDirectory, Path)}, in {@code format}. */
    static List<TraceRing.Snapshot> save(ClusterDirectory directory, Path out, Format format) {
        List<TraceRing.Snapshot> kernels = PerfettoTrace.byKernel(snapshots(directory));
        try (OutputStream stream = Files.newOutputStream(out)) {
            Trace trace = trace(kernels);
            if (format == Format.JSON) {
                ChromeTraceJson.write(trace, stream);
            } else {
                trace.writeTo(stream);
            }
        } catch (IOException e) {
            throw new CliException("cannot write the trace to " + out + ": " + e.getMessage());
        }
        return kernels;
    }

    private static List<TraceRing.Snapshot> snapshots(ClusterDirectory directory) {
        List<TraceRing.Snapshot> rings = new ArrayList<>();
        for (Path file : rings(directory)) {
            try (TraceRing ring = open(file)) {
                rings.add(ring.snapshot());
            }
        }
        return rings;
    }

    /** The kernels' snapshots merged into one Perfetto trace. */
    private static Trace trace(List<TraceRing.Snapshot> kernels) {
        // a word is named as the mailbox decodes it (TYPE#sequence(payload)), or by its hex value when its type is unknown
        return PerfettoTrace.of(kernels, word -> MailboxType.ofCodeOrNull(MailboxWord.typeCode(word)) == null ? MailboxWord.hex(word)
            : MailboxWord.decode(word).toString());
    }

    /** The kernels' snapshots among {@link #save}'s (the coordinator's left out). */
    static List<TraceRing.Snapshot> kernels(List<TraceRing.Snapshot> rings) {
        return rings.stream().filter(r -> r.kernelId() != MemberIds.COORDINATOR).toList();
    }

    private static int switchRecording(ClusterOptions cluster, boolean on, CommandSpec spec) {
        List<Path> files = rings(cluster.directory(ClusterConfig.DEFAULT_CLUSTER));
        for (Path file : files) {
            try (TraceRing ring = open(file)) {
                ring.recording(on);
            }
        }
        long kernels = files.stream().map(f -> f.getFileName().toString().replaceFirst("\\..*", "")).distinct()
            .filter(id -> Integer.parseInt(id) != MemberIds.COORDINATOR).count();
        spec.commandLine().getOut().printf(Locale.ROOT, "%s on %d kernel(s)%n", on ? "recording" : "stopped recording", kernels);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Every kernel's ring in the cluster directory, by kernel id (the coordinator's last, under its member id). */
    static List<Path> rings(ClusterDirectory directory) {
        Path traceDirectory = TraceRing.fileFor(directory.path(), 0).getParent();
        if (!Files.isDirectory(directory.path())) {
            throw new CliException("no cluster '" + directory.clusterName() + "': expected its directory " + directory.path()
                + " (is it up? see --cluster and --home)");
        }
        List<Path> files;
        try (Stream<Path> listing = Files.isDirectory(traceDirectory) ? Files.list(traceDirectory) : Stream.empty()) {
            // each kernel's ring of events, then its ring of mailbox words
            files = listing.filter(p -> p.getFileName().toString().matches("\\d+(\\.words)?\\.ring"))
                .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString().replaceFirst("\\..*", "")))
                    .thenComparing(p -> p.getFileName().toString().contains(".words."))).toList();
        } catch (IOException e) {
            throw new CliException("cannot list " + traceDirectory + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new CliException("no trace rings in " + traceDirectory + ": no kernel of cluster '" + directory.clusterName()
                + "' has booted yet");
        }
        return files;
    }

    /** A kernel's ring, or one clear error saying why it cannot be read. */
    static TraceRing open(Path file) {
        try {
            return TraceRing.open(file);
        } catch (TraceFormatException | java.io.UncheckedIOException e) {
            throw new CliException(e.getMessage());
        }
    }
}
