package io.archipelago.typed.header;

import java.math.BigInteger;
import java.util.List;
import java.util.function.Function;

/**
 * Evaluates an integer constant expression of C (array lengths, enum values, {@code #if}):
 * literals, identifiers resolved by the caller (enum constants), parentheses and the unary,
 * binary and conditional operators. {@code sizeof} is refused: it would make a type's
 * description depend on a data model.
 */
final class ConstantExpression {

    private final String source;
    private final List<Token> tokens;
    private final Function<Token, Long> identifiers;
    private int pos;
    /** Parentheses, unary operators and conditionals open here: bounded by {@link HeaderParser#MAX_NESTING}. */
    private int nesting;

    private ConstantExpression(String source, List<Token> tokens, int start, Function<Token, Long> identifiers) {
        this.source = source;
        this.tokens = tokens;
        this.pos = start;
        this.identifiers = identifiers;
    }

    /** Evaluates the whole of {@code tokens} (which must not contain anything after the expression). */
    static long evaluate(String source, List<Token> tokens, Function<Token, Long> identifiers, Token where) {
        if (tokens.isEmpty() || tokens.getFirst().kind() == Token.Kind.END) {
            throw new HeaderParseException(source, where.line(), where.column(), "expected a constant expression, found nothing");
        }
        ConstantExpression expression = new ConstantExpression(source, tokens, 0, identifiers);
        long value = expression.conditional();
        if (expression.pos < tokens.size() && tokens.get(expression.pos).kind() != Token.Kind.END) {
            Token extra = tokens.get(expression.pos);
            throw new HeaderParseException(source, extra.line(), extra.column(), "expected the end of the constant expression, found "
                + extra.describe());
        }
        return value;
    }

    /**
     * Evaluates the expression starting at {@code start}; returns its value and where it ends
     * (the index of the first token after it).
     */
    static long[] evaluatePrefix(String source, List<Token> tokens, int start, Function<Token, Long> identifiers) {
        ConstantExpression expression = new ConstantExpression(source, tokens, start, identifiers);
        long value = expression.conditional();
        return new long[] {value, expression.pos};
    }

    private Token peek() {
        return pos < tokens.size() ? tokens.get(pos) : tokens.getLast();
    }

    private boolean accept(String punctuator) {
        Token token = peek();
        if (token.kind() == Token.Kind.PUNCTUATOR && token.text().equals(punctuator)) {
            pos++;
            return true;
        }
        return false;
    }

    private HeaderParseException error(Token token, String message) {
        return new HeaderParseException(source, token.line(), token.column(), message);
    }

    /** Each level of nesting recurses: a hostile expression would otherwise overflow the stack. */
    private void enter(Token at) {
        if (++nesting > HeaderParser.MAX_NESTING) {
            throw error(at, "the constant expression nests deeper than " + HeaderParser.MAX_NESTING
                + " levels (parentheses, unary operators, ?:): over the parser's nesting budget");
        }
    }

    private long conditional() {
        long condition = logicalOr();
        Token question = peek();
        if (accept("?")) {
            enter(question);
            long whenTrue = conditional();
            Token colon = peek();
            if (!accept(":")) {
                throw error(colon, "expected ':' in a conditional expression, found " + colon.describe());
            }
            long whenFalse = conditional();
            nesting--;
            return condition != 0 ? whenTrue : whenFalse;
        }
        return condition;
    }

    private long logicalOr() {
        long value = logicalAnd();
        while (accept("||")) {
            long right = logicalAnd();
            value = (value != 0 || right != 0) ? 1 : 0;
        }
        return value;
    }

    private long logicalAnd() {
        long value = bitOr();
        while (accept("&&")) {
            long right = bitOr();
            value = (value != 0 && right != 0) ? 1 : 0;
        }
        return value;
    }

    private long bitOr() {
        long value = bitXor();
        while (accept("|")) {
            value |= bitXor();
        }
        return value;
    }

    private long bitXor() {
        long value = bitAnd();
        while (accept("^")) {
            value ^= bitAnd();
        }
        return value;
    }

    private long bitAnd() {
        long value = equality();
        while (accept("&")) {
            value &= equality();
        }
        return value;
    }

    private long equality() {
        long value = relational();
        while (true) {
            if (accept("==")) {
                value = value == relational() ? 1 : 0;
            } else if (accept("!=")) {
                value = value != relational() ? 1 : 0;
            } else {
                return value;
            }
        }
    }

    private long relational() {
        long value = shift();
        while (true) {
            if (accept("<")) {
                value = value < shift() ? 1 : 0;
            } else if (accept(">")) {
                value = value > shift() ? 1 : 0;
            } else if (accept("<=")) {
                value = value <= shift() ? 1 : 0;
            } else if (accept(">=")) {
                value = value >= shift() ? 1 : 0;
            } else {
                return value;
            }
        }
    }

