package io.archipelago.typed.header;

/**
 * A header the parser cannot read, with where: {@code file:line:column: what was expected,
 * what was found}.
 */
public final class HeaderParseException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final int column;
    private final String reason;

    public HeaderParseException(String source, int line, int column, String reason) {
        super(source + ":" + line + ":" + column + ": " + reason);
        this.source = source;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    public String source() {
        return source;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    /** The message without the position. */
    public String reason() {
        return reason;
    }
}
