package io.archipelago.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LayoutCommandTest {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = Archipelago.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The bundled header, by name (the command finds it in the shared-memory jar). */
    private static String kernelHeader() {
        return "kernel-structs.h";
    }

    @Test
    void readsAHeaderFile(@TempDir Path dir) throws Exception {
        Path header = Files.writeString(dir.resolve("point.h"), "typedef struct { char c; double d; } point_t;\n");
        Run run = run("layout", header.toString(), "--data-model", "i386");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("point_t: size 12, align 4");
    }

    @Test
    void printsJsonLayoutsAsGccDoes() throws Exception {
        // struct page: 64 bytes on LP64 (as in Linux), 36 on armv7 (checked against GCC by the golden tests)
        for (String[] expected : new String[][] {{"x86_64", "64", "8"}, {"armv7", "36", "4"}, {"ppc32", "36", "4"}}) {
            Run run = run("layout", kernelHeader(), "--data-model", expected[0], "--type", "page", "--json");
            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode root = new ObjectMapper().readTree(run.out());
            assertThat(root.get("data_model").asText()).isEqualTo(expected[0]);
            JsonNode page = root.get("types").get(0);
            assertThat(page.get("name").asText()).isEqualTo("struct page");
            assertThat(page.get("size").asLong()).isEqualTo(Long.parseLong(expected[1]));
            assertThat(page.get("members").get(0).get("name").asText()).isEqualTo("flags");
            assertThat(page.get("members").get(0).get("size").asLong()).isEqualTo(Long.parseLong(expected[2]));
        }
    }

    @Test
    void unifiedFormatCostsAgainstEachNativeLayout() throws Exception {
        Run run = run("layout", kernelHeader(), "--unified", "--models", "x86_64,armv7", "--type", "vm_area_struct", "--json");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode unified = new ObjectMapper().readTree(run.out()).get("unified");
        assertThat(unified.get("models")).hasSize(2);
        JsonNode vma = unified.get("types").get(0);
        long size = vma.get("size").asLong();
        JsonNode armv7 = vma.get("native").get("armv7");
        assertThat(armv7.get("overhead_bytes").asLong()).isEqualTo(size - armv7.get("size").asLong()).isPositive();
        assertThat(vma.get("native").get("x86_64").get("overhead_bytes").asLong()).isZero();
    }

    @Test
    void textAndMarkdown() throws Exception {
        Run text = run("layout", kernelHeader(), "-m", "i386", "-t", "list_head", "--unified");
        assertThat(text.out()).contains("struct list_head: size 8, align 4").contains("unified format of x86_64, aarch64, i386, armv7, ppc32")
            .contains("+100.0%");
        Run markdown = run("layout", kernelHeader(), "-t", "list_head", "--unified", "--markdown");
        assertThat(markdown.out()).startsWith("| type | x86_64 |").contains("| `struct list_head` | 16 | 16 | 8 | 8 | 8 | 16 |");
    }

    @Test
    void parseErrorsNameTheFileLineAndColumn(@TempDir Path dir) throws Exception {
        Path header = Files.writeString(dir.resolve("bad.h"), "struct s {\n  unsigned flags : 3;\n};\n");
        Run run = run("layout", header.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("bad.h:2:18: bit-fields are not supported: member 'flags' of struct s");
        assertThat(run("layout", header.toString(), "--data-model", "sparc").err()).contains("unknown data model 'sparc'");
        assertThat(run("layout", dir.resolve("none.h").toString()).err()).contains("no header at");
    }
}
