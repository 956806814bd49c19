package io.archipelago.typed.header;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.FunctionType;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordRef;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeDescription;
import org.junit.jupiter.api.Test;

class HeaderParserTest {

    private static HeaderDeclarations parse(String text) {
        return HeaderParser.parse("test.h", text);
    }

    private static void assertRefused(String text, int line, int column, String reasonFragment) {
        assertThatThrownBy(() -> parse(text))
            .isInstanceOfSatisfying(HeaderParseException.class, e -> {
                assertThat(e.line()).as("line of: %s", e.getMessage()).isEqualTo(line);
                assertThat(e.column()).as("column of: %s", e.getMessage()).isEqualTo(column);
                assertThat(e.getMessage()).startsWith("test.h:" + line + ":" + column + ": ").contains(reasonFragment);
            });
    }

    @Test
    void parsesStructWithEveryKindOfMember() {
        HeaderDeclarations d = parse("""
            #define LEN 4
            struct list_head { struct list_head *next, *prev; };
            typedef unsigned long ulong_t;
            struct s {
                unsigned long long a;
                char name[LEN][2];
                struct list_head l;
                struct s *self;
                int (*fn)(void *, int);
                ulong_t u;
                uint32_t v;
                _Bool b;
            } __attribute__((aligned(16)));
            """);
        RecordType s = d.record("struct s");
        assertThat(s.alignment()).isEqualTo(16);
        assertThat(s.fields()).extracting(Field::name).containsExactly("a", "name", "l", "self", "fn", "u", "v", "b");
        assertThat(s.field("a").orElseThrow().type()).isEqualTo(ScalarType.of(Scalar.UNSIGNED_LONG_LONG));
        TypeDescription name = s.field("name").orElseThrow().type();
        assertThat(name).isEqualTo(new ArrayType(new ArrayType(ScalarType.of(Scalar.CHAR), 2), 4));
        assertThat(name.cName()).isEqualTo("char[4][2]");
        assertThat(s.field("l").orElseThrow().type()).isEqualTo(d.record("struct list_head"));
        assertThat(s.field("self").orElseThrow().type()).isEqualTo(new PointerType(new RecordRef(RecordType.Kind.STRUCT, "s")));
        assertThat(((PointerType) s.field("fn").orElseThrow().type()).target()).isInstanceOf(FunctionType.class);
        assertThat(s.field("u").orElseThrow().type().resolved()).isEqualTo(ScalarType.of(Scalar.UNSIGNED_LONG));
        assertThat(s.field("v").orElseThrow().type()).isEqualTo(ScalarType.of(Scalar.UINT32_T));
        assertThat(d.macros()).containsEntry("LEN", "4");
    }

    @Test
    void anonymousMembersAreReachedByName() {
        RecordType r = parse("struct r { int kind; union { int i; float f; }; struct { char a, b; }; };").record("r");
        assertThat(r.memberNames()).containsExactly("kind", "i", "f", "a", "b");
        assertThat(r.field("f").orElseThrow().type()).isEqualTo(ScalarType.of(Scalar.FLOAT));
    }

    @Test
    void typedefOfAnonymousRecordIsNamedByTheTypedef() {
        HeaderDeclarations d = parse("typedef struct { int x, y; } point_t;");
        assertThat(d.record("point_t").tag()).isEqualTo("point_t");
        assertThat(d.records()).extracting(HeaderDeclarations.NamedType::name).containsExactly("point_t");
    }

    @Test
    void enumsTakeGccStorage() {
        HeaderDeclarations d = parse("""
            enum a { A0, A1 };
            enum b { B0 = -1 };
            enum c { C0 = 0x100000000 };
            enum d { D0 = 200 } __attribute__((packed));
            enum e { E0 = 5, E1, E2 = E1 * 2 };
            """);
        assertThat(((EnumType) d.type("enum a").orElseThrow()).storage()).isEqualTo(Scalar.UNSIGNED_INT);
        assertThat(((EnumType) d.type("enum b").orElseThrow()).storage()).isEqualTo(Scalar.INT);
        assertThat(((EnumType) d.type("enum c").orElseThrow()).storage()).isEqualTo(Scalar.UNSIGNED_LONG_LONG);
        assertThat(((EnumType) d.type("enum d").orElseThrow()).storage()).isEqualTo(Scalar.UNSIGNED_CHAR);
        assertThat(d.enumConstants()).containsEntry("E1", 6L).containsEntry("E2", 12L);
    }

