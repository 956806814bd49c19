package io.archipelago.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.archipelago.typed.DataModel;
import io.archipelago.typed.UnifiedFormat;
import io.archipelago.typed.header.HeaderDeclarations;
import io.archipelago.typed.header.HeaderDeclarations.NamedType;
import io.archipelago.typed.header.HeaderParseException;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.Layout;
import io.archipelago.typed.layout.LayoutEngine;
import io.archipelago.typed.layout.MemberLayout;
import io.archipelago.typed.layout.RecordLayout;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code archipelago layout FILE.h}: how a data model lays out the structs of a C header, and
 * with {@code --unified} what the paper's unified format would cost instead.
 */
@Command(name = "layout", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    header = "Lay out the structs of a C header for a data model, as GCC would.",
    description = {"Prints how a data model lays out every struct and union of a C header, exactly as GCC would for that target: "
            + "size, alignment, and each top-level member's offset and size.",
        "",
        "With --unified, also the paper's unified format (every scalar at its largest size and strictest alignment "
            + "across the data models, all five by default) and its memory overhead against each native layout: the cost "
            + "that type-morphable code avoids.",
        "",
        "The header subset: struct, union, enum, typedef, fixed and multi-dimensional arrays, pointers, nested and "
            + "anonymous records, every integer type, _Bool, float, double, <stdint.h> names, size_t, ssize_t, "
            + "__attribute__((packed)), __attribute__((aligned(N))); bit-fields are refused.",
        "",
        "Example: archipelago layout kernel-structs.h --data-model armv7 --type task_struct"})
final class LayoutCommand implements Callable<Integer> {

    /** Headers shipped with Archipelago (in the shared-memory jar), usable by name from anywhere. */
    static final String BUNDLED = "archipelago/headers/";

    @Parameters(index = "0", paramLabel = "FILE.h", description = {"The C header to lay out. 'kernel-structs.h' names the bundled header of simplified Linux kernel structs when "
            + "no such file exists here."})
    Path header;

    @Option(names = {"-m", "--data-model"}, paramLabel = "MODEL", defaultValue = "x86_64",
        description = "Data model: x86_64, aarch64, i386, armv7, ppc32 (default: ${DEFAULT-VALUE}).")
    String dataModel;

    @Option(names = {"-t", "--type"}, paramLabel = "NAME",
        description = "Only this struct or union (repeatable): 'task_struct', 'struct task_struct' or a typedef name.")
    List<String> types = new ArrayList<>();

    @Option(names = "--unified", description = "Also lay out the unified format and print its overhead against each native layout.")
    boolean unified;

    @Option(names = "--models", paramLabel = "M1,M2", split = ",",
        description = "The data models the unified format must suit (default: all five).")
    List<String> models = new ArrayList<>();

    @Option(names = "--json", description = "Print JSON: {\"data_model\", \"types\": [{\"name\", \"size\", \"align\", \"members\": "
        + "[{\"name\", \"offset\", \"size\", \"type\"}]}], and with --unified \"unified\": {\"models\", \"types\": [{\"name\", \"size\", "
        + "\"align\", \"members\", \"native\": {MODEL: {\"size\", \"overhead_bytes\", \"overhead_percent\"}}}]}}.")
    boolean json;

