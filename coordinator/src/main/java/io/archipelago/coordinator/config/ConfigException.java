package io.archipelago.coordinator.config;

/**
 * A cluster configuration that cannot be used: names the source, the line, the key, what was
 * expected and what was found.
 */
public final class ConfigException extends RuntimeException {

    private final String source;
    private final int line;
    private final String key;

    public ConfigException(String source, int line, String key, String problem) {
        super(source + (line > 0 ? ", line " + line : "") + (key.isEmpty() ? "" : ", '" + key + "'") + ": " + problem);
        this.source = source;
        this.line = line;
        this.key = key;
    }

    public String source() {
        return source;
    }

    /** 1-based line of the offending node, or 0 when the problem is not tied to a line. */
    public int line() {
        return line;
    }

    /** Dotted path of the offending key, e.g. {@code islands[1].cores}. */
    public String key() {
        return key;
    }
}
