package io.archipelago.typed.layout;

/** How the bits of a scalar in memory are read: sign- or zero-extended integer, boolean, IEEE 754. */
public enum ValueKind {
    SIGNED, UNSIGNED, BOOL, FLOAT;

    public boolean isInteger() {
        return this == SIGNED || this == UNSIGNED;
    }
}
