package io.archipelago.typed.header;

import io.archipelago.typed.description.ArrayType;
import io.archipelago.typed.description.EnumType;
import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.FunctionType;
import io.archipelago.typed.description.PointerType;
import io.archipelago.typed.description.RecordRef;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.description.Scalar;
import io.archipelago.typed.description.ScalarType;
import io.archipelago.typed.description.TypeBudget;
import io.archipelago.typed.description.TypeBudgetException;
import io.archipelago.typed.description.TypeDescription;
import io.archipelago.typed.description.TypedefType;
import io.archipelago.typed.description.VoidType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the subset of C a header of shared kernel types needs: {@code struct}, {@code union},
 * {@code enum}, {@code typedef}, fixed-size and multi-dimensional arrays, flexible array
 * members, pointers (function pointers too), nested, anonymous and named records, every
 * integer type with {@code signed}/{@code unsigned}, {@code _Bool}, {@code float},
 * {@code double}, the {@code <stdint.h>}/{@code <stddef.h>} names, {@code size_t},
 * {@code ssize_t}, {@code intptr_t}, {@code uintptr_t}, {@code __attribute__((packed))},
 * {@code __attribute__((aligned(N)))} and {@code _Alignas(N)}; object-like macros and
 * conditional sections (see {@link Preprocessor}). The paper's {@code __typed} keyword is
 * accepted and ignored. Bit-fields, {@code long double}, {@code _Complex}, {@code __int128},
 * {@code _Atomic}, initialisers and function bodies are refused with the line and column.
 * <p>
 * A header may be hostile (a user's file, a registry record): parsing stays within budgets, and
 * one over a budget ends in one {@link HeaderParseException} naming the file, the line and the
 * budget, never in a stack overflow or out of memory: {@link #MAX_HEADER_BYTES} of text,
 * {@link #MAX_TOKENS} tokens after macro expansion, macros nested {@link #MAX_MACRO_DEPTH} deep,
 * parentheses, braces and declarators nested {@link #MAX_NESTING} deep, and every type within
 * {@link TypeBudget} (nesting depth, expanded size, bytes).
 */
public final class HeaderParser {

    /** Bytes of header text. */
    public static final long MAX_HEADER_BYTES = 16L << 20;
    /** Tokens, before and after macro expansion. */
    public static final int MAX_TOKENS = 1 << 20;
    /** Macros expanded inside one another. */
    public static final int MAX_MACRO_DEPTH = 64;
    /** Parentheses, braces (struct, union and enum bodies), parameter lists and nested declarators inside one another. */
    public static final int MAX_NESTING = 128;

    private static final Set<String> QUALIFIERS = Set.of("const", "volatile", "restrict", "__restrict", "__restrict__", "__const",
        "__const__", "__volatile", "__volatile__", "__extension__", "__typed", "register", "auto", "inline", "__inline",
        "__inline__", "_Noreturn", "_Thread_local", "__thread");
    private static final Set<String> STORAGE = Set.of("typedef", "extern", "static");
    private static final Set<String> BASIC = Set.of("void", "char", "short", "int", "long", "signed", "__signed", "__signed__",
        "unsigned", "float", "double", "_Bool");
    private static final Set<String> REFUSED = Set.of("_Complex", "__complex__", "_Imaginary", "__int128", "_Atomic", "__typeof__",
        "typeof", "__typeof", "_Decimal32", "_Decimal64", "_Decimal128", "__float128", "_Float16", "__fp16", "__bf16");
    /** Attributes that do not change a layout: accepted and ignored. */
    private static final Set<String> NEUTRAL_ATTRIBUTES = Set.of("unused", "used", "deprecated", "may_alias", "always_inline",
        "noinline", "const", "pure", "nonnull", "format", "warn_unused_result", "nothrow", "visibility", "weak", "section",
        "noreturn", "cold", "hot", "designated_init", "nocommon", "externally_visible", "returns_nonnull", "malloc", "leaf",
        "artificial", "gnu_inline", "unavailable", "no_instrument_function", "noclone", "fallthrough", "copy", "access",
        "nonstring", "sentinel", "alias", "weakref", "common", "preserve_access_index", "btf_type_tag", "btf_decl_tag");

    private final String source;
    private final List<Token> tokens;
    private final HeaderDeclarations declarations;
    private final TypeBudget budget = new TypeBudget();
    private int pos;
    private int nesting;

    private HeaderParser(String source, List<Token> tokens, HeaderDeclarations declarations) {
        this.source = source;
        this.tokens = tokens;
        this.declarations = declarations;
    }

    /** Parses a header file. */
    public static HeaderDeclarations parse(Path file) {
        try {
            long bytes = Files.size(file);
            if (bytes > MAX_HEADER_BYTES) {
                throw new HeaderParseException(file.getFileName().toString(), 1, 1, "the header is " + bytes + " bytes: over the "
                    + "parser's budget of " + MAX_HEADER_BYTES + " bytes");
            }
            return parse(file.getFileName().toString(), Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read header " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses header text.
     *
     * @param source the name errors give (a file name)
     * @throws HeaderParseException naming the line and column of the first problem
     */
    public static HeaderDeclarations parse(String source, String text) {
        Preprocessor preprocessor = new Preprocessor(source);
        List<Token> tokens = preprocessor.run(new Lexer(source, text).tokens());
        HeaderDeclarations declarations = new HeaderDeclarations(source);
        new HeaderParser(source, tokens, declarations).translationUnit();
        declarations.macros.putAll(preprocessor.objectMacros());
        return declarations;
    }

    /**
     * Parses a C type name ({@code unsigned long}, {@code char[16]}, {@code struct list_head *},
     * {@code int[2][3]}) where {@code context} supplies the records and typedefs it may name.
     */
    public static TypeDescription parseTypeName(String typeName, HeaderDeclarations context, String where) {
        List<Token> tokens = new Lexer(where, typeName).tokens();
        HeaderDeclarations scratch = new HeaderDeclarations(where);
        if (context != null) {
            scratch.structs.putAll(context.structs);
            scratch.unions.putAll(context.unions);
            scratch.enums.putAll(context.enums);
            scratch.typedefs.putAll(context.typedefs);
            scratch.enumConstants.putAll(context.enumConstants);
        }
        HeaderParser parser = new HeaderParser(where, tokens, scratch);
        Specifiers specifiers = parser.specifiers(false);
        Shape shape = parser.shape(true);
        if (shape.name() != null) {
            throw parser.error(shape.nameToken(), "expected a type name without a declarator name, found '" + shape.name() + "'");
        }
        parser.expectEnd();
        return parser.checked(parser.apply(shape, specifiers.type()), tokens.getFirst(), "type '" + typeName.strip() + "'");
    }

    /** An empty set of declarations, to add records to for {@link #parseTypeName}. */
    public static HeaderDeclarations emptyDeclarations(String source) {
        return new HeaderDeclarations(source);
    }

    /** Adds a record under its tag to declarations being built for {@link #parseTypeName}. */
    public static void declare(HeaderDeclarations declarations, RecordType record) {
        (record.union() ? declarations.unions : declarations.structs).put(record.tag(), record);
        declarations.order.add(new HeaderDeclarations.NamedType(record.cName(), record));
    }

    // ---------------------------------------------------------------- declarations

    private void translationUnit() {
        while (peek().kind() != Token.Kind.END) {
            if (accept(";")) {
                continue;
            }
            externalDeclaration();
        }
    }

    private void externalDeclaration() {
        Token start = peek();
        Specifiers specifiers = specifiers(true);
        if (accept(";")) {
            if (specifiers.typedef()) {
                throw error(start, "typedef declares no name: expected a name before ';'");
            }
            return; // a struct/union/enum definition or forward declaration
        }
        while (true) {
            Shape shape = shape(false);
            if (shape.name() == null) {
                throw error(peek(), "expected a declarator name, found " + peek().describe());
            }
            Attributes after = attributes();
            TypeDescription type = checked(apply(shape, specifiers.type()), shape.nameToken(), "'" + shape.name() + "'");
            if (peek().is("{")) {
                throw error(peek(), "function bodies are not supported in a type header (function '" + shape.name() + "')");
            }
            if (peek().is("=")) {
                throw error(peek(), "initialisers are not supported in a type header ('" + shape.name() + "')");
            }
            if (specifiers.typedef()) {
                Attributes all = specifiers.attributes().merge(shape.attributes()).merge(after);
                if (all.packed() && !(type.resolved() instanceof RecordType)) {
                    throw error(shape.nameToken(), "__attribute__((packed)) on typedef '" + shape.name() + "' is only supported "
                        + "on the struct or union itself (write it after the closing brace)");
                }
                int alignment = all.alignment(this, shape.nameToken());
                TypedefType typedef = new TypedefType(shape.name(), type, alignment);
                TypedefType existing = declarations.typedefs.get(shape.name());
                if (existing != null && !existing.equals(typedef)) {
                    throw error(shape.nameToken(), "typedef '" + shape.name() + "' redefined as a different type");
                }
                if (existing == null) {
                    declarations.typedefs.put(shape.name(), typedef);
                    declarations.order.add(new HeaderDeclarations.NamedType(shape.name(), typedef));
                }
            } else if (!(type instanceof FunctionType)) {
                declarations.variables.put(shape.name(), type);
            }
            if (accept(",")) {
                continue;
            }
            expect(";", "after the declaration of '" + shape.name() + "'");
            return;
        }
    }

    /** Declaration specifiers: storage class, qualifiers, attributes and the type specifier. */
    private record Specifiers(TypeDescription type, boolean typedef, Attributes attributes, Token start) {
    }

    private Specifiers specifiers(boolean allowStorage) {
        Token start = peek();
        boolean typedef = false;
        Attributes attributes = Attributes.NONE;
        TypeDescription named = null;
        List<Token> basic = new ArrayList<>();
        while (true) {
            Token token = peek();
            if (!token.isIdentifier()) {
                break;
            }
            String text = token.text();
            if (STORAGE.contains(text)) {
                if (!allowStorage) {
                    throw error(token, "'" + text + "' is not allowed here");
                }
                typedef |= text.equals("typedef");
                pos++;
            } else if (QUALIFIERS.contains(text)) {
                pos++;
            } else if (text.equals("__attribute__") || text.equals("__attribute")) {
                attributes = attributes.merge(attributes());
            } else if (text.equals("_Alignas") || text.equals("alignas")) {
                attributes = attributes.merge(alignas());
            } else if (REFUSED.contains(text)) {
                throw error(token, "'" + text + "' is not supported in shared types");
            } else if (BASIC.contains(text) && named == null) {
                basic.add(token);
                pos++;
            } else if ((text.equals("struct") || text.equals("union")) && named == null && basic.isEmpty()) {
                pos++;
                named = record(token);
            } else if (text.equals("enum") && named == null && basic.isEmpty()) {
                pos++;
                named = enumeration(token);
            } else if (named == null && basic.isEmpty() && isTypedefName(text)) {
                pos++;
                named = typedefName(text);
            } else {
                break;
            }
        }
        if (named == null && basic.isEmpty()) {
            throw error(start, "expected a type, found " + start.describe());
        }
        TypeDescription type = named != null ? named : basicType(basic);
        return new Specifiers(type, typedef, attributes, start);
    }

    private boolean isTypedefName(String name) {
        return declarations.typedefs.containsKey(name) || Scalar.byCName(name).filter(s -> !s.cName().contains(" ")).isPresent()
            || name.equals("bool");
    }

    private TypeDescription typedefName(String name) {
        TypedefType typedef = declarations.typedefs.get(name);
        if (typedef != null) {
            return typedef;
        }
        if (name.equals("bool")) {
            return ScalarType.of(Scalar.BOOL);
        }
        return ScalarType.of(Scalar.byCName(name).orElseThrow());
    }

    private TypeDescription basicType(List<Token> words) {
        int longs = 0;
        int shorts = 0;
        boolean signed = false;
        boolean unsigned = false;
        String base = null;
        for (Token word : words) {
            switch (word.text()) {
                case "long" -> longs++;
                case "short" -> shorts++;
                case "signed", "__signed", "__signed__" -> signed = true;
                case "unsigned" -> unsigned = true;
                default -> {
                    if (base != null) {
                        throw error(word, "'" + word.text() + "' after '" + base + "': expected one type");
                    }
                    base = word.text();
                }
            }
        }
        Token first = words.getFirst();
        if (signed && unsigned) {
            throw error(first, "both signed and unsigned");
        }
        if (longs > 2) {
            throw error(first, "'long long long' is too long");
        }
        if (shorts > 1 || (shorts > 0 && longs > 0)) {
            throw error(first, "'short' cannot be repeated or combined with 'long'");
        }
        if (base == null) {
            base = "int";
        }
        switch (base) {
            case "void" -> {
                requirePlain(first, words, "void");
                return VoidType.INSTANCE;
            }
            case "_Bool" -> {
                requirePlain(first, words, "_Bool");
                return ScalarType.of(Scalar.BOOL);
            }
            case "float" -> {
                requirePlain(first, words, "float");
                return ScalarType.of(Scalar.FLOAT);
            }
            case "double" -> {
                if (longs > 0) {
                    throw error(first, "long double is not supported: its size differs across the data models in ways Java "
                        + "cannot read (80-bit x87, IBM double-double, binary128)");
                }
                requirePlain(first, words, "double");
                return ScalarType.of(Scalar.DOUBLE);
            }
            case "char" -> {
                if (longs > 0 || shorts > 0) {
                    throw error(first, "'char' cannot be long or short");
                }
                return ScalarType.of(signed ? Scalar.SIGNED_CHAR : unsigned ? Scalar.UNSIGNED_CHAR : Scalar.CHAR);
            }
            case "int" -> {
                if (shorts > 0) {
                    return ScalarType.of(unsigned ? Scalar.UNSIGNED_SHORT : Scalar.SHORT);
                }
                return ScalarType.of(switch (longs) {
                    case 0 -> unsigned ? Scalar.UNSIGNED_INT : Scalar.INT;
                    case 1 -> unsigned ? Scalar.UNSIGNED_LONG : Scalar.LONG;
                    default -> unsigned ? Scalar.UNSIGNED_LONG_LONG : Scalar.LONG_LONG;
                });
            }
            default -> throw error(first, "unexpected '" + base + "'");
        }
    }

    private void requirePlain(Token at, List<Token> words, String base) {
        if (words.size() != 1) {
            throw error(at, "'" + base + "' cannot be combined with " + String.join(" ",
                words.stream().map(Token::text).filter(t -> !t.equals(base)).toList()));
        }
    }

    // ---------------------------------------------------------------- struct, union, enum

    private TypeDescription record(Token keyword) {
        RecordType.Kind kind = keyword.text().equals("struct") ? RecordType.Kind.STRUCT : RecordType.Kind.UNION;
        Attributes attributes = attributes();
        String tag = null;
        Token tagToken = null;
        if (peek().isIdentifier() && !peek().text().startsWith("__attribute")) {
            tagToken = next();
            tag = tagToken.text();
        }
        attributes = attributes.merge(attributes());
        Map<String, RecordType> byTag = kind == RecordType.Kind.STRUCT ? declarations.structs : declarations.unions;
        if (!accept("{")) {
            if (tag == null) {
                throw error(peek(), "expected a tag or '{' after '" + keyword.text() + "', found " + peek().describe());
            }
            RecordType defined = byTag.get(tag);
            return defined != null ? defined : new RecordRef(kind, tag);
        }
        String name = kind.keyword() + " " + (tag == null ? "<anonymous>" : tag);
        enter(keyword, "struct and union bodies");
        List<Field> fields = new ArrayList<>();
        while (!accept("}")) {
            if (peek().kind() == Token.Kind.END) {
                throw error(peek(), "expected '}' to close " + name + " opened at line " + keyword.line() + ", found the end of the input");
            }
            if (accept(";")) {
                continue;
            }
            member(fields, name);
        }
        nesting--;
        attributes = attributes.merge(attributes());
        RecordType record;
        try {
            record = new RecordType(kind, tag, fields, attributes.packed(), attributes.alignment(this, keyword));
        } catch (IllegalArgumentException e) {
            throw error(keyword, e.getMessage());
        }
        checked(record, keyword, name);
        if (tag != null) {
            RecordType existing = byTag.get(tag);
            if (existing != null && !existing.equals(record)) {
                throw error(tagToken, "redefinition of " + name + " (first defined differently)");
            }
            if (existing == null) {
                byTag.put(tag, record);
                declarations.order.add(new HeaderDeclarations.NamedType(name, record));
            }
        }
        return record;
    }

    private void member(List<Field> fields, String recordName) {
        Token start = peek();
        Specifiers specifiers = specifiers(false);
        if (accept(";")) {
            if (specifiers.type() instanceof RecordType inner && inner.tag() == null) {
                fields.add(new Field(null, inner, specifiers.attributes().alignment(this, start), specifiers.attributes().packed()));
                return;
            }
            throw error(start, "member declaration in " + recordName + " declares nothing: expected a member name");
        }
        while (true) {
            if (peek().is(":")) {
                throw error(peek(), "bit-fields are not supported: an unnamed bit-field in " + recordName
                    + " (bit-field layout is implementation-defined and cannot be accessed in place across data models)");
            }
            Shape shape = shape(false);
            if (shape.name() == null) {
                throw error(peek(), "expected a member name in " + recordName + ", found " + peek().describe());
            }
            if (peek().is(":")) {
                throw error(peek(), "bit-fields are not supported: member '" + shape.name() + "' of " + recordName
                    + " (bit-field layout is implementation-defined and cannot be accessed in place across data models)");
            }
            Attributes after = attributes();
            Attributes all = specifiers.attributes().merge(shape.attributes()).merge(after);
            TypeDescription type = checked(apply(shape, specifiers.type()), shape.nameToken(),
                "member '" + shape.name() + "' of " + recordName);
            if (type instanceof FunctionType) {
                throw error(shape.nameToken(), "member '" + shape.name() + "' of " + recordName + " is a function: expected a "
                    + "pointer to a function, e.g. (*" + shape.name() + ")");
            }
            if (type instanceof VoidType) {
                throw error(shape.nameToken(), "member '" + shape.name() + "' of " + recordName + " has type void");
            }
            if (type instanceof RecordRef ref) {
                throw error(shape.nameToken(), "member '" + shape.name() + "' of " + recordName + " has incomplete type " + ref.cName()
                    + ": define it before this struct, or use a pointer");
            }
            fields.add(new Field(shape.name(), type, all.alignment(this, shape.nameToken()), all.packed()));
            if (accept(",")) {
                continue;
            }
            expect(";", "after member '" + shape.name() + "' of " + recordName);
            return;
        }
    }

    private TypeDescription enumeration(Token keyword) {
        Attributes attributes = attributes();
        String tag = null;
        Token tagToken = null;
        if (peek().isIdentifier() && !peek().text().startsWith("__attribute")) {
            tagToken = next();
            tag = tagToken.text();
        }
        attributes = attributes.merge(attributes());
        if (!accept("{")) {
            if (tag == null) {
                throw error(peek(), "expected a tag or '{' after 'enum', found " + peek().describe());
            }
            EnumType defined = declarations.enums.get(tag);
            if (defined == null) {
                throw error(tagToken, "enum " + tag + " is not defined here: its size depends on its constants; define it first");
            }
            return defined;
        }
        Map<String, Long> constants = new LinkedHashMap<>();
        long next = 0;
        while (!accept("}")) {
            Token name = next();
            if (!name.isIdentifier()) {
                throw error(name, "expected an enumerator name, found " + name.describe());
            }
            long value = next;
            if (accept("=")) {
                long[] result = ConstantExpression.evaluatePrefix(source, tokens, pos, this::constant);
                value = result[0];
                pos = (int) result[1];
            }
            constants.put(name.text(), value);
            declarations.enumConstants.put(name.text(), value);
            next = value + 1;
            attributes();
            if (!accept(",")) {
                expect("}", "after enumerator '" + name.text() + "'");
                break;
            }
        }
        attributes = attributes.merge(attributes());
        EnumType type = new EnumType(tag, constants, attributes.packed());
        if (tag != null && !declarations.enums.containsKey(tag)) {
            declarations.enums.put(tag, type);
            declarations.order.add(new HeaderDeclarations.NamedType("enum " + tag, type));
        }
        return type;
    }

    private Long constant(Token identifier) {
        return declarations.enumConstants.get(identifier.text());
    }

    // ---------------------------------------------------------------- declarators

    /** A declarator's shape: pointers, a name or a nested declarator, then array and function suffixes. */
    private record Shape(int pointers, Token nameToken, Shape inner, List<Suffix> suffixes, Attributes attributes) {
        String name() {
            if (nameToken != null) {
                return nameToken.text();
            }
            return inner == null ? null : inner.name();
        }

        @Override
        public Token nameToken() {
            if (nameToken != null) {
                return nameToken;
            }
            return inner == null ? null : inner.nameToken();
        }
    }

    private sealed interface Suffix permits ArraySuffix, FunctionSuffix {
    }

    private record ArraySuffix(long length, Token at) implements Suffix {
    }

    private record FunctionSuffix(List<TypeDescription> parameters, boolean variadic) implements Suffix {
    }

    private Shape shape(boolean abstractOnly) {
        int pointers = 0;
        Attributes attributes = Attributes.NONE;
        while (peek().is("*")) {
            declaratorLevel(next(), ++pointers);
            while (peek().isIdentifier() && (QUALIFIERS.contains(peek().text()) || peek().text().startsWith("__attribute"))) {
                if (peek().text().startsWith("__attribute")) {
                    attributes = attributes.merge(attributes());
                } else {
                    pos++;
                }
            }
        }
        Token name = null;
        Shape inner = null;
        if (peek().isIdentifier() && !abstractOnly && !isTypeStart(peek())) {
            name = next();
        } else if (peek().is("(") && isNestedDeclarator(peek(1))) {
            enter(next(), "parenthesised declarators");
            inner = shape(abstractOnly);
            expect(")", "to close the parenthesised declarator");
            nesting--;
        }
        attributes = attributes.merge(attributes());
        List<Suffix> suffixes = new ArrayList<>();
        while (true) {
            if (peek().is("[") || peek().is("(")) {
                declaratorLevel(peek(), suffixes.size() + 1);
            }
            if (peek().is("[")) {
                Token open = next();
                while (peek().isIdentifier() && (QUALIFIERS.contains(peek().text()) || peek().text().equals("static"))) {
                    pos++;
                }
                if (accept("]")) {
                    suffixes.add(new ArraySuffix(ArrayType.FLEXIBLE, open));
                } else {
                    long[] result = ConstantExpression.evaluatePrefix(source, tokens, pos, this::constant);
                    pos = (int) result[1];
                    if (result[0] < 0) {
                        throw error(open, "array length " + result[0] + " is negative");
                    }
                    expect("]", "to close the array length");
                    suffixes.add(new ArraySuffix(result[0], open));
                }
            } else if (peek().is("(")) {
                suffixes.add(parameters());
            } else {
                break;
            }
        }
        attributes = attributes.merge(attributes());
        return new Shape(pointers, name, inner, suffixes, attributes);
    }

    private boolean isNestedDeclarator(Token afterParen) {
        if (afterParen.is("*") || afterParen.is("(") || afterParen.is("[")) {
            return !afterParen.is("[");
        }
        return afterParen.isIdentifier() && !isTypeStart(afterParen) && !afterParen.text().startsWith("__attribute");
    }

    private boolean isTypeStart(Token token) {
        if (!token.isIdentifier()) {
            return false;
        }
        String text = token.text();
        return BASIC.contains(text) || QUALIFIERS.contains(text) || text.equals("struct") || text.equals("union")
            || text.equals("enum") || isTypedefName(text) || REFUSED.contains(text);
    }

    private FunctionSuffix parameters() {
        enter(peek(), "parameter lists");
        FunctionSuffix suffix = parameterList();
        nesting--;
        return suffix;
    }

    private FunctionSuffix parameterList() {
        expect("(", "to open the parameter list");
        List<TypeDescription> parameters = new ArrayList<>();
        boolean variadic = false;
        if (accept(")")) {
            return new FunctionSuffix(parameters, false);
        }
        if (peek().is("void") && peek(1).is(")")) {
            next();
            next();
            return new FunctionSuffix(parameters, false);
        }
        while (true) {
            if (accept("...")) {
                variadic = true;
                expect(")", "after '...'");
                return new FunctionSuffix(parameters, variadic);
            }
            Token start = peek();
            Specifiers specifiers = specifiers(false);
            Shape shape = shape(false);
            parameters.add(checked(apply(shape, specifiers.type()), shape.nameToken() != null ? shape.nameToken() : start,
                "parameter " + (parameters.size() + 1)));
            if (accept(")")) {
                return new FunctionSuffix(parameters, variadic);
            }
            expect(",", "between parameters");
        }
    }

    private TypeDescription apply(Shape shape, TypeDescription base) {
        TypeDescription type = base;
        for (int i = 0; i < shape.pointers(); i++) {
            type = pointerTo(type);
        }
        for (int i = shape.suffixes().size() - 1; i >= 0; i--) {
            Suffix suffix = shape.suffixes().get(i);
            type = switch (suffix) {
                case ArraySuffix array -> {
                    if (type instanceof FunctionType) {
                        throw error(array.at(), "array of functions: expected an array of pointers to functions");
                    }
                    if (type instanceof ArrayType inner && inner.flexible()) {
                        throw error(array.at(), "only the first dimension of an array may be left empty");
                    }
                    yield new ArrayType(type, array.length());
                }
                case FunctionSuffix function -> new FunctionType(type, function.parameters(), function.variadic());
            };
        }
        if (shape.inner() != null) {
            type = apply(shape.inner(), type);
        }
        return type;
    }

    /** A pointer; a record target is kept by name only, so self-referential records stay finite. */
    private static TypeDescription pointerTo(TypeDescription target) {
        if (target instanceof RecordType record && record.tag() != null) {
            return new PointerType(record.ref());
        }
        if (target instanceof TypedefType typedef && typedef.alignment() == 0 && typedef.resolved() instanceof RecordType record) {
            return new PointerType(new RecordRef(record.kind(), record.tag() != null ? record.tag() : typedef.name()));
        }
        return new PointerType(target);
    }

    // ---------------------------------------------------------------- attributes

    /** What {@code __attribute__((...))} and {@code _Alignas} say about a layout. */
    record Attributes(boolean packed, long aligned, Token alignedAt, boolean biggest) {
        static final Attributes NONE = new Attributes(false, 0, null, false);

        Attributes merge(Attributes other) {
            long alignment = Math.max(aligned, other.aligned);
            return new Attributes(packed || other.packed, alignment, alignment == aligned ? alignedAt : other.alignedAt,
                biggest || other.biggest);
        }

        /**
         * The alignment requested, 0 when none; a bare {@code aligned} is
         * {@link Field#BIGGEST_ALIGNMENT} (the target's {@code __BIGGEST_ALIGNMENT__}, which the
         * layout engine resolves), unless an explicit larger one is also given.
         */
        int alignment(HeaderParser parser, Token at) {
            if (biggest && aligned <= 16) {
                return Field.BIGGEST_ALIGNMENT;
            }
            return (int) aligned;
        }
    }

    private Attributes attributes() {
        Attributes result = Attributes.NONE;
        while (peek().is("__attribute__") || peek().is("__attribute")) {
            Token keyword = next();
            expect("(", "after " + keyword.text());
            expect("(", "after " + keyword.text() + "(");
            while (!accept(")")) {
                if (accept(",")) {
                    continue;
                }
                Token name = next();
                if (!name.isIdentifier()) {
                    throw error(name, "expected an attribute name, found " + name.describe());
                }
                String attribute = name.text().replaceAll("^__(.*)__$", "$1");
                List<Token> arguments = new ArrayList<>();
                if (accept("(")) {
                    int depth = 1;
                    while (true) {
                        Token token = next();
                        if (token.kind() == Token.Kind.END) {
                            throw error(token, "expected ')' to close the arguments of attribute " + name.text());
                        }
                        if (token.is("(")) {
                            depth++;
                        } else if (token.is(")") && --depth == 0) {
                            break;
                        }
                        arguments.add(token);
                    }
                }
                switch (attribute) {
                    case "packed" -> result = result.merge(new Attributes(true, 0, null, false));
                    case "aligned" -> {
                        if (arguments.isEmpty()) {
                            result = result.merge(new Attributes(false, 0, null, true));
                        } else {
                            long alignment = ConstantExpression.evaluate(source, arguments, this::constant, name);
                            checkAlignment(name, alignment);
                            result = result.merge(new Attributes(false, alignment, name, false));
                        }
                    }
                    default -> {
                        if (!NEUTRAL_ATTRIBUTES.contains(attribute)) {
                            throw error(name, "unsupported attribute '" + name.text() + "': layouts support packed and aligned(N); "
                                + "attributes that do not change a layout (unused, deprecated, may_alias...) are ignored");
                        }
                    }
                }
            }
            expect(")", "to close " + keyword.text() + "((...))");
        }
        return result;
    }

    private Attributes alignas() {
        Token keyword = next();
        expect("(", "after " + keyword.text());
        if (isTypeStart(peek())) {
            throw error(peek(), keyword.text() + "(type) is not supported: its value depends on the data model; write "
                + keyword.text() + "(N)");
        }
        long[] result = ConstantExpression.evaluatePrefix(source, tokens, pos, this::constant);
        pos = (int) result[1];
        expect(")", "to close " + keyword.text() + "(");
        if (result[0] == 0) {
            return Attributes.NONE; // _Alignas(0) has no effect
        }
        checkAlignment(keyword, result[0]);
        return new Attributes(false, result[0], keyword, false);
    }

    private void checkAlignment(Token at, long alignment) {
        if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > (1L << 28)) {
            throw error(at, "requested alignment " + alignment + " is not a positive power of two");
        }
    }

    // ---------------------------------------------------------------- budgets

    /** Opens one level of nesting: each recurses, so a hostile header would otherwise overflow the stack. */
    private void enter(Token at, String what) {
        if (++nesting > MAX_NESTING) {
            throw error(at, "parentheses, braces and declarators nest deeper than " + MAX_NESTING + " levels (here: " + what
                + "): over the parser's nesting budget");
        }
    }

    /** One more pointer, array dimension or parameter list in a declarator: each is a level of the type it declares. */
    private void declaratorLevel(Token at, int levels) {
        if (levels > TypeBudget.MAX_DEPTH) {
            throw error(at, "the declarator has more than " + TypeBudget.MAX_DEPTH + " levels of '" + at.text() + "': over the "
                + "type depth budget (types nest at most " + TypeBudget.MAX_DEPTH + " levels)");
        }
    }

    /** Refuses a type over a {@link TypeBudget} budget, naming the line that declares it. */
    private <T extends TypeDescription> T checked(T type, Token at, String what) {
        try {
            budget.check(type, what);
        } catch (TypeBudgetException e) {
            throw error(at != null ? at : peek(), e.getMessage());
        }
        return type;
    }

    // ---------------------------------------------------------------- tokens

    private Token peek() {
        return tokens.get(Math.min(pos, tokens.size() - 1));
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token token = peek();
        if (token.kind() != Token.Kind.END) {
            pos++;
        }
        return token;
    }

    private boolean accept(String punctuator) {
        Token token = peek();
        if (token.kind() == Token.Kind.PUNCTUATOR && token.text().equals(punctuator)) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(String punctuator, String context) {
        Token token = peek();
        if (!accept(punctuator)) {
            throw error(token, "expected '" + punctuator + "' " + context + ", found " + token.describe());
        }
    }

    private void expectEnd() {
        if (peek().kind() != Token.Kind.END) {
            throw error(peek(), "expected the end of the type name, found " + peek().describe());
        }
    }

    private HeaderParseException error(Token token, String message) {
        return new HeaderParseException(source, token.line(), token.column(), message);
    }
}
