package io.archipelago.typed.header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.DataModel;
import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeBudget;
import io.archipelago.typed.layout.LayoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headers a hostile (or careless) user might hand to {@code archipelago layout} or to a region's
 * creation: each ends quickly in one {@link HeaderParseException} naming the file, the line and
 * the budget, on a thread with half the default stack, never in a stack overflow, out of memory
 * or a negative offset.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileHeaderTest {

    /** Half the JVM's default thread stack (1 MiB on x86-64 Linux): the budgets leave room to spare. */
    private static final long STACK_BYTES = 512 * 1024;

    /** Parses on a thread with a small stack; returns what it threw (null when it parsed). */
    private static Throwable parseOnSmallStack(String text) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread parser = new Thread(null, () -> {
            try {
                HeaderParser.parse("hostile.h", text);
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "hostile-header-parser", STACK_BYTES);
        long started = System.nanoTime();
        parser.start();
        parser.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(parser.isAlive()).as("the parser is still running after 20 s").isFalse();
        assertThat(System.nanoTime() - started).as("nanoseconds to refuse the header").isLessThan(TimeUnit.SECONDS.toNanos(10));
        return thrown.get();
    }

    private static void assertRefused(String text, int line, String... reasonFragments) throws InterruptedException {
        Throwable thrown = parseOnSmallStack(text);
        assertThat(thrown).as("the header is refused").isNotNull();
        assertThat(thrown).isInstanceOfSatisfying(HeaderParseException.class, e -> {
            assertThat(e.source()).isEqualTo("hostile.h");
            assertThat(e.line()).as("line of: %s", e.getMessage()).isEqualTo(line);
            assertThat(e.getMessage()).startsWith("hostile.h:" + line + ":").contains(reasonFragments);
            assertThat(e.getMessage()).as("one line").doesNotContain("\n");
        });
    }

    @Test
    void deepParenthesesInAnArrayLength() throws Exception {
        String length = "(".repeat(20_000) + "1" + ")".repeat(20_000);
        assertRefused("struct s {\n  char a[" + length + "];\n};\n", 2, "nests deeper than " + HeaderParser.MAX_NESTING,
            "nesting budget");
    }

    @Test
    void longChainsOfUnaryOperatorsAndConditionals() throws Exception {
        assertRefused("\nenum e { A = " + "~".repeat(20_000) + "1 };\n", 2, "nesting budget");
        assertRefused("\n\nenum e { A = " + "1 ? ".repeat(20_000) + "1" + " : 0".repeat(20_000) + " };\n", 3, "nesting budget");
    }

    @Test
    void deepParenthesisedDeclarators() throws Exception {
        assertRefused("\nint " + "(".repeat(20_000) + "x" + ")".repeat(20_000) + ";\n", 2,
            "nest deeper than " + HeaderParser.MAX_NESTING, "parenthesised declarators");
    }

    @Test
    void thousandsOfPointerLevels() throws Exception {
        assertRefused("struct s {\n\n  int " + "*".repeat(5_000) + "p;\n};\n", 3,
            "more than " + TypeBudget.MAX_DEPTH + " levels of '*'", "type depth budget");
    }

    @Test
    void thousandsOfArrayDimensions() throws Exception {
        assertRefused("struct s {\n  int a" + "[1]".repeat(5_000) + ";\n};\n", 2,
            "more than " + TypeBudget.MAX_DEPTH + " levels of '['", "type depth budget");
    }

    @Test
    void fiftyLevelsSpreadOverTypedefsAreRefusedTooWhileThirtyTwoParse() throws Exception {
        StringBuilder header = new StringBuilder("typedef int t0;\n");
        for (int i = 1; i < 50; i++) {
            header.append("typedef t").append(i - 1).append(" *t").append(i).append(";\n");
        }
        // t0 is 2 levels (the typedef and int); each further typedef adds 2 (the typedef and a pointer): t15 is 32 deep,
        // and the pointer to t15 that t16 names (line 17) 33
        assertRefused(header.toString(), 17, "'t16' nests 33 levels deep", "over the type depth budget of " + TypeBudget.MAX_DEPTH);
        assertThat(parseOnSmallStack(header.substring(0, header.indexOf("typedef t15 *t16;")))).isNull();
    }

    @Test
    void deeplyNestedStructDefinitions() throws Exception {
        int depth = 10_000;
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            header.append("struct s").append(i).append(" {\n");
        }
        header.append("int x;\n").append("};\n".repeat(depth));
        assertRefused(header.toString(), HeaderParser.MAX_NESTING + 1, "nest deeper than " + HeaderParser.MAX_NESTING,
            "struct and union bodies");
    }

    @Test
    void nestedStructMembersBeyondTheDepthBudget() throws Exception {
        int depth = 40;
        StringBuilder header = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            header.append("struct s").append(i).append(" {\n");
        }
        header.append("int x;\n");
        for (int i = depth - 1; i >= 0; i--) {
            header.append("} m").append(i).append(";\n");
        }
        // the innermost record (line 40) holds int x: depth 2; the record 31 levels out (line 9) is 33 deep, its member m8 32
        assertRefused(header.toString(), 9, "struct s8", "nests 33 levels deep", "over the type depth budget of " + TypeBudget.MAX_DEPTH);
    }

    @Test
    void structsThatDoubleAtEveryLevel() throws Exception {
        StringBuilder header = new StringBuilder("struct s0 { int a, b; };\n");
        for (int i = 1; i <= 30; i++) {
            header.append("struct s").append(i).append(" { struct s").append(i - 1).append(" a, b; };\n");
        }
        // s_i expands to 2^(i+2) - 1 types: over 65,536 at s15 (line 16)
        assertRefused(header.toString(), 16, "struct s15 expands to 131071 types", "over the type expansion budget of " + TypeBudget.MAX_NODES);
    }

    @Test
    void macroExpansionBomb() throws Exception {
        StringBuilder header = new StringBuilder("#define M0 x\n");
        for (int i = 1; i <= 60; i++) {
            header.append("#define M").append(i).append(" M").append(i - 1).append(" M").append(i - 1).append('\n');
        }
        header.append("struct s { int M60; };\n");
        assertRefused(header.toString(), 62, "more than " + HeaderParser.MAX_TOKENS + " tokens", "macro 'M60' used here",
            "token budget");
    }

    @Test
    void macroBombInAnIfCondition() throws Exception {
        StringBuilder header = new StringBuilder("#define M0 1\n");
        for (int i = 1; i <= 60; i++) {
            header.append("#define M").append(i).append(" M").append(i - 1).append(" + M").append(i - 1).append('\n');
        }
        header.append("#if M60\n#endif\n");
        assertRefused(header.toString(), 62, "token budget");
    }

    @Test
    void longMacroChains() throws Exception {
        StringBuilder header = new StringBuilder("#define M0 x\n");
        for (int i = 1; i <= 10_000; i++) {
            header.append("#define M").append(i).append(" M").append(i - 1).append('\n');
        }
        header.append("struct s { int M10000; };\n");
        assertRefused(header.toString(), 10_002, "macro expansion depth budget of " + HeaderParser.MAX_MACRO_DEPTH);
    }

    @Test
    void tooManyTokensBeforeExpansion() throws Exception {
        assertRefused("\n" + ";".repeat(HeaderParser.MAX_TOKENS + 1), 2, "more than " + HeaderParser.MAX_TOKENS + " tokens",
            "token budget");
    }

    @Test
    void anArrayWhoseSizeOverflowsTheOffset() throws Exception {
        assertRefused("struct s {\n  char c;\n  long a[0x7fffffffffffffff];\n  long b;\n};\n", 3, "member 'a' of struct s",
            "over the type size budget of 2^48");
        assertRefused("struct s {\n  char a[1L << 47];\n  char b[1L << 47];\n  char c[1L << 47];\n};\n", 1, "struct s may take",
            "over the type size budget of 2^48");
        assertRefused("typedef char big[1L << 40];\n\nstruct s { big a[1 << 20]; };\n", 3, "member 'a' of struct s", "over the type size budget of 2^48");
    }

    @Test
    void aTypeOfTwoToTheFortyEightBytesStillParses() throws Exception {
        assertThat(parseOnSmallStack("struct s { char a[1L << 47]; short b[(1L << 46) - 2]; };\n")).isNull();
    }

    @Test
    void theLayoutEngineChecksItsArithmeticForTypesNotFromAHeader() {
        ScalarType longType = ScalarType.of(Scalar.LONG);
        RecordType huge = RecordType.struct("huge", List.of(Field.of("a", new ArrayType(longType, Long.MAX_VALUE / 12)),
            Field.of("b", new ArrayType(longType, Long.MAX_VALUE / 12)), Field.of("c", longType)));
        assertThatThrownBy(() -> DataModel.X86_64.layoutEngine().layout(huge))
            .isInstanceOf(LayoutException.class)
            .hasMessageContaining("struct huge: member 'b' ends beyond " + Long.MAX_VALUE + " bytes");
        RecordType alignedTail = new RecordType(RecordType.Kind.STRUCT, "tail",
            List.of(Field.of("a", new ArrayType(ScalarType.of(Scalar.CHAR), Long.MAX_VALUE - 2))), false, 16);
        assertThatThrownBy(() -> DataModel.X86_64.layoutEngine().layout(alignedTail))
            .isInstanceOf(LayoutException.class)
            .hasMessageContaining("struct tail ends beyond");
    }

    @Test
    void aHugeHeaderFileIsRefusedBeforeItIsRead(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("huge.h");
        Files.write(file, new byte[(int) HeaderParser.MAX_HEADER_BYTES + 1]);
        assertThatThrownBy(() -> HeaderParser.parse(file))
            .isInstanceOf(HeaderParseException.class)
            .hasMessageStartingWith("huge.h:1:1: ")
            .hasMessageContaining("over the parser's budget of " + HeaderParser.MAX_HEADER_BYTES + " bytes");
    }
}
