package io.archipelago.memory;

import java.nio.file.Path;

/**
 * A memory file that is not the global memory the caller expected: a foreign file, a corrupt
 * or truncated one, another cluster's, or another format version. Names the field, what was
 * expected and what was found. Nothing in the file has been written when this is thrown.
 */
public final class GlobalMemoryMismatchException extends RuntimeException {

    private final Path file;
    private final String field;
    private final String expected;
    private final String found;

    public GlobalMemoryMismatchException(Path file, String field, String expected, String found) {
        super("refusing to attach " + file + ": " + field + " is " + found + ", expected " + expected);
        this.file = file;
        this.field = field;
        this.expected = expected;
        this.found = found;
    }

    public Path file() {
        return file;
    }

    public String field() {
        return field;
    }

    public String expected() {
        return expected;
    }

    public String found() {
        return found;
    }
}