    private long shift() {
        long value = additive();
        while (true) {
            Token operator = peek();
            if (accept("<<")) {
                value <<= shiftCount(operator, additive());
            } else if (accept(">>")) {
                value >>= shiftCount(operator, additive());
            } else {
                return value;
            }
        }
    }

    private long shiftCount(Token operator, long count) {
        if (count < 0 || count > 63) {
            throw error(operator, "shift count " + count + " is outside 0..63");
        }
        return count;
    }

    private long additive() {
        long value = multiplicative();
        while (true) {
            if (accept("+")) {
                value += multiplicative();
            } else if (accept("-")) {
                value -= multiplicative();
            } else {
                return value;
            }
        }
    }

    private long multiplicative() {
        long value = unary();
        while (true) {
            Token operator = peek();
            if (accept("*")) {
                value *= unary();
            } else if (accept("/") || accept("%")) {
                long divisor = unary();
                if (divisor == 0) {
                    throw error(operator, "division by zero in a constant expression");
                }
                value = operator.text().equals("/") ? value / divisor : value % divisor;
            } else {
                return value;
            }
        }
    }

    private long unary() {
        Token operator = peek();
        if (operator.kind() == Token.Kind.PUNCTUATOR && (operator.is("-") || operator.is("+") || operator.is("~") || operator.is("!"))) {
            pos++;
            enter(operator);
            long operand = unary();
            nesting--;
            return switch (operator.text()) {
                case "-" -> -operand;
                case "+" -> operand;
                case "~" -> ~operand;
                default -> operand == 0 ? 1 : 0;
            };
        }
        return primary();
    }

    private long primary() {
        Token token = peek();
        if (accept("(")) {
            enter(token);
            long value = conditional();
            nesting--;
            Token close = peek();
            if (!accept(")")) {
                throw error(close, "expected ')' to close the '(' at line " + token.line() + " column " + token.column() + ", found "
                    + close.describe());
            }
            return value;
        }
        pos++;
        return switch (token.kind()) {
            case NUMBER -> integerLiteral(source, token);
            case CHARACTER -> characterLiteral(token);
            case IDENTIFIER -> {
                if (token.text().equals("sizeof") || token.text().equals("_Alignof") || token.text().equals("__alignof__")) {
                    throw error(token, token.text() + " is not supported in a constant expression: it would make the type "
                        + "depend on the data model; write the number");
                }
                Long value = identifiers.apply(token);
                if (value == null) {
                    throw error(token, "'" + token.text() + "' is not a constant here: expected an integer, an enum constant or "
                        + "an object-like macro");
                }
                yield value;
            }
            default -> throw error(token, "expected an integer constant expression, found " + token.describe());
        };
    }

    /** The value of an integer literal (decimal, 0x hex, 0 octal, 0b binary, with u/l suffixes). */
    static long integerLiteral(String source, Token token) {
        String text = token.text();
        String digits = text.replaceFirst("(?i)(u?l{0,2}|l{1,2}u?)$", "");
        try {
            BigInteger value;
            if (digits.startsWith("0x") || digits.startsWith("0X")) {
                value = new BigInteger(digits.substring(2), 16);
            } else if (digits.startsWith("0b") || digits.startsWith("0B")) {
                value = new BigInteger(digits.substring(2), 2);
            } else if (digits.length() > 1 && digits.startsWith("0")) {
                value = new BigInteger(digits.substring(1), 8);
            } else {
                value = new BigInteger(digits);
            }
            if (value.bitLength() > 64) {
                throw new HeaderParseException(source, token.line(), token.column(), "integer constant " + text + " does not fit 64 bits");
            }
            return value.longValue();
        } catch (NumberFormatException e) {
            throw new HeaderParseException(source, token.line(), token.column(), "expected an integer constant, found '" + text + "'");
        }
    }

    private long characterLiteral(Token token) {
        String body = token.text().substring(1, token.text().length() - 1);
        if (body.length() == 1) {
            return body.charAt(0);
        }
        if (body.startsWith("\\")) {
            char escape = body.charAt(1);
            switch (escape) {
                case 'n': return '\n';
                case 't': return '\t';
                case 'r': return '\r';
                case '0': if (body.length() == 2) { return 0; } return Long.parseLong(body.substring(1), 8);
                case '\\': return '\\';
                case '\'': return '\'';
                case '"': return '"';
                case 'x': return Long.parseLong(body.substring(2), 16);
                default:
                    if (Character.isDigit(escape)) {
                        return Long.parseLong(body.substring(1), 8);
                    }
            }
        }
        throw error(token, "unsupported character constant " + token.text());
    }
}
