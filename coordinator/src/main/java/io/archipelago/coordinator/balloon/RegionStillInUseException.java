package io.archipelago.coordinator.balloon;

/** A region that cannot be released: its owner kernel lives, or a live kernel has it attached (the message names them). */
public final class RegionStillInUseException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    RegionStillInUseException(String message) {
        super(message);
    }
}