    @Test
    void conditionalSectionsAndIncludeGuards() {
        HeaderDeclarations d = parse("""
            #ifndef GUARD_H
            #define GUARD_H
            #include <stdint.h>
            #if defined(GUARD_H) && 0
            struct never { int x; };
            #elif 1
            struct chosen { int x; };
            #else
            struct other { int x; };
            #endif
            #endif
            """);
        assertThat(d.records()).extracting(HeaderDeclarations.NamedType::name).containsExactly("struct chosen");
    }

    @Test
    void theTypedKeywordOfThePaperIsAccepted() {
        HeaderDeclarations d = parse("struct counter { long n; }; __typed struct counter shared_counter;");
        assertThat(d.variables()).containsKey("shared_counter");
    }

    @Test
    void parsesTypeNames() {
        HeaderDeclarations context = parse("struct list_head { struct list_head *next, *prev; };");
        assertThat(HeaderParser.parseTypeName("unsigned long", null, "t")).isEqualTo(ScalarType.of(Scalar.UNSIGNED_LONG));
        assertThat(HeaderParser.parseTypeName("char[16]", null, "t")).isEqualTo(new ArrayType(ScalarType.of(Scalar.CHAR), 16));
        assertThat(HeaderParser.parseTypeName("struct list_head", context, "t")).isEqualTo(context.record("list_head"));
        assertThat(HeaderParser.parseTypeName("struct task_struct *", null, "t"))
            .isEqualTo(new PointerType(new RecordRef(RecordType.Kind.STRUCT, "task_struct")));
        assertThat(HeaderParser.parseTypeName("int[2][3]", null, "t").cName()).isEqualTo("int[2][3]");
    }

    @Test
    void bitFieldsAreRefusedNamingTheMember() {
        assertRefused("struct flags {\n    unsigned int dirty : 1;\n};", 2, 24, "bit-fields are not supported: member 'dirty' of struct flags");
    }

    @Test
    void errorsNameLineAndColumn() {
        assertRefused("struct s {\n  int a\n  int b;\n};", 3, 3, "expected ';' after member 'a' of struct s, found 'int'");
        assertRefused("struct s { long double x; };", 1, 12, "long double is not supported");
        assertRefused("struct s { struct t inner; };", 1, 21, "incomplete type struct t");
        assertRefused("struct s { int a[N]; };", 1, 18, "'N' is not a constant here");
        assertRefused("struct s { int a[sizeof(int)]; };", 1, 18, "sizeof is not supported");
        assertRefused("struct s { int x __attribute__((vector_size(16))); };", 1, 33, "unsupported attribute 'vector_size'");
        assertRefused("#pragma pack(1)\nstruct s { int x; };", 1, 9, "#pragma pack is not supported");
        assertRefused("#define F(x) x\nstruct s { int a[F(2)]; };", 2, 18, "function-like macro 'F' is not supported");
        assertRefused("struct s { int a; } /* no semicolon */\nstruct t { int b; };", 2, 1, "expected a declarator name");
        assertRefused("#if 1\nstruct s { int a; };\n", 1, 2, "unterminated #if");
        assertRefused("struct s { int a; ", 1, 19, "expected '}' to close struct s");
        assertRefused("int f(void) { return 0; }", 1, 13, "function bodies are not supported");
        assertRefused("struct s { _Complex double z; };", 1, 12, "'_Complex' is not supported");
        assertRefused("struct s { int a; };\nstruct s { long a; };", 2, 8, "redefinition of struct s");
        assertRefused("struct s { int a; int a; };", 1, 1, "declares member 'a' twice");
        assertRefused("struct s { int a[2][]; };", 1, 17, "only the first dimension");
        assertRefused("struct s { char c; } @", 1, 22, "unexpected character '@'");
    }

    @Test
    void recordLookupListsWhatExists() {
        HeaderDeclarations d = parse("struct a { int x; }; typedef int b;");
        assertThatThrownBy(() -> d.record("struct zz")).hasMessageContaining("declares no type 'struct zz'")
            .hasMessageContaining("struct a");
        assertThatThrownBy(() -> d.record("b")).hasMessageContaining("'b' in test.h is int, not a struct or union");
    }
}
