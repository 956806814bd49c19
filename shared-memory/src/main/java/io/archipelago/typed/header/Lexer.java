package io.archipelago.typed.header;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits C source into tokens, dropping comments and joining continued lines. Keeps, for the
 * preprocessor, whether a token starts a line and whether space precedes it.
 */
final class Lexer {

    private static final String[] PUNCTUATORS = {
        "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=",
        "&=", "^=", "|=", "##", "[", "]", "(", ")", "{", "}", ".", "&", "*", "+", "-", "~", "!", "/", "%", "<", ">", "^", "|",
        "?", ":", ";", "=", ",", "#"};

    private final String source;
    private final String text;
    private int pos;
    private int line = 1;
    private int column = 1;

    Lexer(String source, String text) {
        this.source = source;
        this.text = text;
    }

    List<Token> tokens() {
        List<Token> tokens = new ArrayList<>();
        boolean firstOnLine = true;
        while (true) {
            boolean space = false;
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == '\n') {
                    advance();
                    firstOnLine = true;
                    space = true;
                } else if (c == '\\' && peek(1) == '\n') {
                    advance();
                    advance();
                    space = true;
                } else if (c == '\\' && peek(1) == '\r' && peek(2) == '\n') {
                    advance();
                    advance();
                    advance();
                    space = true;
                } else if (Character.isWhitespace(c)) {
                    advance();
                    space = true;
                } else if (c == '/' && peek(1) == '*') {
                    int startLine = line;
                    int startColumn = column;
                    advance();
                    advance();
                    while (pos < text.length() && !(text.charAt(pos) == '*' && peek(1) == '/')) {
                        advance();
                    }
                    if (pos >= text.length()) {
                        throw new HeaderParseException(source, startLine, startColumn, "unterminated comment: expected '*/'");
                    }
                    advance();
                    advance();
                    space = true;
                } else if (c == '/' && peek(1) == '/') {
                    while (pos < text.length() && text.charAt(pos) != '\n') {
                        advance();
                    }
                    space = true;
                } else {
                    break;
                }
            }
            if (pos >= text.length()) {
                tokens.add(new Token(Token.Kind.END, "", line, column, true, true));
                return tokens;
            }
            if (tokens.size() >= HeaderParser.MAX_TOKENS) {
                throw new HeaderParseException(source, line, column, "the header has more than " + HeaderParser.MAX_TOKENS
                    + " tokens: over the parser's token budget");
            }
            tokens.add(next(space, firstOnLine));
            firstOnLine = false;
        }
    }

    private Token next(boolean space, boolean firstOnLine) {
        int startLine = line;
        int startColumn = column;
        int start = pos;
        char c = text.charAt(pos);
        if (Character.isLetter(c) || c == '_' || c == '$') {
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_' || text.charAt(pos) == '$')) {
                advance();
            }
            return new Token(Token.Kind.IDENTIFIER, text.substring(start, pos), startLine, startColumn, space, firstOnLine);
        }
        if (Character.isDigit(c) || (c == '.' && Character.isDigit(peek(1)))) {
            while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '.'
                || ((text.charAt(pos) == '+' || text.charAt(pos) == '-') && "eEpP".indexOf(text.charAt(pos - 1)) >= 0
                && !text.substring(start, pos).startsWith("0x") && !text.substring(start, pos).startsWith("0X")))) {
                advance();
            }
            return new Token(Token.Kind.NUMBER, text.substring(start, pos), startLine, startColumn, space, firstOnLine);
        }
        if (c == '\'' || c == '"') {
            advance();
            while (pos < text.length() && text.charAt(pos) != c) {
                if (text.charAt(pos) == '\n') {
                    break;
                }
                if (text.charAt(pos) == '\\') {
                    advance();
                }
                advance();
            }
            if (pos >= text.length() || text.charAt(pos) != c) {
                throw new HeaderParseException(source, startLine, startColumn, "unterminated " + (c == '"' ? "string" : "character")
                    + " literal: expected a closing " + c + " on the same line");
            }
            advance();
            return new Token(c == '"' ? Token.Kind.STRING : Token.Kind.CHARACTER, text.substring(start, pos), startLine, startColumn,
                space, firstOnLine);
        }
        for (String punctuator : PUNCTUATORS) {
            if (text.startsWith(punctuator, pos)) {
                for (int i = 0; i < punctuator.length(); i++) {
                    advance();
                }
                return new Token(Token.Kind.PUNCTUATOR, punctuator, startLine, startColumn, space, firstOnLine);
            }
        }
        throw new HeaderParseException(source, startLine, startColumn, "unexpected character '" + c + "' (U+"
            + String.format("%04X", (int) c) + ")");
    }

    private char peek(int ahead) {
        return pos + ahead < text.length() ? text.charAt(pos + ahead) : '\0';
    }

    private void advance() {
        if (text.charAt(pos) == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
        pos++;
    }
}
