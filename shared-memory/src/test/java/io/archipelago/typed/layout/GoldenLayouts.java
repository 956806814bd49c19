package io.archipelago.typed.layout;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.header.HeaderDeclarations;
import io.archipelago.typed.header.HeaderParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Compares the layout engine with golden layouts: every difference, listed. */
final class GoldenLayouts {

    /** The headers the goldens cover: the test headers and the kernel structs header. */
    static List<Path> headers() {
        try {
            Path tests = Path.of(GoldenLayouts.class.getResource("/typed/headers").toURI());
            Path kernel = Path.of(GoldenLayouts.class.getResource("/archipelago/headers/kernel-structs.h").toURI());
            List<Path> headers = new ArrayList<>();
            try (var files = java.nio.file.Files.list(tests)) {
                files.filter(p -> p.toString().endsWith(".h")).sorted().forEach(headers::add);
            }
            headers.add(kernel);
            return headers;
        } catch (URISyntaxException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path committedGoldens() {
        try {
            return Path.of(GoldenLayouts.class.getResource("/typed/goldens").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static String baseName(Path header) {
        String name = header.getFileName().toString();
        return name.substring(0, name.length() - 2);
    }

    /** Every way the engine's layouts of {@code header} for {@code model} differ from {@code golden}; empty when none. */
    static List<String> differences(Path header, DataModel model, GoldenFile golden) {
        HeaderDeclarations declarations = HeaderParser.parse(header);
        LayoutEngine engine = model.layoutEngine();
        List<String> problems = new ArrayList<>();
        if (golden.types().isEmpty()) {
            problems.add(golden.path() + " lists no type");
        }
        for (GoldenFile.GoldenType expected : golden.types().values()) {
            String where = header.getFileName() + " " + model + " " + expected.name();
            TypeDescription type = declarations.type(expected.name()).orElse(null);
            if (type == null) {
                problems.add(where + ": GCC knows it, the parser does not");
                continue;
            }
            Layout layout;
            try {
                layout = engine.layout(type);
            } catch (RuntimeException e) {
                problems.add(where + ": engine failed: " + e.getMessage());
                continue;
            }
            if (layout.size() != expected.size()) {
                problems.add(where + ": size " + layout.size() + ", GCC " + expected.size());
            }
            if (layout.align() != expected.align()) {
                problems.add(where + ": align " + layout.align() + ", GCC " + expected.align());
            }
            if (expected.members().isEmpty()) {
                continue;
            }
            if (!(layout instanceof RecordLayout record)) {
                problems.add(where + ": GCC lists members, the engine's layout is " + layout.getClass().getSimpleName());
                continue;
            }
            List<MemberLayout> actual = record.flattenedMembers();
            List<String> actualNames = actual.stream().map(MemberLayout::name).toList();
            List<String> expectedNames = expected.members().stream().map(GoldenFile.GoldenMember::name).toList();
            if (!actualNames.equals(expectedNames)) {
                problems.add(where + ": members " + actualNames + ", GCC " + expectedNames);
                continue;
            }
            Map<String, MemberLayout> byName = actual.stream().collect(Collectors.toMap(MemberLayout::name, m -> m));
            for (GoldenFile.GoldenMember member : expected.members()) {
                MemberLayout m = byName.get(member.name());
                if (m.offset() != member.offset() || m.size() != member.size()) {
                    problems.add(where + "." + member.name() + ": offset " + m.offset() + " size " + m.size() + ", GCC offset "
                        + member.offset() + " size " + member.size());
                }
            }
        }
        return problems;
    }

    private GoldenLayouts() {
    }
}