    @Option(names = "--markdown", description = "With --unified: print the overhead summary as a Markdown table.")
    boolean markdown;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        DataModel model = DataModel.byId(dataModel);
        if (!unified && (!models.isEmpty() || markdown)) {
            throw new CliException((markdown ? "--markdown" : "--models") + " goes with --unified");
        }
        HeaderDeclarations declarations;
        try {
            declarations = read(header);
        } catch (HeaderParseException e) {
            throw new CliException(header + ":" + e.line() + ":" + e.column() + ": " + e.reason());
        }
        List<NamedType> selected = select(declarations);
        LayoutEngine engine = model.layoutEngine();
        UnifiedFormat format = unified
            ? UnifiedFormat.of(models.isEmpty() ? List.of(DataModel.values()) : models.stream().map(DataModel::byId).toList())
            : null;
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            printJson(out, model, engine, selected, format);
        } else if (markdown) {
            printMarkdown(out, selected, format);
        } else {
            printText(out, model, engine, selected, format);
        }
        out.flush();
        return 0;
    }

    /** Parses the header file, or the bundled header of that name when there is no such file. */
    static HeaderDeclarations read(Path header) {
        if (Files.isRegularFile(header)) {
            return HeaderParser.parse(header);
        }
        String name = header.getFileName() == null ? "" : header.getFileName().toString();
        if (header.getNameCount() == 1) {
            try (var in = LayoutCommand.class.getClassLoader().getResourceAsStream(BUNDLED + name)) {
                if (in != null) {
                    return HeaderParser.parse(name, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        throw new CliException("no header at " + header.toAbsolutePath() + " (bundled headers: kernel-structs.h)");
    }

    private List<NamedType> select(HeaderDeclarations declarations) {
        List<NamedType> records = declarations.records();
        if (types.isEmpty()) {
            if (records.isEmpty()) {
                throw new CliException(header + " declares no struct or union");
            }
            return records;
        }
        List<NamedType> selected = new ArrayList<>();
        for (String name : types) {
            try {
                var record = declarations.record(name);
                String display = records.stream().filter(r -> r.type().equals(record)).map(NamedType::name).findFirst()
                    .orElse(record.cName());
                selected.add(new NamedType(display, record));
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
        }
        return selected;
    }

    private void printText(PrintWriter out, DataModel model, LayoutEngine engine, List<NamedType> records, UnifiedFormat format) {
        out.printf("%s on %s (%s-endian, %d-byte pointers)%n", header.getFileName(), model, model.byteOrder().toString()
            .toLowerCase(Locale.ROOT).replace("_endian", ""), model.pointerBytes());
        for (NamedType named : records) {
            RecordLayout layout = (RecordLayout) engine.layout(named.type());
            out.printf("%n%s: size %d, align %d%n", named.name(), layout.size(), layout.align());
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"  OFFSET", "SIZE", "MEMBER", "TYPE"});
            for (MemberLayout member : layout.members()) {
                rows.add(new String[] {"  " + member.offset(), Long.toString(member.size()), memberName(member), member.layout().cName()});
            }
            StatusView.printRows(rows, out);
        }
        if (format != null) {
            out.printf("%nunified format of %s: every scalar at its largest size and strictest alignment%n", modelList(format));
            List<String[]> rows = new ArrayList<>();
            List<String> header = new ArrayList<>(List.of("TYPE"));
            format.models().forEach(m -> header.add(m.id()));
            header.add("UNIFIED");
            format.models().forEach(m -> header.add("+" + m.id()));
            rows.add(header.toArray(String[]::new));
            for (NamedType named : records) {
                UnifiedFormat.Comparison comparison = format.compare(named.name(), named.type());
                List<String> row = new ArrayList<>(List.of(named.name()));
                format.models().forEach(m -> row.add(Long.toString(comparison.natives().get(m).size())));
                row.add(Long.toString(comparison.unified().size()));
                format.models().forEach(m -> row.add(percent(comparison.overhead(m))));
                rows.add(row.toArray(String[]::new));
            }
            StatusView.printRows(rows, out);
        }
    }

    private void printMarkdown(PrintWriter out, List<NamedType> records, UnifiedFormat format) {
        StringBuilder head = new StringBuilder("| type |");
        StringBuilder rule = new StringBuilder("|---|");
        for (DataModel m : format.models()) {
            head.append(' ').append(m.id()).append(" |");
            rule.append("---:|");
        }
        head.append(" unified |");
        rule.append("---:|");
        for (DataModel m : format.models()) {
            head.append(" overhead vs ").append(m.id()).append(" |");
            rule.append("---:|");
        }
        out.println(head);
        out.println(rule);
        for (NamedType named : records) {
            UnifiedFormat.Comparison comparison = format.compare(named.name(), named.type());
            StringBuilder row = new StringBuilder("| `").append(named.name()).append("` |");
            format.models().forEach(m -> row.append(' ').append(comparison.natives().get(m).size()).append(" |"));
            row.append(' ').append(comparison.unified().size()).append(" |");
            format.models().forEach(m -> row.append(' ').append(percent(comparison.overhead(m))).append(" |"));
            out.println(row);
        }
    }

    private void printJson(PrintWriter out, DataModel model, LayoutEngine engine, List<NamedType> records, UnifiedFormat format) {
        ObjectNode root = StatusView.JSON.createObjectNode();
        root.put("header", header.toString());
        root.put("data_model", model.id());
        root.put("byte_order", model.byteOrder().toString().toLowerCase(Locale.ROOT).replace("_endian", ""));
        root.put("pointer_bytes", model.pointerBytes());
        ArrayNode types = root.putArray("types");
        for (NamedType named : records) {
            typeJson(types.addObject(), named.name(), engine.layout(named.type()));
        }
        if (format != null) {
            ObjectNode unifiedNode = root.putObject("unified");
            ArrayNode modelIds = unifiedNode.putArray("models");
            format.models().forEach(m -> modelIds.add(m.id()));
            ArrayNode unifiedTypes = unifiedNode.putArray("types");
            for (NamedType named : records) {
                UnifiedFormat.Comparison comparison = format.compare(named.name(), named.type());
                ObjectNode type = unifiedTypes.addObject();
                typeJson(type, named.name(), comparison.unified());
                ObjectNode natives = type.putObject("native");
                for (DataModel m : format.models()) {
                    ObjectNode n = natives.putObject(m.id());
                    n.put("size", comparison.natives().get(m).size());
                    n.put("overhead_bytes", comparison.overheadBytes(m));
                    n.put("overhead_percent", Math.round(comparison.overhead(m) * 1000) / 10.0);
                }
            }
        }
        try {
            out.println(StatusView.JSON.writeValueAsString(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void typeJson(ObjectNode node, String name, Layout layout) {
        node.put("name", name);
        node.put("size", layout.size());
        node.put("align", layout.align());
        ArrayNode members = node.putArray("members");
        if (layout instanceof RecordLayout record) {
            for (MemberLayout member : record.members()) {
                ObjectNode m = members.addObject();
                m.put("name", memberName(member));
                m.put("offset", member.offset());
                m.put("size", member.size());
                m.put("type", member.layout().cName());
            }
        }
    }

    private static String memberName(MemberLayout member) {
        return member.anonymous() ? "(anonymous " + member.layout().cName().replace(" <anonymous>", "") + ")" : member.name();
    }

    private static String modelList(UnifiedFormat format) {
        return String.join(", ", format.models().stream().map(DataModel::id).toList());
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%+.1f%%", fraction * 100);
    }
}
