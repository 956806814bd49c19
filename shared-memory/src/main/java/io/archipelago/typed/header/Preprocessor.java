package io.archipelago.typed.header;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of the C preprocessor a type header needs: object-like {@code #define}s (expanded
 * where used), {@code #undef}, conditional sections ({@code #if}, {@code #ifdef},
 * {@code #ifndef}, {@code #elif}, {@code #else}, {@code #endif}, include guards) and
 * {@code #error}. {@code #include} is skipped: the {@code <stdint.h>} and {@code <stddef.h>}
 * types are built in. {@code #pragma pack} is refused (use {@code __attribute__((packed))}).
 * Function-like macros may be defined, but using one is refused.
 */
final class Preprocessor {

    private record Macro(String name, List<Token> body, boolean functionLike) {
    }

    private record Conditional(Token at, boolean parentActive, boolean active, boolean taken, boolean sawElse) {
    }

    private final String source;
    private final Map<String, Macro> macros = new LinkedHashMap<>();
    /** Tokens produced so far, every expansion counted: bounded by {@link HeaderParser#MAX_TOKENS}. */
    private long produced;

    Preprocessor(String source) {
        this.source = source;
    }

    /** Object-like macros defined at the end, with their expanded bodies as text. */
    Map<String, String> objectMacros() {
        Map<String, String> result = new LinkedHashMap<>();
        macros.values().stream().filter(m -> !m.functionLike()).forEach(m ->
            result.put(m.name(), String.join(" ", m.body().stream().map(Token::text).toList())));
        return result;
    }

    List<Token> run(List<Token> raw) {
        List<Token> out = new ArrayList<>();
        Deque<Conditional> conditionals = new ArrayDeque<>();
        int i = 0;
        while (raw.get(i).kind() != Token.Kind.END) {
            int end = i + 1;
            while (raw.get(end).kind() != Token.Kind.END && !raw.get(end).firstOnLine()) {
                end++;
            }
            List<Token> line = raw.subList(i, end);
            boolean active = conditionals.isEmpty() || conditionals.peek().active();
            if (line.getFirst().is("#") && line.getFirst().kind() == Token.Kind.PUNCTUATOR) {
                directive(line, conditionals, active);
            } else if (active) {
                out.addAll(expand(line, new HashSet<>(), null));
            }
            i = end;
        }
        if (!conditionals.isEmpty()) {
            Token open = conditionals.peek().at();
            throw error(open, "unterminated #" + open.text() + ": expected #endif before the end of the input");
        }
        out.add(raw.get(i));
        return out;
    }

    private void directive(List<Token> line, Deque<Conditional> conditionals, boolean active) {
        if (line.size() == 1) {
            return; // the null directive
        }
        Token name = line.get(1);
        List<Token> rest = line.subList(2, line.size());
        switch (name.text()) {
            case "ifdef", "ifndef" -> {
                boolean defined = !rest.isEmpty() && macros.containsKey(rest.getFirst().text());
                if (rest.isEmpty() || !rest.getFirst().isIdentifier()) {
                    throw error(name, "#" + name.text() + " expects a macro name");
                }
                boolean condition = name.text().equals("ifdef") == defined;
                conditionals.push(new Conditional(name, active, active && condition, condition, false));
            }
            case "if" -> {
                boolean condition = active && condition(name, rest);
                conditionals.push(new Conditional(name, active, active && condition, condition, false));
            }
            case "elif" -> {
                Conditional open = requireOpen(name, conditionals);
                if (open.sawElse()) {
                    throw error(name, "#elif after #else");
                }
                conditionals.pop();
                boolean condition = !open.taken() && open.parentActive() && condition(name, rest);
                conditionals.push(new Conditional(open.at(), open.parentActive(), open.parentActive() && condition,
                    open.taken() || condition, false));
            }
            case "else" -> {
                Conditional open = requireOpen(name, conditionals);
                if (open.sawElse()) {
                    throw error(name, "#else after #else");
                }
                conditionals.pop();
                conditionals.push(new Conditional(open.at(), open.parentActive(), open.parentActive() && !open.taken(), true, true));
            }
            case "endif" -> {
                requireOpen(name, conditionals);
                conditionals.pop();
            }
            default -> {
                if (active) {
                    activeDirective(name, rest);
                }
            }
        }
    }

    private void activeDirective(Token name, List<Token> rest) {
        switch (name.text()) {
            case "define" -> {
                if (rest.isEmpty() || !rest.getFirst().isIdentifier()) {
                    throw error(name, "#define expects a macro name");
                }
                Token macro = rest.getFirst();
                boolean functionLike = rest.size() > 1 && rest.get(1).is("(") && !rest.get(1).spaceBefore();
                macros.put(macro.text(), new Macro(macro.text(), List.copyOf(rest.subList(1, rest.size())), functionLike));
            }
            case "undef" -> {
                if (rest.isEmpty()) {
                    throw error(name, "#undef expects a macro name");
                }
                macros.remove(rest.getFirst().text());
            }
            case "include", "include_next", "line", "warning", "ident", "sccs" -> {
                // <stdint.h> and <stddef.h> types are built in; nothing else is needed for layouts
            }
            case "pragma" -> {
                if (!rest.isEmpty() && rest.getFirst().text().equals("pack")) {
                    throw error(rest.getFirst(), "#pragma pack is not supported: use __attribute__((packed)) on the struct");
                }
            }
            case "error" -> throw error(name, "#error " + String.join(" ", rest.stream().map(Token::text).toList()));
            default -> throw error(name, "unknown preprocessor directive #" + name.text());
        }
    }

    private Conditional requireOpen(Token name, Deque<Conditional> conditionals) {
        if (conditionals.isEmpty()) {
            throw error(name, "#" + name.text() + " without a matching #if");
        }
        return conditionals.peek();
    }

    private boolean condition(Token directive, List<Token> expression) {
        List<Token> resolved = new ArrayList<>();
        for (int i = 0; i < expression.size(); i++) {
            Token token = expression.get(i);
            if (token.is("defined") && token.isIdentifier()) {
                boolean parenthesised = i + 1 < expression.size() && expression.get(i + 1).is("(");
                int nameIndex = parenthesised ? i + 2 : i + 1;
                if (nameIndex >= expression.size() || !expression.get(nameIndex).isIdentifier()) {
                    throw error(token, "defined expects a macro name");
                }
                boolean defined = macros.containsKey(expression.get(nameIndex).text());
                resolved.add(new Token(Token.Kind.NUMBER, defined ? "1" : "0", token.line(), token.column(), true, false));
                i = parenthesised ? nameIndex + 1 : nameIndex;
                if (parenthesised && (i >= expression.size() || !expression.get(i).is(")"))) {
                    throw error(token, "expected ')' after defined(" + expression.get(nameIndex).text());
                }
            } else {
                resolved.add(token);
            }
        }
        List<Token> expanded = expand(resolved, new HashSet<>(), null);
        // identifiers left after expansion are 0 in #if, as in C
        return ConstantExpression.evaluate(source, expanded, token -> 0L, directive) != 0;
    }

    /**
     * Expands object-like macros in {@code tokens}; a macro is not expanded inside its own
     * expansion. Within budgets, so that a hostile header ends in an error rather than in a
     * stack overflow or out of memory: macros nest at most {@link HeaderParser#MAX_MACRO_DEPTH}
     * deep, and the header expands to at most {@link HeaderParser#MAX_TOKENS} tokens (a chain of
     * macros that each use the previous one twice doubles at every step).
     */
    List<Token> expand(List<Token> tokens, Set<String> disabled, Token useSite) {
        List<Token> out = new ArrayList<>();
        expandInto(out, tokens, new HashSet<>(disabled), useSite);
        return out;
    }

    /** Appends the expansion to {@code out}; {@code disabled} holds the macros being expanded around it (restored on return). */
    private void expandInto(List<Token> out, List<Token> tokens, Set<String> disabled, Token useSite) {
        for (int i = 0; i < tokens.size(); i++) {
            Token token = tokens.get(i);
            Macro macro = token.isIdentifier() ? macros.get(token.text()) : null;
            if (macro == null || disabled.contains(macro.name())) {
                produce(out, useSite == null ? token : token.at(useSite), useSite == null ? token : useSite);
                continue;
            }
            if (macro.functionLike()) {
                if (i + 1 < tokens.size() && tokens.get(i + 1).is("(")) {
                    throw error(token, "function-like macro '" + macro.name() + "' is not supported in a type header: "
                        + "write the expansion");
                }
                produce(out, useSite == null ? token : token.at(useSite), useSite == null ? token : useSite);
                continue;
            }
            if (disabled.size() >= HeaderParser.MAX_MACRO_DEPTH) {
                Token at = useSite == null ? token : useSite;
                throw error(at, "macro '" + macro.name() + "' is expanded inside " + disabled.size() + " other macros: over the "
                    + "parser's macro expansion depth budget of " + HeaderParser.MAX_MACRO_DEPTH);
            }
            disabled.add(macro.name());
            try {
                expandInto(out, macro.body(), disabled, useSite == null ? token : useSite);
            } finally {
                disabled.remove(macro.name());
            }
        }
    }

    private void produce(List<Token> out, Token token, Token useSite) {
        if (++produced > HeaderParser.MAX_TOKENS) {
            throw error(useSite, "the header expands to more than " + HeaderParser.MAX_TOKENS + " tokens"
                + (useSite.isIdentifier() && macros.containsKey(useSite.text()) ? " (macro '" + useSite.text() + "' used here)" : "")
                + ": over the parser's token budget");
        }
        out.add(token);
    }

    private HeaderParseException error(Token token, String message) {
        return new HeaderParseException(source, token.line(), token.column(), message);
    }
}
