package io.archipelago.typed.header;

/**
 * A token of a C header, with where it starts in the source (1-based line and column).
 *
 * @param spaceBefore whether white space (or a comment) separates it from the previous token:
 *                    tells {@code #define F(x)} (a function-like macro) from {@code #define F (x)}
 */
record Token(Kind kind, String text, int line, int column, boolean spaceBefore, boolean firstOnLine) {

    enum Kind { IDENTIFIER, NUMBER, CHARACTER, STRING, PUNCTUATOR, END }

    boolean is(String punctuatorOrKeyword) {
        return (kind == Kind.PUNCTUATOR || kind == Kind.IDENTIFIER) && text.equals(punctuatorOrKeyword);
    }

    boolean isIdentifier() {
        return kind == Kind.IDENTIFIER;
    }

    Token at(Token position) {
        return new Token(kind, text, position.line, position.column, spaceBefore, false);
    }

    /** How the token is named in an error message. */
    String describe() {
        return kind == Kind.END ? "the end of the input" : "'" + text + "'";
    }
}
