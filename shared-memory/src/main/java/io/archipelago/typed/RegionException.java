package io.archipelago.typed;

/**
 * A typed-region operation that cannot proceed: the name is taken, unknown, still being
 * created, or the region cannot serve the request. The message says which region and why.
 */
public class RegionException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public RegionException(String message) {
        super(message);
    }

    public RegionException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Creating a name that another region holds (possibly created a moment earlier by another kernel). */
    public static final class Exists extends RegionException {
        private static final long serialVersionUID = 1L;

        public Exists(String message) {
            super(message);
        }
    }

    /** Attaching a name no region holds. */
    public static final class Unknown extends RegionException {
        private static final long serialVersionUID = 1L;

        public Unknown(String message) {
            super(message);
        }
    }
}
