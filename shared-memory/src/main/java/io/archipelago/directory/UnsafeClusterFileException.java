package io.archipelago.directory;

/**
 * A cluster directory or file another user could read or control (owned by someone else, a
 * symbolic link, writable by others): refused, with its path, what was expected and what was found.
 */
public final class UnsafeClusterFileException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public UnsafeClusterFileException(String message) {
        super(message);
    }
}
