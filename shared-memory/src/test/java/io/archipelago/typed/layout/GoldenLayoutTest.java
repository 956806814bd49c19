package io.archipelago.typed.layout;

import static org.assertj.core.api.Assertions.assertThat;

import io.archipelago.typed.DataModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The layout engine lays out every type of the test headers (and of the kernel structs header)
 * exactly as GCC does for each data model: sizes, alignments, member offsets and sizes, as
 * recorded from the cross compilers by {@code src/test/gcc/generate-goldens.sh}.
 */
class GoldenLayoutTest {

    static Stream<Arguments> headersAndModels() {
        List<Arguments> cases = new ArrayList<>();
        for (Path header : GoldenLayouts.headers()) {
            for (DataModel model : DataModel.values()) {
                cases.add(Arguments.of(header.getFileName().toString(), model, header));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("headersAndModels")
    void engineLaysOutAsGcc(String name, DataModel model, Path header) {
        Path goldenPath = GoldenLayouts.committedGoldens().resolve(GoldenLayouts.baseName(header) + "." + model.id() + ".golden");
        assertThat(goldenPath).as("golden for %s on %s (run src/test/gcc/generate-goldens.sh)", name, model).exists();
        GoldenFile golden = GoldenFile.read(goldenPath);
        assertThat(GoldenLayouts.differences(header, model, golden)).as("differences from GCC").isEmpty();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("headersAndModels")
    void goldensCoverEveryRecordTheParserFinds(String name, DataModel model, Path header) throws Exception {
        Path goldenPath = GoldenLayouts.committedGoldens().resolve(GoldenLayouts.baseName(header) + "." + model.id() + ".golden");
        GoldenFile golden = GoldenFile.read(goldenPath);
        List<String> parsed = io.archipelago.typed.header.HeaderParser.parse(header).records().stream()
            .map(io.archipelago.typed.header.HeaderDeclarations.NamedType::name).toList();
        assertThat(golden.types().keySet()).as("types GCC reports in %s", name).containsAll(parsed);
        assertThat(Files.size(goldenPath)).isPositive();
    }
}
