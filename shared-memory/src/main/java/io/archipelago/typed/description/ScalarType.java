package io.archipelago.typed.description;

import java.util.Objects;

/** A scalar: an integer, {@code _Bool} or a floating-point type. */
public record ScalarType(Scalar scalar) implements TypeDescription {

    public ScalarType {
        Objects.requireNonNull(scalar, "scalar");
    }

    public static ScalarType of(Scalar scalar) {
        return new ScalarType(scalar);
    }

    @Override
    public String cName() {
        return scalar.cName();
    }
}
